import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.js';
import { ImagePool } from './image-pool.js';

/** n 1×1 "images" whose single pixel holds their id, so we can see which come back. */
const ids = (values: number[]) => tf.tensor4d(values.flatMap((v) => [v, v, v]), [values.length, 1, 1, 3]);
const read = (t: tf.Tensor) => Array.from(t.dataSync()).filter((_, i) => i % 3 === 0);

test('image pool: fills first, then returns a stored image half of the time', async () => {
  await tf.setBackend('cpu');
  const pool = new ImagePool(4);
  const rng = new Rng(1);
  let out = pool.query(ids([1, 2, 3]), rng);
  assert.deepEqual(read(out), [1, 2, 3]); // not full: pass through and store
  out.dispose();
  out = pool.query(ids([4, 5]), rng);
  assert.deepEqual(read(out)[0], 4); // 4 fills the last slot
  out.dispose();
  assert.equal(pool.size, 4);

  let fromHistory = 0;
  const trials = 400;
  for (let i = 0; i < trials; i++) {
    const fresh = 100 + i;
    const batch = ids([fresh]);
    out = pool.query(batch, rng);
    if (read(out)[0] !== fresh) fromHistory += 1;
    tf.dispose([batch, out]);
  }
  assert.ok(Math.abs(fromHistory / trials - 0.5) < 0.08, `returned a stored image ${fromHistory} of ${trials} times`);
  assert.equal(pool.size, 4);
  pool.dispose();
});

test('image pool: saved contents and the same random stream give the same answers; size 0 passes through', async () => {
  await tf.setBackend('cpu');
  const rng = new Rng(2);
  const pool = new ImagePool(3);
  tf.dispose(pool.query(ids([1, 2, 3, 4, 5, 6]), rng));
  const { tensors, count } = pool.getState('pool');
  const copy = new ImagePool(3);
  copy.setState('pool', tensors, count);
  const rngState = rng.getState();
  const a = pool.query(ids([7, 8, 9, 10]), rng);
  const b = copy.query(ids([7, 8, 9, 10]), new Rng(rngState));
  assert.deepEqual(read(b), read(a));
  assert.throws(() => copy.setState('pool', tensors, 5), /at most 3/);
  const none = new ImagePool(0);
  const c = none.query(ids([1, 2]), rng);
  assert.deepEqual(read(c), [1, 2]);
  assert.equal(none.size, 0);
  tf.dispose([a, b, c]);
  for (const p of [pool, copy, none]) p.dispose();
});
