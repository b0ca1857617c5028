import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
import { applyNet } from '../nets/net.js';
import { isFullyConvolutional } from '../nets/spec.js';
import { Rng } from '../rng.js';
import { cyclegan, type CycleGanModel } from './cyclegan.js';
import { l1 } from './losses.js';
import { tfOps } from '../diff/objective.js';
import { assertExactResume, assertNoLeaks, batchSource, syntheticImages, toBatch, train } from './test-support.js';

const SIZE = 32;
const domainA = syntheticImages(1, 12, SIZE);
// Domain B: the same kind of pictures, darker and bluer.
const domainB = syntheticImages(2, 12, SIZE).map((img) => img.map((v, i) => (i % 3 === 2 ? 0.5 * v + 0.3 : 0.5 * v - 0.4)));
const TINY = { size: SIZE, ngf: 4, ndf: 4, blocks: 1 };

before(async () => {
  await initBackend('wasm', { threads: 1 });
});

const value = (t: tf.Tensor) => t.dataSync()[0];

test('cyclegan: reported losses are the official objective, computed with the weights before the step', async () => {
  const model = cyclegan.create(cyclegan.resolveConfig({ ...TINY, lambdaCycle: 10, lambdaIdentity: 0.5 }), new Rng(3)) as CycleGanModel;
  const a = toBatch(domainA.slice(0, 2), SIZE);
  const b = toBatch(domainB.slice(0, 2), SIZE);
  const { G_AB, G_BA, D_A, D_B } = model.nets;
  const expected = tf.tidy(() => {
    const mse = (x: tf.Tensor, target: number) => value(tf.mean(tf.square(tf.sub(x, target))));
    const l1 = (x: tf.Tensor, y: tf.Tensor) => value(tf.mean(tf.abs(tf.sub(x, y))));
    const fakeB = applyNet(G_AB, a);
    const fakeA = applyNet(G_BA, b);
    return {
      D_A: 0.5 * (mse(applyNet(D_A, a), 1) + mse(applyNet(D_A, fakeA), 0)),
      G_AB: mse(applyNet(D_B, fakeB), 1),
      cycle_A: 10 * l1(applyNet(G_BA, fakeB), a),
      idt_A: 5 * l1(applyNet(G_BA, a), a),
      D_B: 0.5 * (mse(applyNet(D_B, b), 1) + mse(applyNet(D_B, fakeB), 0)),
      G_BA: mse(applyNet(D_A, fakeA), 1),
      cycle_B: 10 * l1(applyNet(G_AB, fakeA), b),
      idt_B: 5 * l1(applyNet(G_AB, b), b),
    };
  });
  // First step: the pools are empty, so the discriminators see exactly this step's fakes.
  const losses = await model.trainStep(() => ({ a: a.clone(), b: b.clone() }), 1);
  assert.deepEqual(Object.keys(losses), Object.keys(expected));
  for (const [name, v] of Object.entries(expected)) assert.ok(Math.abs(losses[name] - v) < 1e-4 * Math.max(1, v), `${name}: ${losses[name]} vs ${v}`);
  tf.dispose([a, b]);
  model.dispose();
});

test('cyclegan: the cycle error on all images falls; identity weight 0 turns the identity terms off', async () => {
  const model = cyclegan.create(cyclegan.resolveConfig({ ...TINY, lambdaIdentity: 0, lr: 1e-3 }), new Rng(4)) as CycleGanModel;
  const [a, b] = [toBatch(domainA, SIZE), toBatch(domainB, SIZE)];
  // Measured on every image without noise or pools: |G_BA(G_AB(a)) − a| + |G_AB(G_BA(b)) − b|.
  const cycleError = () => tf.tidy(() => value(tf.add(l1(tfOps, model.toA(model.toB(a)), a), l1(tfOps, model.toB(model.toA(b)), b))));
  const before = cycleError();
  const history = await train(model, batchSource(domainA, SIZE, 2, 1, domainB).next, 20);
  const after = cycleError();
  for (const h of history) assert.equal(h.idt_A + h.idt_B, 0);
  assert.ok(after < 0.8 * before, `cycle error ${before.toFixed(3)} → ${after.toFixed(3)}`);
  tf.dispose([a, b]);
  model.dispose();
});

test('cyclegan: sample grid rows, on images of any multiple-of-4 size', async () => {
  const model = cyclegan.create(cyclegan.resolveConfig(TINY), new Rng(5));
  const fixed = { a: tf.randomUniform([3, 20, 28, 3], -1, 1) as tf.Tensor4D, b: tf.randomUniform([2, 20, 28, 3], -1, 1) as tf.Tensor4D };
  const grid = model.sampleGrid(fixed);
  assert.deepEqual(grid.rows.map((r) => r.label), ['real A', 'A → B', 'A → B → A', 'real B', 'B → A', 'B → A → B']);
  for (const row of grid.rows) assert.deepEqual(row.images.shape, [2, 20, 28, 3]);
  tf.dispose([fixed.a, fixed.b, ...grid.rows.map((r) => r.images)]);
  model.dispose();
});

test('cyclegan: no tensor leaks once the image pools are full', async () => {
  const model = cyclegan.create(cyclegan.resolveConfig({ ...TINY, poolSize: 2 }), new Rng(6));
  await assertNoLeaks(model, batchSource(domainA, SIZE, 1, 2, domainB).next, 3);
  model.dispose();
});

test('cyclegan: a restored state (weights, Adams, image pools, pool decisions) continues training exactly', async () => {
  await assertExactResume(cyclegan, cyclegan.resolveConfig({ ...TINY, poolSize: 3 }), { a: domainA, b: domainB, size: SIZE, batch: 2 }, 3);
});

test('cyclegan: exports both generators, fully convolutional; presets set the widths', async () => {
  const model = cyclegan.create(cyclegan.resolveConfig(TINY), new Rng(7));
  const parts = model.exportParts();
  assert.deepEqual(parts.map((p) => [p.part, p.direction, p.input, p.output]), [
    ['generator', 'AtoB', 'image', 'image'],
    ['generator', 'BtoA', 'image', 'image'],
  ]);
  assert.equal(parts[0].net, model.nets.G_AB);
  assert.ok(parts.every((p) => isFullyConvolutional(p.net.spec)));
  model.dispose();
  const light = cyclegan.resolveConfig({});
  assert.deepEqual([light.preset, light.ngf, light.ndf, light.blocks, light.size], ['light', 32, 32, 6, 128]);
  const standard = cyclegan.resolveConfig({ preset: 'standard', blocks: '3' });
  assert.deepEqual([standard.ngf, standard.ndf, standard.blocks, standard.lambdaCycle, standard.lambdaIdentity, standard.poolSize], [64, 64, 3, 10, 0.5, 50]);
});
