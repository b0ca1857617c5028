// The gradients our networks need, as test cases shared by every backend's gradient tests (ops-grad.test.ts for
// wasm, webgpu.test.ts for WebGPU): each op alone, and a CycleGAN in miniature. Not a test file itself.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.js';
import { normals, onBackend, readGradients } from './test-util.js';

const X: number[] = [2, 5, 6, 3];

export interface OpCase {
  name: string;
  shapes: number[][];
  f: (...xs: tf.Tensor[]) => tf.Tensor;
  /** Round the random inputs (to create ties). */
  integers?: boolean;
}

const pos = (t: tf.Tensor) => tf.add(tf.abs(t), 0.5);
export const t4 = (t: tf.Tensor) => t as tf.Tensor4D;

export const OPS: OpCase[] = [
  { name: 'leakyRelu', shapes: [X], f: (x) => tf.leakyRelu(x, 0.2) },
  { name: 'relu', shapes: [X], f: (x) => tf.relu(x) },
  { name: 'tanh', shapes: [X], f: (x) => tf.tanh(x) },
  { name: 'sigmoid', shapes: [X], f: (x) => tf.sigmoid(x) },
  { name: 'softplus', shapes: [X], f: (x) => tf.softplus(x) },
  { name: 'logSigmoid', shapes: [X], f: (x) => tf.logSigmoid(x) },
  { name: 'abs', shapes: [X], f: (x) => tf.abs(x) },
  { name: 'log', shapes: [X], f: (x) => tf.log(pos(x)) },
  { name: 'log1p', shapes: [X], f: (x) => tf.log1p(tf.abs(x)) },
  { name: 'exp', shapes: [X], f: (x) => tf.exp(tf.mul(x, 0.5)) },
  { name: 'square', shapes: [X], f: (x) => tf.square(x) },
  { name: 'sqrt', shapes: [X], f: (x) => tf.sqrt(pos(x)) },
  { name: 'rsqrt', shapes: [X], f: (x) => tf.rsqrt(pos(x)) },
  { name: 'reciprocal', shapes: [X], f: (x) => tf.reciprocal(pos(x)) },
  { name: 'pow', shapes: [X], f: (x) => tf.pow(pos(x), 1.5) },
  { name: 'neg', shapes: [X], f: (x) => tf.neg(x) },
  { name: 'clipByValue', shapes: [X], f: (x) => tf.clipByValue(x, -0.5, 0.5) },
  { name: 'step', shapes: [X], f: (x) => tf.mul(tf.step(x), x) },
  // tfjs has no gradient for Greater, so a mask must not depend on a differentiated input: use a constant one.
  { name: 'select (where)', shapes: [X], f: (x) => tf.where(tf.greater(tf.sin(tf.range(0, 180).reshape(X)), 0), x, tf.mul(x, 0.2)) },
  { name: 'maximum/minimum', shapes: [X, X], f: (a, b) => tf.add(tf.maximum(a, b), tf.mul(tf.minimum(a, b), 0.3)) },
  { name: 'add/sub/mul/div broadcast', shapes: [X, [3], [1, 1, 1, 3]], f: (x, g, b) => tf.div(tf.sub(tf.mul(x, g), b), pos(b)) },
  { name: 'squaredDifference', shapes: [X, X], f: (a, b) => tf.squaredDifference(a, b) },
  { name: 'mean/sum', shapes: [X], f: (x) => tf.add(tf.mean(x, [1, 2], true), tf.sum(x, 3, true)) },
  {
    name: 'instance norm (moments, rsqrt)',
    shapes: [X, [3], [3]],
    f: (x, gamma, beta) => {
      const { mean, variance } = tf.moments(x, [1, 2], true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), gamma), beta);
    },
  },
  { name: 'concat', shapes: [X, X], f: (a, b) => tf.concat([a, tf.square(b)], 3) },
  { name: 'slice', shapes: [X], f: (x) => tf.slice(x, [0, 1, 1, 0], [-1, 3, 4, -1]) },
  { name: 'pad', shapes: [X], f: (x) => tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]]) },
  { name: 'mirrorPad reflect', shapes: [X], f: (x) => tf.mirrorPad(x, [[0, 0], [2, 2], [1, 3], [0, 0]], 'reflect') },
  { name: 'mirrorPad symmetric', shapes: [X], f: (x) => tf.mirrorPad(x, [[0, 0], [3, 1], [2, 2], [0, 0]], 'symmetric') },
  { name: 'reshape/transpose', shapes: [X], f: (x) => tf.transpose(tf.reshape(x, [10, 18]), [1, 0]) },
  { name: 'matMul', shapes: [[7, 5], [5, 4]], f: (a, b) => tf.matMul(a, b) },
  { name: 'matMul transposed', shapes: [[5, 7], [4, 5]], f: (a, b) => tf.matMul(a, b, true, true) },
  { name: 'batched matMul', shapes: [[3, 4, 5], [3, 5, 2]], f: (a, b) => tf.matMul(a, b) },
  { name: 'avgPool', shapes: [X], f: (x) => tf.avgPool(t4(x), 3, 2, 'same') },
  { name: 'maxPool', shapes: [X], f: (x) => tf.maxPool(t4(x), 2, 2, 'valid') },
  { name: 'maxPool, all values < 0 (stock wasm bug)', shapes: [X], f: (x) => tf.maxPool(t4(tf.neg(tf.abs(x))), 2, 2, 'valid') },
  { name: 'maxPool 3×3 s1 same', shapes: [X], f: (x) => tf.maxPool(t4(x), 3, 1, 'same') },
  { name: 'maxPool 3×3 s2 same, ties', shapes: [X], f: (x) => tf.maxPool(t4(x), 3, 2, 'same'), integers: true },
  { name: 'sigmoid cross-entropy', shapes: [X], f: (x) => tf.losses.sigmoidCrossEntropy(tf.onesLike(x), x) },
  { name: 'mean squared / absolute error', shapes: [X, X], f: (a, b) => tf.add(tf.losses.meanSquaredError(a, b), tf.losses.absoluteDifference(a, b)) },
];

