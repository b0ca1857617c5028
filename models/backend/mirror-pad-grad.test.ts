// The MirrorPad gradient fix against the exact adjoint (built here index by index), on every backend that
// starts on this machine (cpu, wasm, and tensorflow when tfjs-node is installed). Restores the backend it found.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.js';
import { initBackend, type BackendName } from './index.js';
import { assertClose, gradients, normals, size } from './test-util.js';

type Mode = 'reflect' | 'symmetric';
interface PadCase {
  shape: number[];
  paddings: Array<[number, number]>;
  mode: Mode;
}

const CASES: PadCase[] = [
  { shape: [5], paddings: [[2, 3]], mode: 'reflect' },
  { shape: [5], paddings: [[2, 3]], mode: 'symmetric' },
  { shape: [4, 6], paddings: [[1, 2], [3, 0]], mode: 'reflect' },
  { shape: [4, 6], paddings: [[4, 2], [0, 6]], mode: 'symmetric' }, // symmetric allows padding = size
  { shape: [1, 7, 6, 2], paddings: [[0, 0], [3, 3], [3, 3], [0, 0]], mode: 'reflect' }, // a ResNet generator's stem
  { shape: [2, 4, 5, 3], paddings: [[0, 0], [1, 1], [1, 1], [0, 0]], mode: 'reflect' }, // its residual blocks
  { shape: [2, 4, 5, 3], paddings: [[0, 0], [2, 1], [0, 3], [0, 0]], mode: 'symmetric' },
  { shape: [12], paddings: [[10, 9]], mode: 'reflect' }, // wide strips take the tf.reverse path
];

/** Where padded index k (along an axis of length n, `before` in front) reads from, as numpy/TF define it. */
function source(k: number, n: number, before: number, mode: Mode): number {
  const j = k - before;
  if (j < 0) return mode === 'reflect' ? -j : -j - 1;
  if (j >= n) return mode === 'reflect' ? 2 * (n - 1) - j : 2 * n - 1 - j;
  return j;
}

/** The adjoint of mirror padding, index by index: every padded cell adds its v to the cell it copies. */
function exactAdjoint(c: PadCase, v: Float32Array): Float64Array {
  const out = new Float64Array(size(c.shape));
  const padded = c.shape.map((n, d) => n + c.paddings[d][0] + c.paddings[d][1]);
  const index = padded.map(() => 0);
  for (let flat = 0; flat < v.length; flat++) {
    let rest = flat;
    for (let d = padded.length - 1; d >= 0; d--) {
      index[d] = rest % padded[d];
      rest = Math.floor(rest / padded[d]);
    }
    let target = 0;
    for (let d = 0; d < padded.length; d++) target = target * c.shape[d] + source(index[d], c.shape[d], c.paddings[d][0], c.mode);
    out[target] += v[flat];
  }
  return out;
}

async function availableBackends(): Promise<BackendName[]> {
  const names: BackendName[] = ['cpu', 'wasm'];
  try {
    await initBackend('tensorflow');
    names.push('tensorflow');
  } catch {
    // not installed here: covered wherever it is
  }
  return names;
}

let found: string | undefined; // undefined when no backend had been started
before(() => {
  found = tf.getBackend();
});
after(async () => {
  if (found !== undefined) await tf.setBackend(found);
});

test('the mirrorPad gradient is the exact adjoint on every available backend', async () => {
  const rng = new Rng(99);
  for (const backend of await availableBackends()) {
    await initBackend(backend);
    for (const c of CASES) {
      const padded = c.shape.map((n, d) => n + c.paddings[d][0] + c.paddings[d][1]);
      const x = normals(rng, c.shape);
      const v = normals(rng, padded);
      const loss = (t: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(t, c.paddings, c.mode), tf.tensor(v, padded))) as tf.Scalar;
      const [g] = gradients(loss, [{ shape: c.shape, values: x }]);
      const what = `${backend} ${JSON.stringify(c)}`;
      assertClose(g, exactAdjoint(c, v), 1e-6, what);
      // Dot-product test: <mirrorPad(x), v> = <x, mirrorPad*(v)>.
      const lhs = tf.tidy(() => loss(tf.tensor(x, c.shape)).dataSync()[0]);
      const rhs = x.reduce((s, xi, i) => s + xi * g[i], 0);
      assert.ok(Math.abs(lhs - rhs) <= 1e-5 * (Math.abs(lhs) + size(padded)), `${what}: <Px,v> ${lhs} ≠ <x,P*v> ${rhs}`);
    }
  }
});

test('the stock gradient (centre slice only) would be wrong: the fix is what the tape uses', async () => {
  await initBackend('cpu');
  const c = CASES[4];
  const padded = c.shape.map((n, d) => n + c.paddings[d][0] + c.paddings[d][1]);
  const v = tf.ones(padded);
  const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(t, c.paddings, c.mode), v)))([tf.zeros(c.shape)]);
  // With v = 1 the adjoint counts the padded cells that copy each input cell: 1 for the corner (reflect never
  // repeats the edge); 3 × 3 for the centre of a 7×7 map padded by 3, which both the top and the bottom (and the
  // left and the right) reflections copy. The stock slice gives 1 everywhere.
  assert.equal(g.max().dataSync()[0], 9);
  assert.equal(g.min().dataSync()[0], 1);
  tf.dispose([v, g]);
});
