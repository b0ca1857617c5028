// Shared by the ONNX tests: nets with random weights whose every parameter matters, and a side-by-side run
// of TensorFlow.js (applyNet, NHWC) and ONNX Runtime (the exported model, NCHW) on the same random input.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.js';
import { applyNet, createNet, type Net } from '../nets/net.js';
import type { NetSpec } from '../nets/spec.js';
import { exportNet } from './export.js';
import { openModel } from './runtime.js';

/** A net built from `spec` with random parameters (see randomizeParams). */
export function randomNet(spec: NetSpec, seed: number): Net {
  const net = createNet(spec, new Rng(seed));
  randomizeParams(net, seed + 1000);
  return net;
}

/**
 * Gives every parameter of `net` a random value: weights N(0, 1/fan_in) (far above the 0.02 of training init,
 * so a wrong layout shows), and random biases and instance-norm scales and shifts instead of zeros and ones.
 */
export function randomizeParams(net: Net, seed: number): void {
  const rng = new Rng(seed);
  for (const [name, variable] of net.params) {
    const size = variable.size;
    let values: Float32Array;
    if (name.endsWith('.gamma')) values = rng.normals(size, 1, 0.5);
    else if (name.endsWith('.b') || name.endsWith('.beta')) values = rng.normals(size, 0, 0.5);
    else values = rng.normals(size, 0, 1 / Math.sqrt(size / variable.shape[variable.shape.length - 1]));
    tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
  }
}

export function randomInput(shape: number[], seed: number): Float32Array {
  const rng = new Rng(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = rng.uniform() * 2 - 1;
  return values;
}

export interface ParityResult {
  /** Largest |tfjs − onnxruntime| over all output values. */
  maxAbsDiff: number;
  /** Largest |tfjs output|, to show the comparison is not between near-zero tensors. */
  maxAbs: number;
  /** Output dims as ONNX Runtime gave them (NCHW for images). */
  onnxDims: number[];
  /** tfjs output dims converted to NCHW for images. */
  tfDims: number[];
}

/**
 * Runs `net` on one random input of `nhwcShape` (image, NHWC) or [N, size] (vector) through tfjs and through
 * its ONNX export in ONNX Runtime, and compares. `bytes` lets a caller reuse an export.
 */
export async function compareWithTfjs(net: Net, inputShape: number[], seed = 7, bytes?: Uint8Array): Promise<ParityResult> {
  const values = randomInput(inputShape, seed);
  const isImage = inputShape.length === 4;
  const nchw = tf.tidy(() => {
    const y = applyNet(net, tf.tensor(values, inputShape));
    return y.rank === 4 ? tf.transpose(y, [0, 3, 1, 2]) : y;
  });
  const tfDims = nchw.shape.slice();
  const tfValues = (await nchw.data()) as Float32Array;
  nchw.dispose();

  const onnxInput = isImage ? nhwcToNchw(values, inputShape) : values;
  const onnxInputDims = isImage ? [inputShape[0], inputShape[3], inputShape[1], inputShape[2]] : inputShape;
  const model = await openModel(bytes ?? (await exportNet(net, { metadata: {} })), { device: 'cpu', threads: 1 });
  try {
    const { data, dims } = await model.run(onnxInput, onnxInputDims);
    let maxAbsDiff = data.length === tfValues.length ? 0 : Infinity;
    let maxAbs = 0;
    for (let i = 0; i < tfValues.length; i++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(tfValues[i] - data[i]));
      maxAbs = Math.max(maxAbs, Math.abs(tfValues[i]));
    }
    if (Number.isNaN(maxAbsDiff)) maxAbsDiff = Infinity;
    return { maxAbsDiff, maxAbs, onnxDims: dims, tfDims };
  } finally {
    await model.dispose();
  }
}

function nhwcToNchw(values: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) out[((b * c + ch) * h + y) * w + x] = values[((b * h + y) * w + x) * c + ch];
  return out;
}
