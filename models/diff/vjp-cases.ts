// The operations whose gradient rules the ONNX engine's tests check (vjp.test.ts on the CPU provider,
// onnx-webgpu.test.ts on WebGPU), each with TensorFlow.js's version of the same operation. Not a test file itself.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { openTrainingSession } from '../onnx/runtime.js';
import { Rng } from '../rng.js';
import { Graph, sizeOf, type Sym } from './graph.js';
import { convTransposeSamePadding } from '../nets/spec.js';
import { instanceNorm, perChannel } from './graph-ops.js';
import { toOnnx } from './to-onnx.js';
import { gradients } from './vjp.js';

export interface OpCase {
  name: string;
  shapes: number[][];
  graph: (g: Graph, xs: Sym[], rows?: Sym) => Sym;
  tfjs: (xs: tf.Tensor[], rows?: tf.Tensor) => tf.Tensor;
  /** The gradient treats part of the function as a constant, which a finite difference cannot see. */
  detached?: boolean;
  /** Distinct row indices, fed as the graph's index input `rows` (an int32 tensor in tfjs). */
  rows?: number[];
  /** Kinked ops (relu, abs): inputs kept at least this far from the kink, so the finite difference does not cross it. */
  kinkFree?: boolean;
  /** CPU threads the graph is lowered for and run on (default 1). */
  threads?: number;
}

/** Moves every value 0.1 further from zero. */
const awayFromZero = (v: Float32Array) => v.map((x) => x + (x < 0 ? -0.1 : 0.1));

const nchw = (x: tf.Tensor) => tf.transpose(x, [0, 3, 1, 2]);
const nhwc = (x: tf.Tensor) => tf.transpose(x, [0, 2, 3, 1]);
/** A tfjs image op on NCHW values (the graph's layout). */
const onImages = (f: (x: tf.Tensor4D, ...rest: tf.Tensor[]) => tf.Tensor) => ([x, ...rest]: tf.Tensor[]) => nchw(f(nhwc(x) as tf.Tensor4D, ...rest));
const convWeight = (g: Graph, w: Sym) => g.transpose(w, [3, 2, 0, 1]);

function convCase(name: string, c: number, m: number, k: number, s: number, p: number, size: number): OpCase {
  return {
    name,
    shapes: [[2, c, size, size], [k, k, c, m]],
    graph: (g, [x, w]) => g.conv(x, convWeight(g, w), { strides: [s, s], pads: [p, p, p, p] }),
    tfjs: onImages((x, w) => tf.conv2d(x, w as tf.Tensor4D, s, p === 0 ? 'valid' : [[0, 0], [p, p], [p, p], [0, 0]])),
  };
}

function convTransposeCase(name: string, c: number, m: number, k: number, s: number, size: number): OpCase {
  return {
    name,
    shapes: [[2, c, size, size], [k, k, m, c]],
    graph: (g, [x, w]) => g.convTranspose(x, convWeight(g, w), { strides: [s, s], ...convTransposeSamePadding(k, s) }),
    tfjs: onImages((x, w) => tf.conv2dTranspose(x, w as tf.Tensor4D, [2, size * s, size * s, m], s, 'same')),
  };
}

/** PyTorch's cropping (fine-tuned imported generators): the full output, `crop[0]` off the start, `crop[1]` off the end. */
function croppedConvTransposeCase(name: string, c: number, m: number, k: number, s: number, size: number, crop: [number, number]): OpCase {
  const full = (size - 1) * s + k;
  const out = full - crop[0] - crop[1];
  return {
    name,
    shapes: [[2, c, size, size], [k, k, m, c]],
    graph: (g, [x, w]) => g.convTranspose(x, convWeight(g, w), { strides: [s, s], pads: [crop[0], crop[0], crop[1], crop[1]], outputPadding: [0, 0] }),
    tfjs: onImages((x, w) => tf.slice(tf.conv2dTranspose(x, w as tf.Tensor4D, [2, full, full, m], s, 'valid'), [0, crop[0], crop[0], 0], [2, out, out, m])),
  };
}

