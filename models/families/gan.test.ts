import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
import { netOutputShape } from '../nets/spec.js';
import { Rng } from '../rng.js';
import { gan, sample, type GanModel } from './gan.js';
import { assertExactResume, assertNoLeaks, batchSource, syntheticImages, toBatch, train } from './test-support.js';

const SIZE = 16;

/** Red-over-blue images with a jittered horizon and a little noise: easy to tell from a gray generator. */
function twoTone(seed: number, count: number): Float32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const image = new Float32Array(SIZE * SIZE * 3);
    const horizon = 6 + rng.int(5);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const colour = y < horizon ? [0.8, -0.5, -0.5] : [-0.5, -0.3, 0.8];
        for (let c = 0; c < 3; c++) image[(y * SIZE + x) * 3 + c] = colour[c] + 0.1 * (rng.uniform() - 0.5);
      }
    }
    return image;
  });
}

before(async () => {
  await initBackend('wasm', { threads: 1 });
});

test('gan: the generator learns to draw images like the data', async () => {
  const data = twoTone(1, 64);
  const model = gan.create(gan.resolveConfig({ size: SIZE, latent: 8, ngf: 8, ndf: 8 }), new Rng(3)) as GanModel;
  const all = toBatch(data, SIZE);
  const meanImage = tf.mean(all, 0);
  // Mean L1 distance of 32 samples (always from the same noise) to the data's mean image.
  const distance = () => tf.tidy(() => tf.mean(tf.abs(tf.sub(sample(model, 32, new Rng(5)), meanImage))).dataSync()[0]);
  const before = distance();
  const history = await train(model, batchSource(data, SIZE, 8, 1).next, 150);
  const after = distance();
  for (const h of history) assert.ok([h.d, h.dReal, h.dFake, h.g].every(Number.isFinite), JSON.stringify(h));
  assert.ok(after < 0.6 * before, `distance to the data ${before.toFixed(3)} → ${after.toFixed(3)}`);
  tf.dispose([all, meanImage]);
  model.dispose();
});

test('gan: k discriminator steps per generator step, each on a fresh minibatch', async () => {
  const data = syntheticImages(2, 16, SIZE);
  for (const k of [1, 3]) {
    const model = gan.create(gan.resolveConfig({ size: SIZE, latent: 4, ngf: 4, ndf: 4, k }), new Rng(4));
    const source = batchSource(data, SIZE, 4, 1);
    await train(model, source.next, 2);
    assert.equal(source.draws, 2 * k);
    const { json } = model.getState();
    assert.deepEqual(json.adamSteps, { G: 2, D: 2 * k });
    model.dispose();
  }
});

test('gan: sample grid shows fixed-noise samples and real images', async () => {
  const data = syntheticImages(3, 8, SIZE);
  const model = gan.create(gan.resolveConfig({ size: SIZE, latent: 4, ngf: 4, ndf: 4 }), new Rng(5));
  const fixed = { a: toBatch(data.slice(0, 4), SIZE) };
  const first = model.sampleGrid(fixed);
  const second = model.sampleGrid(fixed);
  assert.equal(first.rows.at(-1)?.label, 'real');
  assert.ok(first.rows.length >= 2);
  for (const row of first.rows) assert.deepEqual(row.images.shape, [4, SIZE, SIZE, 3]);
  // Same fixed noise every time; different rows show different noise.
  assert.deepEqual(second.rows[0].images.dataSync(), first.rows[0].images.dataSync());
  assert.notDeepEqual(first.rows[1].images.dataSync(), first.rows[0].images.dataSync());
  tf.dispose([fixed.a, ...first.rows.map((r) => r.images), ...second.rows.map((r) => r.images)]);
  model.dispose();
});

test('gan: no tensor leaks', async () => {
  const model = gan.create(gan.resolveConfig({ size: SIZE, latent: 4, ngf: 4, ndf: 4, k: 2 }), new Rng(6));
  await assertNoLeaks(model, batchSource(syntheticImages(4, 8, SIZE), SIZE, 2, 1).next, 2);
  model.dispose();
});

test('gan: a restored state (weights, both Adams, noise stream, fixed noise) continues training exactly', async () => {
  await assertExactResume(gan, gan.resolveConfig({ size: SIZE, latent: 4, ngf: 4, ndf: 4, k: 2 }), { a: syntheticImages(5, 8, SIZE), size: SIZE, batch: 2 });
});

test('gan: exports the generator (z → image) only', async () => {
  const model = gan.create(gan.resolveConfig({ size: 32, latent: 7, ngf: 4, ndf: 4 }), new Rng(7));
  const parts = model.exportParts();
  assert.deepEqual(parts.map((p) => [p.part, p.input, p.output]), [['generator', 'latent', 'image']]);
  assert.deepEqual(parts[0].net.spec.input, { kind: 'vector', size: 7 });
  assert.deepEqual(netOutputShape(parts[0].net.spec), { kind: 'image', height: 32, width: 32, channels: 3 });
  model.dispose();
});
