// The small language a family states its training objectives in, once, for both engines: TensorFlow.js evaluates
// it eagerly (tfOps below, differentiated by tf.variableGrads), the ONNX Runtime engine records it as a Graph
// (graph-ops.ts), differentiates it and compiles it with the Adam update into one ONNX model per phase.
// Images are batches in whatever layout the engine uses (NHWC in tfjs, NCHW in the graph): an objective only
// splits and joins their batch, flips them, samples their locations, and reduces over all their axes. Every other
// tensor (vectors [N, k], sampled features [B, S, C], scores) has the same layout in both.
import * as tf from '@tensorflow/tfjs';
import { applyNet, tapNet, type Net } from '../nets/net.js';
import { sampleFeatures } from '../families/patch-nce.js';

export type UnaryFn = 'abs' | 'exp' | 'log' | 'softplus' | 'sqrt' | 'neg';

export interface Ops<T> {
  /** The net's forward pass (as training runs it: a conv bias an instance norm cancels is skipped). */
  net(net: Net, x: T): T;
  /** The outputs of the net's top-level layers at `layers` (−1: its input), as nets/net.ts tapNet. */
  taps(net: Net, x: T, layers: readonly number[]): T[];
  /** Joins batches along the batch axis. */
  concat(xs: readonly T[]): T;
  /** Splits a batch into consecutive parts of the given sizes. */
  split(x: T, sizes: readonly number[]): T[];
  batchSize(x: T): number;
  /** Images mirrored left to right. */
  flipWidth(images: T): T;
  /** Each image's channels at locations (row-major indices into its H×W, an int32 input): [B, S, C]. */
  atLocations(maps: T, locations: T): T;

  /** Elementwise, with numpy broadcasting. */
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  scale(x: T, k: number): T;
  scalar(k: number): T;
  unary(fn: UnaryFn, x: T): T;
  /** Mean over every element: a scalar. */
  mean(x: T): T;
  /** Sum over every axis but the batch's: [N]. */
  sumPerItem(x: T): T;

  // Not for images (their axes differ between the engines):
  /** Sum over the last axis. */
  sumLast(x: T, keepDims?: boolean): T;
  /** Splits the last axis into parts of the given sizes. */
  splitLast(x: T, sizes: readonly number[]): T[];
  reshape(x: T, shape: readonly number[]): T;
  /** a · b, or a · bᵀ (last two axes), for matrices or equal batches of them. */
  matmul(a: T, b: T, transposeB?: boolean): T;
}

/**
 * What one phase's objective gives: the loss terms (each logged; their sum, each times its weight, is minimised)
 * and tensors the family needs after.
 */
export interface PhaseResult<T> {
  terms: Record<string, T>;
  /** A term's weight in the minimised sum, where it is not 1 (CUT logs PatchNCE on A and B, and minimises their mean). */
  weights?: Record<string, number>;
  outputs: Record<string, T>;
}

/**
 * One optimisation phase of a family (e.g. CycleGAN's generator step): which nets its optimizer trains, and its
 * objective over named inputs (images as [N, H, W, C] float tensors, vectors, int32 locations).
 */
export interface Phase {
  /** Names the compiled graph: phases that differ in more than their inputs' shapes need different names. */
  readonly name: string;
  readonly trains: readonly Net[];
  /**
   * Values the objective treats as constants (no gradient flows back through them), e.g. PatchNCE's keys, or a
   * GAN's fakes in the discriminator's step; passed to `objective` beside the inputs.
   */
  fixed?<T>(o: Ops<T>, inputs: Record<string, T>): Record<string, T>;
  objective<T>(o: Ops<T>, inputs: Record<string, T>): PhaseResult<T>;
}

export const tfOps: Ops<tf.Tensor> = {
  net: (net, x) => applyNet(net, x),
  taps: (net, x, layers) => tapNet(net, x, layers),
  concat: (xs) => (xs.length === 1 ? xs[0] : tf.concat(xs as tf.Tensor[], 0)),
  split: (x, sizes) => (sizes.length === 1 ? [x] : tf.split(x, [...sizes], 0)),
  batchSize: (x) => x.shape[0],
  flipWidth: (x) => tf.reverse(x, 2),
  atLocations: (maps, locations) => sampleFeatures(maps as tf.Tensor4D, locations as tf.Tensor1D),
  add: (a, b) => tf.add(a, b),
  sub: (a, b) => tf.sub(a, b),
  mul: (a, b) => tf.mul(a, b),
  div: (a, b) => tf.div(a, b),
  scale: (x, k) => tf.mul(x, k),
  scalar: (k) => tf.scalar(k),
  unary: (fn, x) => (fn === 'log' ? tf.log(x) : fn === 'neg' ? tf.neg(x) : tf[fn](x)),
  mean: (x) => tf.mean(x),
  sumPerItem: (x) => tf.sum(x, x.shape.slice(1).map((_, i) => i + 1)),
  sumLast: (x, keepDims = false) => tf.sum(x, -1, keepDims),
  splitLast: (x, sizes) => tf.split(x, [...sizes], -1),
  reshape: (x, shape) => tf.reshape(x, [...shape]),
  matmul: (a, b, transposeB = false) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, transposeB),
};