// CUT's anti-aliasing filters (models/nets/resnet-generator.ts builds them too; here written out as numbers).
const BLUR_3 = [1, 2, 1, 2, 4, 2, 1, 2, 1].map((v) => v / 16);
const BLUR_4 = [1, 3, 3, 1].flatMap((a) => [1, 3, 3, 1].map((b) => (a * b * 4) / 64));

/** The anti-aliased downsampling's blur: every channel through one 3×3 filter at stride 2, as GraphOps runs it. */
function blurDownCase(): OpCase {
  return {
    name: 'blur down: one constant 3×3 filter per channel at stride 2 (channels as images)',
    shapes: [[2, 4, 9, 8]],
    graph: (g, [x]) => perChannel(g, x, (images) => g.conv(images, g.constant(BLUR_3, [1, 1, 3, 3]), { strides: [2, 2], pads: [0, 0, 0, 0] })),
    tfjs: onImages((x) => tf.depthwiseConv2d(x, tf.tile(tf.tensor4d(BLUR_3, [3, 3, 1, 1]), [1, 1, 4, 1]) as tf.Tensor4D, 2, 'valid')),
  };
}

/** The anti-aliased upsampling's blur: a 4×4 transposed filter at stride 2 per channel, 3 pixels cropped per side. */
function blurUpCase(): OpCase {
  const [c, size] = [3, 5];
  const full = (size - 1) * 2 + 4;
  return {
    name: 'blur up: one constant 4×4 transposed filter per channel at stride 2, cropped',
    shapes: [[2, c, size, size]],
    graph: (g, [x]) => perChannel(g, x, (images) => g.convTranspose(images, g.constant(BLUR_4, [1, 1, 4, 4]), { strides: [2, 2], pads: [3, 3, 3, 3], outputPadding: [0, 0] })),
    tfjs: onImages((x) => {
      const filter = tf.tensor4d(BLUR_4, [4, 4, 1, 1]);
      const channels = tf.split(x, c, 3).map((one) => tf.conv2dTranspose(one as tf.Tensor4D, filter, [2, full, full, 1], 2, 'valid'));
      return tf.slice(tf.concat(channels, 3), [0, 3, 3, 0], [2, full - 6, full - 6, c]);
    }),
  };
}

