import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Adam } from './adam.js';

test('Adam minimises a quadratic and leaks no tensors', async () => {
  await tf.setBackend('cpu');
  const x = tf.variable(tf.tensor1d([3, -2]));
  const target = tf.tensor1d([1, 1]);
  const adam = new Adam([x], { learningRate: 0.1 });
  const loss = () => tf.sum(tf.square(tf.sub(x, target))) as tf.Scalar;
  const read = async (value: tf.Scalar) => {
    const [v] = await value.data();
    value.dispose();
    return v;
  };
  const first = await read(adam.minimize(loss));
  const before = tf.memory().numTensors;
  let last = first;
  for (let i = 0; i < 200; i++) last = await read(adam.minimize(loss));
  assert.equal(tf.memory().numTensors, before);
  assert.ok(last < first * 1e-3, `loss ${first} → ${last}`);
  adam.dispose();
  x.dispose();
  target.dispose();
});

test('restoring Adam state continues exactly like an uninterrupted optimizer', async () => {
  await tf.setBackend('cpu');
  const run = (split: boolean) => {
    const x = tf.variable(tf.tensor1d([0.5, -1.5, 2]));
    let adam = new Adam([x], { learningRate: 0.05, beta1: 0.5 });
    const loss = () => tf.sum(tf.pow(x, 4)) as tf.Scalar;
    for (let i = 0; i < 5; i++) adam.minimize(loss, 1 - i / 10).dispose();
    if (split) {
      const { tensors, step } = adam.getState('opt');
      const saved = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.clone()]));
      adam.dispose();
      adam = new Adam([x], { learningRate: 0.05, beta1: 0.5 });
      adam.setState('opt', saved, step);
      Object.values(saved).forEach((t) => t.dispose());
    }
    for (let i = 5; i < 10; i++) adam.minimize(loss, 1 - i / 10).dispose();
    const out = Array.from(x.dataSync());
    adam.dispose();
    x.dispose();
    return out;
  };
  assert.deepEqual(run(true), run(false));
});
