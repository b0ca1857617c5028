// Helpers shared by this folder's tests: seeded tensors, closeness checks, gradients on a named backend.

import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { Rng } from '../rng.js';
import { initBackend, type BackendName } from './index.js';

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Standard-normal values for `shape`, from a seeded generator (plain arrays: usable on any backend). */
export function normals(rng: Rng, shape: readonly number[]): Float32Array {
  return rng.normals(size(shape));
}

/** max|a − b| ≤ rel · max|b| (b is the reference). */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  assert.ok(Number.isFinite(worst) && worst <= rel * scale, `${what}: max error ${worst} exceeds ${rel} × ${scale}`);
}

/** Runs `fn` (sync or async) with tfjs on `backend` (started through initBackend), then restores the previous backend. */
export async function onBackend<T>(backend: BackendName, fn: () => T | Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  await initBackend(backend);
  try {
    return await fn();
  } finally {
    if (previous !== undefined) await tf.setBackend(previous);
  }
}

type GradInput = { shape: number[]; values: Float32Array };

// Read back outside tidy: tidy walks whatever it returns, element by element for typed arrays.
function gradientTensors(f: (...xs: tf.Tensor[]) => tf.Scalar, inputs: GradInput[]): tf.Tensor[] {
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
    return tf.grads((...args: tf.Tensor[]) => f(...args))(xs);
  });
}

/** Gradients of f with respect to every input, read back as Float32Arrays (inputs given as shape + values). */
export function gradients(f: (...xs: tf.Tensor[]) => tf.Scalar, inputs: GradInput[]): Float32Array[] {
  const gs = gradientTensors(f, inputs);
  const out = gs.map((g) => Float32Array.from(g.dataSync()));
  tf.dispose(gs);
  return out;
}

/** The same, read back asynchronously: the only way on WebGPU in Node. */
export async function readGradients(f: (...xs: tf.Tensor[]) => tf.Scalar, inputs: GradInput[]): Promise<Float32Array[]> {
  const gs = gradientTensors(f, inputs);
  try {
    return await Promise.all(gs.map(async (g) => Float32Array.from(await g.data())));
  } finally {
    tf.dispose(gs);
  }
}