export const CASES: OpCase[] = [
  convCase('conv 3×3, weight gradient from x, input gradient transposed', 4, 6, 3, 1, 0, 9),
  convCase('conv 3×3 with fewer output channels: weight gradient from dy, input gradient by a flipped conv', 6, 2, 3, 1, 1, 8),
  convCase('conv 3×3 with equal channels (a residual block): input gradient by a flipped conv', 6, 6, 3, 1, 1, 8),
  convCase('conv 4×4 stride 2 pad 1 (PatchGAN)', 3, 5, 4, 2, 1, 10),
  convCase('conv 3×3 stride 2 pad 1 on an odd size', 3, 4, 3, 2, 1, 9),
  convCase('conv 7×7 stem', 3, 4, 7, 1, 0, 12),
  convTransposeCase('transposed conv 3×3 stride 2 (TensorFlow same)', 5, 3, 3, 2, 5),
  convTransposeCase('transposed conv 4×4 stride 2', 4, 2, 4, 2, 4),
  croppedConvTransposeCase("transposed conv 3×3 stride 2 cropped as PyTorch's padding 1, output_padding 1", 5, 3, 3, 2, 5, [1, 0]),
  croppedConvTransposeCase('transposed conv 3×3 stride 2, 8 → 4 channels, PyTorch cropping', 8, 4, 3, 2, 6, [1, 0]),
  // Channels in multiples of 4, as the presets have them (GPU kernels take vectorised paths there).
  convCase('conv 3×3 stride 2 pad 1, 4 → 8 channels', 4, 8, 3, 2, 1, 16),
  convCase('conv 3×3, 16 → 16 channels', 16, 16, 3, 1, 0, 10),
  convCase('conv 7×7 head, 4 → 3 channels', 4, 3, 7, 1, 0, 14),
  convTransposeCase('transposed conv 3×3 stride 2, 8 → 4 channels', 8, 4, 3, 2, 8),
  convTransposeCase('transposed conv 3×3 stride 2, 16 → 8 channels', 16, 8, 3, 2, 4),
  // Lowered for 2 threads, 3 images are cut into convolutions of 2 and 1 (to-onnx.ts): values and gradients unchanged.
  // One image: the strided weight gradient's single product (vjp.ts stridedConvWeightGrad).
  { ...convCase('conv 3×3 stride 2 pad 1 of one image', 3, 5, 3, 2, 1, 10), shapes: [[1, 3, 10, 10], [3, 3, 3, 5]] },
  { ...convCase('conv 3×3 of a batch of 3 on 2 threads', 4, 6, 3, 1, 1, 6), shapes: [[3, 4, 6, 6], [3, 3, 4, 6]], threads: 2 },
  {
    name: 'reflect pad',
    shapes: [[2, 3, 7, 6]],
    graph: (g, [x]) => g.pad(x, [0, 0, 3, 2, 0, 0, 3, 2], 'reflect'),
    tfjs: ([x]) => tf.mirrorPad(x, [[0, 0], [0, 0], [3, 3], [2, 2]], 'reflect'),
  },
  {
    // Axes long enough that the folds are cut apart (vjp.ts reflectPadGrad), with unequal ends.
    name: 'reflect pad, axes longer than both folds',
    shapes: [[2, 3, 9, 6]],
    graph: (g, [x]) => g.pad(x, [0, 0, 3, 1, 0, 0, 2, 1], 'reflect'),
    tfjs: ([x]) => tf.mirrorPad(x, [[0, 0], [0, 0], [3, 2], [1, 1]], 'reflect'),
  },
  {
    name: 'edge pad (replicate), 1 on each side',
    shapes: [[2, 3, 5, 4]],
    graph: (g, [x]) => g.pad(x, [0, 0, 1, 1, 0, 0, 1, 1], 'edge'),
    tfjs: ([x]) => tf.mirrorPad(x, [[0, 0], [0, 0], [1, 1], [1, 1]], 'symmetric'),
  },
  {
    // Two rows repeated per side (two symmetric pads of 1 in tfjs), on a width of one and a height of two.
    name: 'edge pad 2 on short axes',
    shapes: [[2, 3, 2, 1]],
    graph: (g, [x]) => g.pad(x, [0, 0, 2, 2, 0, 0, 2, 2], 'edge'),
    tfjs: ([x]) => {
      const once = (t: tf.Tensor) => tf.mirrorPad(t, [[0, 0], [0, 0], [1, 1], [1, 1]], 'symmetric');
      return once(once(x));
    },
  },
  blurDownCase(),
  blurUpCase(),
  {
    name: 'constant pad',
    shapes: [[2, 3, 4, 5]],
    graph: (g, [x]) => g.pad(x, [0, 0, 1, 2, 0, 0, 2, 0], 'constant'),
    tfjs: ([x]) => tf.pad(x, [[0, 0], [0, 0], [1, 2], [2, 0]]),
  },
  {
    name: 'instance norm (written-out gradient)',
    shapes: [[3, 4, 5, 6]],
    graph: (g, [x]) => {
      const c = g.sub(x, g.mean(x, [2, 3], true));
      const inv = g.div(g.scalar(1), g.unary('sqrt', g.addT(g.mean(g.mul(c, c), [2, 3], true), g.scalar(1e-5))));
      return g.mul(c, inv);
    },
    tfjs: ([x]) => {
      const { mean, variance } = tf.moments(x, [2, 3], true);
      return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
    },
  },
  {
    name: 'instance norm as the nets run it (the gradient written out), 8 channels',
    shapes: [[3, 8, 6, 6]],
    graph: (g, [x]) => g.unary('tanh', instanceNorm(g, x, 1e-5)),
    tfjs: ([x]) => {
      const { mean, variance } = tf.moments(x, [2, 3], true);
      return tf.tanh(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))));
    },
  },
  { name: 'relu', shapes: [[2, 3, 4, 4]], graph: (g, [x]) => g.unary('relu', x), tfjs: ([x]) => tf.relu(x), kinkFree: true },
  { name: 'leaky relu', shapes: [[2, 3, 4, 4]], graph: (g, [x]) => g.leakyRelu(x, 0.2), tfjs: ([x]) => tf.leakyRelu(x, 0.2), kinkFree: true },
  { name: 'tanh', shapes: [[2, 3, 4, 4]], graph: (g, [x]) => g.unary('tanh', x), tfjs: ([x]) => tf.tanh(x) },
  { name: 'sigmoid', shapes: [[2, 3, 4, 4]], graph: (g, [x]) => g.unary('sigmoid', x), tfjs: ([x]) => tf.sigmoid(x) },
  { name: 'softplus', shapes: [[2, 7]], graph: (g, [x]) => g.unary('softplus', x), tfjs: ([x]) => tf.softplus(x) },
  { name: 'exp', shapes: [[2, 7]], graph: (g, [x]) => g.unary('exp', g.scale(x, 0.5)), tfjs: ([x]) => tf.exp(tf.mul(x, 0.5)) },
  { name: 'abs', shapes: [[2, 3, 4]], graph: (g, [x]) => g.unary('abs', x), tfjs: ([x]) => tf.abs(x), kinkFree: true },
  {
    name: 'broadcast add and multiply (a bias, a scale)',
    shapes: [[2, 3, 4, 4], [3], [1, 3, 1, 1]],
    graph: (g, [x, b, s]) => g.mul(g.addT(x, g.reshape(b, [1, 3, 1, 1])), s),
    tfjs: ([x, b, s]) => tf.mul(tf.add(x, tf.reshape(b, [1, 3, 1, 1])), s),
  },
  { name: 'division', shapes: [[2, 5], [2, 5]], graph: (g, [a, b]) => g.div(a, g.addT(g.mul(b, b), g.scalar(1))), tfjs: ([a, b]) => tf.div(a, tf.add(tf.square(b), 1)) },
  { name: 'mean and square (MSE to a target)', shapes: [[2, 1, 3, 3]], graph: (g, [x]) => { const d = g.sub(x, g.scalar(1)); return g.mean(g.mul(d, d)); }, tfjs: ([x]) => tf.mean(tf.square(tf.sub(x, 1))) },
  { name: 'sum over axes', shapes: [[2, 3, 4]], graph: (g, [x]) => g.sum(x, [1, 2]), tfjs: ([x]) => tf.sum(x, [1, 2]) },
  { name: 'matmul', shapes: [[3, 5], [5, 4]], graph: (g, [a, b]) => g.matmul(a, b), tfjs: ([a, b]) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D) },
  {
    name: 'batched matmul with the second transposed (PatchNCE scores)',
    shapes: [[2, 3, 4], [2, 5, 4]],
    graph: (g, [a, b]) => g.matmul(a, g.transpose(b, [0, 2, 1])),
    tfjs: ([a, b]) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true),
  },
  { name: 'log', shapes: [[2, 7]], graph: (g, [x]) => g.unary('log', g.addT(g.mul(x, x), g.scalar(0.5))), tfjs: ([x]) => tf.log(tf.add(tf.square(x), 0.5)) },
  {
    name: 'gather of rows by an index input (its gradient a ScatterND)',
    shapes: [[6, 4]],
    rows: [4, 0, 5],
    graph: (g, [x], rows) => g.gatherRows(g.unary('tanh', x), rows!),
    tfjs: ([x], rows) => tf.gather(tf.tanh(x), rows!),
  },
  {
    name: 'mirrored width (FastCUT), reversed slice with a gradient',
    shapes: [[2, 3, 4, 5]],
    graph: (g, [x]) => g.mul(g.slice(x, 3, 4, -1, -1), x),
    tfjs: ([x]) => tf.mul(tf.reverse(x, 3), x),
  },
  {
    name: 'detach: no gradient through the detached factor',
    shapes: [[2, 5]],
    graph: (g, [x]) => g.mul(g.detach(g.unary('tanh', x)), x),
    tfjs: ([x]) => tf.mul(tf.tensor(tf.tanh(x).dataSync(), x.shape), x),
    detached: true,
  },
  { name: 'transpose and reshape', shapes: [[2, 3, 4, 5]], graph: (g, [x]) => g.reshape(g.transpose(x, [0, 2, 3, 1]), [2, 60]), tfjs: ([x]) => tf.reshape(tf.transpose(x, [0, 2, 3, 1]), [2, 60]) },
  {
    name: 'concat and split of a batch (the pieces joined)',
    shapes: [[2, 3, 2, 2], [1, 3, 2, 2]],
    graph: (g, [a, b]) => {
      const joined = g.unary('tanh', g.concat([a, b], 0));
      const [p, q, r] = [g.slice(joined, 0, 0, 1), g.slice(joined, 0, 1, 2), g.slice(joined, 0, 2, 3)];
      return g.concat([g.scale(r, 2), g.mul(p, q), q], 0);
    },
    tfjs: ([a, b]) => {
      const [p, q, r] = tf.split(tf.tanh(tf.concat([a, b], 0)), 3, 0);
      return tf.concat([tf.mul(r, 2), tf.mul(p, q), q], 0);
    },
  },
];

