// Shared by the family tests: small synthetic image sets, batch sources that count their draws, and
// the checks every family must pass (no tensor leaks, exact resume). Not a test file itself.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.js';
import type { Batches, FamilyModel, ModelFamily } from './family.js';

/** size×size RGB images in [-1, 1]: a random colour ramp plus a soft blob, so there is structure to learn. */
export function syntheticImages(seed: number, count: number, size: number): Float32Array[] {
  const rng = new Rng(seed);
  const images: Float32Array[] = [];
  for (let i = 0; i < count; i++) {
    const from = [0, 1, 2].map(() => rng.uniform() * 1.6 - 0.8);
    const to = [0, 1, 2].map(() => rng.uniform() * 1.6 - 0.8);
    const blob = [0, 1, 2].map(() => rng.uniform() * 1.6 - 0.8);
    const [cx, cy, r] = [rng.uniform() * size, rng.uniform() * size, size * (0.15 + 0.2 * rng.uniform())];
    const pixels = new Float32Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const t = x / (size - 1);
        const w = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r));
        for (let c = 0; c < 3; c++) pixels[(y * size + x) * 3 + c] = (1 - w) * (from[c] + (to[c] - from[c]) * t) + w * blob[c];
      }
    }
    images.push(pixels);
  }
  return images;
}

export function toBatch(images: Float32Array[], size: number): tf.Tensor4D {
  const data = new Float32Array(images.length * size * size * 3);
  images.forEach((img, i) => data.set(img, i * img.length));
  return tf.tensor4d(data, [images.length, size, size, 3]);
}

/** A deterministic stream of random minibatches (a fresh tensor per draw, as a data loader gives), counting draws. */
export function batchSource(a: Float32Array[], size: number, batchSize: number, seed: number, b?: Float32Array[]) {
  const rng = new Rng(seed);
  const pick = (pool: Float32Array[]) => Array.from({ length: batchSize }, () => pool[rng.int(pool.length)]);
  const source = {
    draws: 0,
    next: (): Batches => {
      source.draws += 1;
      return b ? { a: toBatch(pick(a), size), b: toBatch(pick(b), size) } : { a: toBatch(pick(a), size) };
    },
  };
  return source;
}

export const average = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Trains for `iterations` steps and returns each step's losses. */
export async function train(model: FamilyModel, next: () => Batches, iterations: number, lrScale = 1): Promise<Record<string, number>[]> {
  const history: Record<string, number>[] = [];
  for (let i = 0; i < iterations; i++) history.push(await model.trainStep(next, lrScale));
  return history;
}

/** After a warm-up (optimizer moments, pools filling), further steps must not change the tensor count; nor may sampleGrid beyond its rows. */
export async function assertNoLeaks(model: FamilyModel, next: () => Batches, warmup: number): Promise<void> {
  await train(model, next, warmup);
  const before = tf.memory().numTensors;
  await train(model, next, 3);
  assert.equal(tf.memory().numTensors, before, 'tensor count grew during training steps');
  const fixed = next();
  const withFixed = tf.memory().numTensors;
  const grid = model.sampleGrid(fixed);
  assert.equal(tf.memory().numTensors, withFixed + grid.rows.length, 'sampleGrid made tensors besides its rows');
  tf.dispose([fixed.a, fixed.b, ...grid.rows.map((r) => r.images)]);
  assert.equal(tf.memory().numTensors, before);
}

/**
 * Trains `warmup` steps, saves the state, loads it into a model created from a different seed, and checks
 * that both then produce identical losses on identical batches.
 */
export async function assertExactResume<C extends object>(family: ModelFamily<C>, config: C, data: { a: Float32Array[]; b?: Float32Array[]; size: number; batch: number }, warmup = 2): Promise<void> {
  const original = family.create(config, new Rng(11));
  await train(original, batchSource(data.a, data.size, data.batch, 5, data.b).next, warmup);
  const state = original.getState();
  const saved = { tensors: Object.fromEntries(Object.entries(state.tensors).map(([k, t]) => [k, t.clone()])), json: JSON.parse(JSON.stringify(state.json)) };
  const resumed = family.create(config, new Rng(999));
  resumed.setState(saved);
  tf.dispose(Object.values(saved.tensors));
  const expected = await train(original, batchSource(data.a, data.size, data.batch, 6, data.b).next, 2);
  const actual = await train(resumed, batchSource(data.a, data.size, data.batch, 6, data.b).next, 2);
  assert.deepEqual(actual, expected);
  // Without the state the same steps give other losses: the comparison above has teeth.
  const fresh = family.create(config, new Rng(999));
  assert.notDeepEqual(await train(fresh, batchSource(data.a, data.size, data.batch, 6, data.b).next, 2), expected);
  for (const m of [original, resumed, fresh]) m.dispose();
}
