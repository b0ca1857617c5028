// How much memory a training graph needs, and the refusal of one that cannot fit: estimated before its session
// opens by running its nodes in order and keeping each value from the node that makes it to its last reader
// (ONNX Runtime's planner reuses buffers the same way). Weights, moments and the step's images are live throughout.
import { totalmem } from 'node:os';
import { UsageError, option } from '../errors.js';
import { sizeOf, type Graph, type Sym } from './graph.js';
import { liveNodes } from './to-onnx.js';

export interface GraphMemory {
  /** The most bytes alive at once. */
  peakBytes: number;
  /** Bytes of the graph's inputs (weights, moments, images): alive from start to end. */
  inputBytes: number;
  /** The largest single value: a GPU provider holds each value in one buffer, which its device bounds. */
  largestValueBytes: number;
}

const bytesOf = (g: Graph, s: Sym) => sizeOf(s.shape) * (g.isIndex(s) ? 8 : 4);

export function graphMemory(g: Graph, outputs: readonly Sym[]): GraphMemory {
  const nodes = liveNodes(g, outputs);
  const lastUse = new Map<number, number>();
  nodes.forEach((n, i) => n.inputs.forEach((x) => lastUse.set(x.id, i)));
  for (const o of outputs) lastUse.set(o.id, nodes.length);
  let live = 0;
  let inputBytes = 0;
  let peakBytes = 0;
  let largestValueBytes = 0;
  const freed = new Map<number, number[]>();
  nodes.forEach((n, i) => {
    const bytes = bytesOf(g, n.output);
    live += bytes;
    if (n.op === 'input') inputBytes += bytes;
    peakBytes = Math.max(peakBytes, live);
    largestValueBytes = Math.max(largestValueBytes, bytes);
    const end = n.op === 'input' ? nodes.length : lastUse.get(n.output.id) ?? i;
    freed.set(end, [...(freed.get(end) ?? []), bytes]);
    for (const b of freed.get(i) ?? []) live -= b;
  });
  return { peakBytes, inputBytes, largestValueBytes };
}

/**
 * What ONNX Runtime takes beyond the planned values (its arena's rounding, convolution workspaces), measured as
 * the process's peak against the plan: standard CycleGAN at 256 px, 2.4 GiB planned for its generator step, 4.5 GB
 * at most in the process (both steps, tfjs and Node included); light at 128 px, 0.3 GiB against 0.8 GB.
 */
const RUNTIME_OVERHEAD = 1.8;

/** What one process may plan to use of this machine's memory: the rest is the system's, the studio's, tfjs's copies. */
export const cpuTrainingBudget = () => totalmem() * 0.7;

/**
 * Refuses, before its first step, a phase whose graph needs more memory than `budget`, saying which batch or size
 * would fit: what is not inputs grows with batch × size², the inputs stay.
 */
export function checkGraphFits(memory: GraphMemory, budget: number, run: StepShape): void {
  const need = memory.peakBytes * RUNTIME_OVERHEAD;
  if (need <= budget) return;
  const inputs = memory.inputBytes * RUNTIME_OVERHEAD;
  throw new UsageError(
    `size ${run.size} with batch ${run.batch} needs about ${gib(need)} for the ${run.phase} step on ${run.where}, more than the ${gib(budget)} ` +
      `it can use. ${whatFits(run, (budget - inputs) / (need - inputs))}`,
  );
}

/**
 * Refuses, before its first step, a phase whose largest value would not fit one buffer of a GPU device (WebGPU
 * adapters bound each buffer; ONNX Runtime would fail mid-step), saying which batch or size would fit.
 */
export function checkBuffersFit(memory: GraphMemory, maxBufferBytes: number, run: StepShape): void {
  if (memory.largestValueBytes <= maxBufferBytes) return;
  throw new UsageError(
    `size ${run.size} with batch ${run.batch} makes a ${gib(memory.largestValueBytes)} tensor in the ${run.phase} step, more than one buffer ` +
      `of ${run.where} holds (${gib(maxBufferBytes)}). ${whatFits(run, maxBufferBytes / memory.largestValueBytes)}`,
  );
}

export interface StepShape {
  phase: string;
  size: number;
  batch: number;
  where: string;
}

const gib = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.ceil(bytes / 2 ** 20)} MiB`);

/** The batch and size that fit `room` (the fraction of today's batch × (size + padding)² that fits). */
function whatFits(run: StepShape, room: number): string {
  const fitting: string[] = [];
  const batch = Math.floor(run.batch * room);
  if (batch >= 1) fitting.push(`${option('batch', batch)} at this size`);
  // The largest values are padded images (a 7×7 stem's reflection adds 6 pixels): they grow as (size + 8)².
  const size = Math.floor((Math.sqrt(Math.max(room, 0)) * (run.size + 8) - 8) / 4) * 4;
  if (size >= 8) fitting.push(`${option('size', size)} or less at this batch`);
  return fitting.length > 0 ? `What fits: ${fitting.join(', or ')}.` : 'Nothing this large fits.';
}