/** The case's gradients computed by ONNX Runtime on `device`, from its `runs`-th run of one session. */
export async function onnxGradients(c: OpCase, values: Float32Array[], weights: Float32Array, device: 'cpu' | 'webgpu' = 'cpu', runs = 1) {
  const g = new Graph();
  const xs = c.shapes.map((s, i) => g.input(`x${i}`, s));
  const y = c.graph(g, xs, c.rows ? g.indexInput('rows', [c.rows.length, 1]) : undefined);
  const loss = g.sum(g.mul(y, g.input('r', y.shape)));
  const grads = gradients(g, loss, xs);
  const outputs: Record<string, Sym> = { loss };
  grads.forEach((d, i) => (outputs[`d${i}`] = d!));
  const lowered = toOnnx(g, outputs, 'vjp_test', { threads: c.threads });
  const session = await openTrainingSession(lowered.bytes, { device, threads: c.threads ?? 1, label: c.name });
  try {
    const feeds: Record<string, { data: Float32Array | BigInt64Array; dims: number[] }> = { r: { data: weights, dims: [...y.shape] } };
    if (c.rows) feeds.rows = { data: BigInt64Array.from(c.rows, (i) => BigInt(i)), dims: [c.rows.length, 1] };
    values.forEach((v, i) => (feeds[`x${i}`] = { data: v, dims: c.shapes[i] }));
    for (let i = 1; i < runs; i++) await session.run(feeds);
    const out = await session.run(feeds);
    return { shape: y.shape, grads: c.shapes.map((_, i) => out[`d${i}`].data) };
  } finally {
    await session.release();
  }
}

