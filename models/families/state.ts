// The parts of a family's checkpoint state every family has: net weights (`net/<netKey>/<param>`),
// Adam moments (`adam/<name>.m.i`, `adam/<name>.v.i`) with their step counters, and the family's own Rng.
// A checkpoint writer needs nothing but FamilyModel.getState/setState.
import * as tf from '@tensorflow/tfjs';
import type { Net } from '../nets/net.js';
import { Rng, type RngState } from '../rng.js';
import type { Adam } from '../train/adam.js';
import type { Batches, FamilyId, FamilyState } from './family.js';

/** Bumped when the layout of a family's state changes, so an old checkpoint fails with a clear message. */
const STATE_VERSION = 1;

export interface Trainables {
  family: FamilyId;
  nets: Record<string, Net>;
  optimizers: Record<string, Adam>;
  /** The family's own random stream (noise, ε, pool decisions); null for families that draw none while training. */
  rng: Rng | null;
  /** Fixed tensors kept for comparable samples over time (e.g. `fixedNoise`), saved under their own key. */
  fixed?: Record<string, tf.Variable>;
}

export function commonState(t: Trainables): FamilyState {
  const tensors: Record<string, tf.Tensor> = {};
  for (const [key, net] of Object.entries(t.nets)) {
    for (const [param, v] of net.params) tensors[`net/${key}/${param}`] = v;
  }
  const steps: Record<string, number> = {};
  for (const [name, adam] of Object.entries(t.optimizers)) {
    const s = adam.getState(`adam/${name}`);
    Object.assign(tensors, s.tensors);
    steps[name] = s.step;
  }
  Object.assign(tensors, t.fixed);
  return { tensors, json: { family: t.family, stateVersion: STATE_VERSION, adamSteps: steps, rng: t.rng?.getState() ?? null } };
}

/** Restores weights and optimizers in place; returns the restored Rng (Rng state cannot be set in place). */
export function restoreCommonState(t: Trainables, state: FamilyState): Rng | null {
  const { json, tensors } = state;
  if (json.family !== t.family) {
    throw new Error(`this checkpoint belongs to a ${String(json.family)} model, not ${t.family}; resume it with the family it was trained with`);
  }
  if (json.stateVersion !== STATE_VERSION) {
    throw new Error(`this ${t.family} checkpoint has state version ${String(json.stateVersion)}; this Darkroom reads version ${STATE_VERSION}`);
  }
  for (const [key, net] of Object.entries(t.nets)) {
    for (const [param, v] of net.params) assignChecked(v, tensors, `net/${key}/${param}`);
  }
  const steps = json.adamSteps as Record<string, number> | undefined;
  for (const [name, adam] of Object.entries(t.optimizers)) {
    const step = steps?.[name];
    if (typeof step !== 'number') throw new Error(`checkpoint is missing the step counter of optimizer ${name}`);
    const own = adam.getState(`adam/${name}`).tensors;
    for (const [key, moment] of Object.entries(own)) checkShape(moment, tensors, key);
    adam.setState(`adam/${name}`, tensors, step);
  }
  for (const [key, v] of Object.entries(t.fixed ?? {})) assignChecked(v, tensors, key);
  if (!t.rng) return null;
  if (!Array.isArray(json.rng) || json.rng.length !== 4) throw new Error(`checkpoint is missing the ${t.family} model's random generator state`);
  return new Rng(json.rng as RngState);
}

function checkShape(like: tf.Tensor, tensors: Record<string, tf.Tensor>, key: string): tf.Tensor {
  const t = tensors[key];
  if (!t) throw new Error(`checkpoint is missing ${key}`);
  if (t.shape.join('×') !== like.shape.join('×')) {
    throw new Error(
      `checkpoint's ${key} has shape [${t.shape}], the model expects [${like.shape}]: was it trained with other options (size, preset, latent…)?`,
    );
  }
  return t;
}

/** Copies tensors[key] into a variable after checking it exists and has the variable's shape. */
function assignChecked(into: tf.Variable, tensors: Record<string, tf.Tensor>, key: string): void {
  into.assign(checkShape(into, tensors, key));
}

/** Reads many scalars with one asynchronous download (every backend has one; GPUs have no other) and disposes them. */
export async function readScalars(scalars: Record<string, tf.Scalar>): Promise<Record<string, number>> {
  const names = Object.keys(scalars);
  if (names.length === 0) return {};
  const stacked = tf.tidy(() => tf.stack(names.map((n) => scalars[n])));
  tf.dispose(Object.values(scalars));
  try {
    const values = await stacked.data();
    return Object.fromEntries(names.map((n, i) => [n, values[i]]));
  } finally {
    stacked.dispose();
  }
}

/** A two-domain family's fixed sample batches, checked (NHWC RGB, sides multiples of 4), and how many pairs to show. */
export function checkSamplePairs(fixed: Batches, family: FamilyId): { a: tf.Tensor4D; b: tf.Tensor4D; n: number } {
  const a = checkImages(fixed.a, 'domain A sample images', null, family);
  const b = checkImages(fixed.b, 'domain B sample images', null, family);
  for (const [h, w] of [a.shape.slice(1, 3), b.shape.slice(1, 3)]) {
    if (h % 4 !== 0 || w % 4 !== 0) throw new Error(`${family}: sample images must have height and width multiples of 4, got ${h}×${w}`);
  }
  return { a, b, n: Math.min(a.shape[0], b.shape[0]) };
}

/** Checks a batch is NHWC RGB of the size the nets were built for (null: any size). */
export function checkImages(images: tf.Tensor | undefined, what: string, size: number | null, family: FamilyId): tf.Tensor4D {
  if (!images) throw new Error(`${family}: ${what} is missing from the batch`);
  const [n, h, w, c] = images.shape;
  if (images.rank !== 4 || c !== 3 || n < 1) throw new Error(`${family}: ${what} must be NHWC RGB images, got shape [${images.shape}]`);
  if (size !== null && (h !== size || w !== size)) {
    throw new Error(`${family}: ${what} are ${h}×${w} but the model was built for ${size}×${size}; load the data with the model's size`);
  }
  return images as tf.Tensor4D;
}
