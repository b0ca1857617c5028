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

/**
 * Whole-tensor memory for staged translation by default: a quarter of the machine's, 1 to 3 GiB. At 3 GiB a
 * 12-megapixel photo through the standard generator holds 2.3 GB and does 1.46× a whole pass's work; the 3.8 GB
 * that would bring it to 1.05× is more than a conversion beside a training should take.
 */
export function defaultStagedBudget(totalMemory: number): number {
  return Math.min(3 * 2 ** 30, Math.max(2 ** 30, totalMemory / 4));
}

/** The plan of least work whose whole tensors fit `budget` bytes for a (stride-padded) photo of width × height. */
export function planStages(graph: StagedGraph, width: number, height: number, budget: number): StagedPlan {
  // The fine plan is greedy: keeping a large tensor early can leave no room later, so it is also tried within
  // smaller budgets, which keep less early on.
  const candidates = [planCuts(graph, width, height, budget), ...[1, 0.9, 0.8, 0.7, 0.6, 0.5].map((f) => planFine(graph, width, height, budget * f))];
  const fitting = candidates.filter((p) => p.peakBytes <= budget);
  return (fitting.length ? fitting : candidates.slice(0, 1)).reduce((best, p) => (p.work < best.work || (p.work === best.work && p.peakBytes < best.peakBytes) ? p : best));
}

const bytesOfTensor = (graph: StagedGraph, width: number, height: number) => (t: string) => {
  if (t === graph.input) return 0; // the photo's own pixels, held anyway
  const { channels, scale } = graph.sites.get(t)!;
  return channels * (width / scale) * (height / scale) * 4;
};

/**
 * Keeping only cuts: the chain of cuts (from the photo to the output) whose neighbours fit the budget together,
 * chosen for least work, where a norm between two kept cuts costs a run from the first cut to its input. Where no
 * two cuts fit together, the photo and the output are the chain: every norm is measured from the photo.
 */
function planCuts(graph: StagedGraph, width: number, height: number, budget: number): StagedPlan {
  const bytes = bytesOfTensor(graph, width, height);
  const workOf = (nodes: number[]) => nodes.reduce((total, n) => total + graph.workPerPixel[n], 0);
  const chain = [graph.input, ...graph.cuts.filter((c) => c !== graph.output && graph.sites.get(c)!.aligned), graph.output];
  const normsAfter = (from: string, to: string) => {
    const inside = new Set(graph.closure([to], new Set([from])));
    return graph.norms.flatMap((norm, k) => (inside.has(graph.nodes.indexOf(norm.node)) ? [k] : []));
  };
  const segmentWork = (i: number, j: number) => {
    const from = new Set([chain[i]]);
    return normsAfter(chain[i], chain[j]).reduce((sum, k) => sum + workOf(graph.closure([graph.norms[k].input], from)), workOf(graph.closure([chain[j]], from)));
  };
  const best: { work: number; from: number; peak: number }[] = [{ work: 0, from: -1, peak: 0 }];
  for (let j = 1; j < chain.length; j++) {
    best[j] = { work: Infinity, from: -1, peak: Infinity };
    for (let i = 0; i < j; i++) {
      const peak = Math.max(best[i].peak, bytes(chain[i]) + bytes(chain[j]));
      if (best[i].work === Infinity || (peak > budget && i !== 0)) continue;
      const work = best[i].work + segmentWork(i, j);
      if (work < best[j].work) best[j] = { work, from: i, peak };
    }
  }
  const kept: number[] = [];
  for (let j = chain.length - 1; j > 0; j = best[j].from) kept.unshift(j);
  const stages: Stage[] = [];
  let from = 0;
  for (const to of kept) {
    const input = chain[from];
    const nodesTo = (t: string) => graph.closure([t], new Set([input]));
    for (const k of normsAfter(input, chain[to]))
      stages.push({ inputs: [input], outputs: [graph.norms[k].input], keeps: [], measures: k, releases: [], workPerPixel: workOf(nodesTo(graph.norms[k].input)) });
    stages.push({ inputs: [input], outputs: [chain[to]], keeps: [chain[to]], measures: null, releases: input === graph.input ? [] : [input], workPerPixel: workOf(nodesTo(chain[to])) });
    from = to;
  }
  return { stages, peakBytes: best[chain.length - 1].peak, work: best[chain.length - 1].work * width * height };
}

/** Keeping every tensor a later stage reads, stage by stage while that fits; else a cut, else nothing. */
function planFine(graph: StagedGraph, width: number, height: number, budget: number): StagedPlan {
  const bytesOf = bytesOfTensor(graph, width, height);
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
    const aligned = leaving.every((t) => graph.sites.get(t)!.aligned);
    if (aligned && sum(whole) + sum(leaving) <= budget) return add(leaving, leaving, k, nodes, nodes);
    const producedHere = new Set(nodes.map((n) => graph.nodes[n].output![0]));
    const cut = [...graph.cuts].reverse().find((c) => producedHere.has(c) && graph.sites.get(c)!.aligned && sum(whole) + bytesOf(c) <= budget);
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