/** A CycleGAN in miniature: ResNet generator (reflection padding, 7×7 stem and head, stride-2 down, transpose up,
 * one residual block, instance norm) and a PatchGAN discriminator; LSGAN + λ·L1 cycle-style loss. */
export const NET_WEIGHTS: number[][] = [
  [7, 7, 3, 4], // G stem
  [3, 3, 4, 8], // G down
  [3, 3, 8, 8], // G res 1
  [3, 3, 8, 8], // G res 2
  [3, 3, 4, 8], // G up (transpose: [kh, kw, out, in])
  [7, 7, 4, 3], // G head
  [4, 4, 3, 4], // D 1
  [4, 4, 4, 8], // D 2
  [4, 4, 8, 1], // D 3
  [1, 16, 16, 3], // the image a
];

export function instanceNorm(x: tf.Tensor4D): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [1, 2], true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
}

export function miniCycleGanLoss(...w: tf.Tensor[]): tf.Scalar {
  const [stem, down, res1, res2, up, head, d1, d2, d3, a] = w.map(t4);
  const reflect = (x: tf.Tensor4D, p: number) => tf.mirrorPad(x, [[0, 0], [p, p], [p, p], [0, 0]], 'reflect');
  let h = tf.relu(instanceNorm(tf.conv2d(reflect(a, 3), stem, 1, 'valid')));
  h = tf.relu(instanceNorm(tf.conv2d(h, down, 2, 'same')));
  const r = instanceNorm(tf.conv2d(reflect(tf.relu(instanceNorm(tf.conv2d(reflect(h, 1), res1, 1, 'valid'))), 1), res2, 1, 'valid'));
  h = tf.add(h, r);
  h = tf.relu(instanceNorm(tf.conv2dTranspose(h, up, [1, 16, 16, 4], 2, 'same')));
  const fake = tf.tanh(tf.conv2d(reflect(h, 3), head, 1, 'valid'));
  let d = tf.leakyRelu(tf.conv2d(fake, d1, 2, 'same'), 0.2);
  d = tf.leakyRelu(instanceNorm(tf.conv2d(d, d2, 2, 'same')), 0.2);
  const patch = tf.conv2d(d, d3, 1, 'same');
  const adversarial = tf.mean(tf.square(tf.sub(patch, 1)));
  const cycle = tf.mean(tf.abs(tf.sub(fake, a)));
  return tf.add(adversarial, tf.mul(10, cycle)) as tf.Scalar;
}

/**
 * One gradient check's set-up: random inputs of `shapes` (rounded to make ties if asked), the loss Σ v⊙f(x) for a
 * random v, and its gradients on the cpu backend, the reference every backend is compared with.
 */
export async function gradientCase(shapes: number[][], f: (...xs: tf.Tensor[]) => tf.Tensor, rng: Rng, integers = false) {
  const inputs = shapes.map((shape) => ({ shape, values: normals(rng, shape).map((v) => (integers ? Math.round(v) : v)) }));
  const outShape = await onBackend('cpu', () => tf.tidy(() => f(...inputs.map((i) => tf.tensor(i.values, i.shape))).shape));
  const v = normals(rng, outShape);
  const loss = (...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), tf.tensor(v, outShape))) as tf.Scalar;
  const reference = await onBackend('cpu', () => readGradients(loss, inputs));
  return { inputs, loss, reference };
}

