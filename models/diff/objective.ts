// The small language a family states its training objectives in, once, for both engines: TensorFlow.js evaluates
// it eagerly (TfOps below, differentiated by tf.variableGrads), the ONNX Runtime engine records it as a Graph
// (graph-ops.ts), differentiates it and compiles it with the Adam update into one ONNX model per phase.
// Images are batches in whatever layout the engine uses; an objective only ever splits and joins the batch.
import * as tf from '@tensorflow/tfjs';
import { applyNet, type Net } from '../nets/net.js';
import { l1, mseTo } from '../families/losses.js';

export interface Ops<T> {
  /** The net's forward pass (as training runs it: a conv bias an instance norm cancels is skipped). */
  net(net: Net, x: T): T;
  /** Joins image batches along the batch axis. */
  concat(xs: readonly T[]): T;
  /** Splits a batch into consecutive parts of the given sizes. */
  split(x: T, sizes: readonly number[]): T[];
  batchSize(x: T): number;
  /** Mean absolute difference. */
  l1(a: T, b: T): T;
  /** Mean squared distance from a constant (LSGAN targets). */
  mseTo(x: T, target: number): T;
  scale(x: T, k: number): T;
  add(a: T, b: T): T;
}

/** What one phase's objective gives: the loss terms (summed and minimised) and tensors the family needs after. */
export interface PhaseResult<T> {
  terms: Record<string, T>;
  outputs: Record<string, T>;
}

/**
 * One optimisation phase of a family (e.g. CycleGAN's generator step): which nets its optimizer trains, and its
 * objective over named image inputs.
 */
export interface Phase {
  readonly name: string;
  readonly trains: readonly Net[];
  objective<T>(o: Ops<T>, inputs: Record<string, T>): PhaseResult<T>;
}

export const tfOps: Ops<tf.Tensor> = {
  net: (net, x) => applyNet(net, x),
  concat: (xs) => (xs.length === 1 ? xs[0] : tf.concat(xs as tf.Tensor[], 0)),
  split: (x, sizes) => (sizes.length === 1 ? [x] : tf.split(x, [...sizes], 0)),
  batchSize: (x) => x.shape[0],
  l1: (a, b) => l1(a, b),
  mseTo: (x, target) => mseTo(x, target),
  scale: (x, k) => tf.mul(x, k),
  add: (a, b) => tf.add(a, b),
};