export function assertNear(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, what: string) {
  let worst = 0;
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  assert.ok(worst <= rel * scale, `${what}: max difference ${worst} against a scale of ${scale}`);
}

/** The case's seeded inputs, output weights and tfjs's gradients of Σ output·weights. */
export function referenceGradients(c: OpCase) {
  const rng = new Rng(c.name.length);
  const values = c.shapes.map((s) => (c.kinkFree ? awayFromZero(rng.normals(sizeOf(s))) : rng.normals(sizeOf(s))));
  const tensors = values.map((v, i) => tf.tensor(v, c.shapes[i]));
  const rows = c.rows ? tf.tensor1d(c.rows, 'int32') : undefined;
  const outShape = tf.tidy(() => c.tfjs(tensors, rows).shape);
  const weights = rng.normals(sizeOf(outShape));
  const r = tf.tensor(weights, outShape);
  const lossOf = (xs: tf.Tensor[]) => tf.sum(tf.mul(c.tfjs(xs, rows), r));
  const expected = tf.tidy(() => tf.grads((...xs: tf.Tensor[]) => lossOf(xs))(tensors).map((t) => t.dataSync() as Float32Array));
  tf.dispose(tensors);
  return { rng, values, weights, outShape, lossOf, expected, dispose: () => tf.dispose([r, ...(rows ? [rows] : [])]) };
}
