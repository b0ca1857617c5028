// The order in which staged translation evaluates a graph over a photo too large for one pass. Instance norms
// need each channel's mean and variance over the whole photo, which no tile sees; so the graph is evaluated in
// stages, each one tiled over tensors kept whole from earlier stages, and each ending at a norm's input, whose
// statistics it measures exactly. What a stage keeps whole is chosen within a memory budget:
//  - fine: every tensor a later stage needs (a residual block's input and each norm's input): each convolution
//    runs once;
//  - where that does not fit: only a cut (a tensor every path passes through, e.g. a block's output), and the
//    norms in between are measured by running the part before them again.
// The plan that fits the budget with the least work is taken.
import { roundUpTo, type Span } from './tiling.js';
import type { Reach, StagedGraph } from './staged-graph.js';

export interface Stage {
  /** Whole tensors it reads (the graph's input is the photo itself). */
  inputs: string[];
  /** Tensors it computes: those to keep whole, and the input of the norm it measures. */
  outputs: string[];
  keeps: string[];
  /** The norm whose statistics it measures, by index; null for the last stage, which gives the output. */
  measures: number | null;
  /** Whole tensors no later stage reads: released after this one. */
  releases: string[];
  /** Its nodes' work per photo pixel (StagedGraph.workPerPixel). */
  workPerPixel: number;
}

export interface StagedPlan {
  stages: Stage[];
  /** Bytes of whole tensors held at once, at most. */
  peakBytes: number;
  /** Work of the whole plan, tiles' margins aside. */
  work: number;
}

/** Whole-tensor memory for staged translation by default: a quarter of the machine's, 1 to 4 GiB. */
export function defaultStagedBudget(totalMemory: number): number {
  return Math.min(4 * 2 ** 30, Math.max(2 ** 30, totalMemory / 4));
}

/** The plan of least work whose whole tensors fit `budget` bytes for a (stride-padded) photo of width × height. */
export function planStages(graph: StagedGraph, width: number, height: number, budget: number): StagedPlan {
  const fine = planWith(graph, width, height, budget, true);
  const cuts = planWith(graph, width, height, budget, false);
  return fine.work <= cuts.work ? fine : cuts;
}

function planWith(graph: StagedGraph, width: number, height: number, budget: number, fine: boolean): StagedPlan {
  const bytesOf = (t: string) => {
    if (t === graph.input) return 0; // the photo's own pixels, held anyway
    const { channels, scale } = graph.sites.get(t)!;
    return (channels * (width / scale) * (height / scale) * 4) | 0;
  };
  const sum = (ts: Iterable<string>) => [...ts].reduce((total, t) => total + bytesOf(t), 0);
  const workOf = (nodes: number[]) => nodes.reduce((total, n) => total + graph.workPerPixel[n], 0);
  const done = new Set<number>();
  let whole = new Set<string>([graph.input]);
  const stillNeeded = (tensors: Iterable<string>) => new Set([...tensors].filter((t) => t === graph.output || graph.consumers(t).some((n) => !done.has(n))));
  const stages: Stage[] = [];
  let peakBytes = 0;
  let work = 0;
  const add = (outputs: string[], keeps: string[], measures: number | null, nodes: number[], computed: number[]) => {
    peakBytes = Math.max(peakBytes, sum(whole) + sum(keeps));
    computed.forEach((n) => done.add(n));
    const inputs = [...whole].filter((t) => nodes.some((n) => graph.nodes[n].input?.includes(t)));
    const next = stillNeeded([...whole, ...keeps]);
    stages.push({ inputs, outputs, keeps, measures, releases: [...whole].filter((t) => !next.has(t)), workPerPixel: workOf(nodes) });
    work += workOf(nodes) * width * height;
    whole = next;
  };

  graph.norms.forEach((norm, k) => {
    const target = norm.input;
    const nodes = graph.closure([target], whole);
    const inside = new Set(nodes);
    // What this part computes that something outside it reads: kept, the next parts start from it.
    const leaving = nodes.map((n) => graph.nodes[n].output![0]).filter((t) => t === target || graph.consumers(t).some((c) => !inside.has(c)));
    if (fine && sum(whole) + sum(leaving) <= budget) return add(leaving, leaving, k, nodes, nodes);
    const producedHere = new Set(nodes.map((n) => graph.nodes[n].output![0]));
    const cut = [...graph.cuts].reverse().find((c) => producedHere.has(c) && sum(whole) + bytesOf(c) <= budget);
    if (!cut) return add([target], [], k, nodes, []);
    const outputs = cut === target ? [target] : [target, cut];
    add(outputs, [cut], k, nodes, graph.closure([cut], whole));
  });
  const last = graph.closure([graph.output], whole);
  add([graph.output], [graph.output], null, last, last);
  return { stages, peakBytes, work };
}

/** Where a stage's tiles go: per axis, the part of the photo each owns and the part it reads, in photo pixels. */
export interface StageTiles {
  columns: { own: Span; read: Span }[];
  rows: { own: Span; read: Span }[];
}

/**
 * Tiles for a stage over a photo of width × height (photo pixels; both multiples of the stage's largest scale),
 * each reading at most about `tileBytes` for its largest tensor, with margins its outputs' reach needs; null when
 * the photo is not on the stage's grid.
 */
export function stageTiles(graph: StagedGraph, stage: Stage, reach: ReadonlyMap<string, Reach>, nodes: number[], width: number, height: number, tileBytes: number): StageTiles | null {
  const tensors = [...stage.inputs, ...nodes.map((n) => graph.nodes[n].output![0])];
  const sites = tensors.map((t) => graph.sites.get(t)!);
  const grid = Math.max(1, ...sites.map((s) => s.scale));
  if (width % grid !== 0 || height % grid !== 0) return null;
  const inputScale = Math.max(...stage.inputs.map((t) => graph.sites.get(t)!.scale));
  const reaches = stage.outputs.map((o) => reach.get(o)!);
  const margin = roundUpTo(Math.max(0, ...reaches.map((r) => -r.low), ...reaches.map((r) => r.high + inputScale)), grid);
  // Bytes per photo pixel of the densest tensor: a 7×7 stem's 64 channels at full resolution, a block's 256 at 1/4.
  const density = Math.max(...sites.map((s) => (4 * s.channels) / (s.scale * s.scale)));
  const side = Math.floor(Math.sqrt(tileBytes / density) / grid) * grid;
  const own = Math.max(grid, Math.floor((side - 2 * margin) / grid) * grid);
  const axis = (length: number) => {
    const count = Math.ceil(length / own);
    const size = roundUpTo(Math.ceil(length / count), grid);
    return Array.from({ length: count }, (_, i) => {
      const start = i * size;
      const end = Math.min(length, start + size);
      const readStart = Math.max(0, start - margin);
      return { own: { start, size: end - start }, read: { start: readStart, size: Math.min(length, end + margin) - readStart } };
    }).filter((t) => t.own.size > 0);
  };
  return { columns: axis(width), rows: axis(height) };
}
