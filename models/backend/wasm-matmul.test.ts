// The wasm BatchMatMul with transposed operands (wasm-matmul.ts) against cpu: every transpose combination, batched,
// broadcast over the batch, and leaving no tensor behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.js';
import { initBackend } from './index.js';
import { assertClose, normals, onBackend } from './test-util.js';

let found: string | undefined;
before(async () => {
  found = tf.getBackend();
  await initBackend('wasm');
});
after(async () => {
  if (found !== undefined) await tf.setBackend(found);
});

const CASES: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
  { a: [7, 5], b: [5, 4], ta: false, tb: false },
  { a: [5, 7], b: [5, 4], ta: true, tb: false },
  { a: [7, 5], b: [4, 5], ta: false, tb: true },
  { a: [5, 7], b: [4, 5], ta: true, tb: true },
  { a: [3, 6, 9], b: [3, 8, 9], ta: false, tb: true },
  { a: [3, 9, 6], b: [3, 9, 8], ta: true, tb: false },
  { a: [2, 3, 9, 6], b: [1, 1, 8, 9], ta: true, tb: true }, // b broadcast over both batch dimensions
];

test('BatchMatMul with transposed operands equals cpu and leaves no tensor behind', async () => {
  const rng = new Rng(12);
  for (const c of CASES) {
    const [a, b] = [normals(rng, c.a), normals(rng, c.b)];
    const product = () => tf.tidy(() => tf.matMul(tf.tensor(a, c.a), tf.tensor(b, c.b), c.ta, c.tb).dataSync());
    const expected = await onBackend('cpu', product);
    const before = tf.memory().numTensors;
    const got = product();
    assert.equal(tf.memory().numTensors, before, `${JSON.stringify(c)}: tensors left behind`);
    assertClose(got, expected, 1e-5, JSON.stringify(c));
  }
});
