import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
import { netOutputShape } from '../nets/spec.js';
import { Rng } from '../rng.js';
import { interpolate, sample, vae, type VaeModel } from './vae.js';
import { assertExactResume, assertNoLeaks, average, batchSource, syntheticImages, toBatch, train } from './test-support.js';

const SIZE = 16;
const data = syntheticImages(7, 32, SIZE);

before(async () => {
  await initBackend('wasm', { threads: 1 });
});

test('vae: the negative ELBO falls below what any decoder ignoring z could reach', async () => {
  const beta = 1.5;
  const model = vae.create(vae.resolveConfig({ size: SIZE, latent: 8, nf: 8, beta, lr: 5e-3 }), new Rng(3));
  const history = await train(model, batchSource(data, SIZE, 8, 1).next, 200);
  for (const h of history) assert.ok(Math.abs(h.loss - (h.recon + beta * h.kl)) < 1e-3 * h.loss, JSON.stringify(h));
  const first = average(history.slice(0, 10).map((h) => h.loss));
  const last = average(history.slice(-20).map((h) => h.loss));
  assert.ok(last < 0.7 * first, `loss ${first.toFixed(1)} → ${last.toFixed(1)}`);
  // A decoder that ignores z does best by drawing the mean image: its summed L2 error is the data's
  // total per-pixel variance. Beating that clearly (even after paying the KL) means z carries each image.
  const all = toBatch(data, SIZE);
  const meanImageError = tf.tidy(() => tf.sum(tf.moments(all, 0).variance).dataSync()[0]);
  all.dispose();
  assert.ok(last < 0.8 * meanImageError, `loss ${last.toFixed(1)} vs mean-image error ${meanImageError.toFixed(1)}`);
  assert.ok(average(history.slice(-20).map((h) => h.kl)) > 1, 'the posterior collapsed onto the prior');
  model.dispose();
});

test('vae: samples and interpolations decode to images of the right shape in [-1, 1]', async () => {
  const model = vae.create(vae.resolveConfig({ size: SIZE, latent: 6, nf: 4 }), new Rng(4)) as VaeModel;
  await train(model, batchSource(data, SIZE, 4, 2).next, 5);
  const samples = sample(model, 5, new Rng(1));
  assert.deepEqual(samples.shape, [5, SIZE, SIZE, 3]);
  const [lo, hi] = [samples.min().dataSync()[0], samples.max().dataSync()[0]];
  assert.ok(lo >= -1 && hi <= 1 && hi > lo, `range [${lo}, ${hi}]`);
  // The same rng state gives the same samples; another gives others.
  const again = sample(model, 5, new Rng(1));
  const other = sample(model, 5, new Rng(2));
  assert.deepEqual(again.dataSync(), samples.dataSync());
  assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(other, samples))).dataSync()[0]) > 1e-4);

  const [a, b] = [toBatch([data[0]], SIZE), toBatch([data[1]], SIZE)];
  const path = interpolate(model, a, b.squeeze([0]) as tf.Tensor3D, 4);
  assert.deepEqual(path.shape, [4, SIZE, SIZE, 3]);
  // Its ends are the mean reconstructions of the two images.
  const grid = model.sampleGrid({ a: tf.concat([a, b]) as tf.Tensor4D });
  assert.deepEqual(grid.rows.map((r) => r.label), ['input', 'reconstruction (μ)', 'samples from the prior', 'interpolation: first → second input']);
  const recon = grid.rows[1].images;
  const endDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.concat([path.slice(0, 1), path.slice(3, 1)]), recon))).dataSync()[0]);
  assert.ok(endDiff < 1e-5, `interpolation ends differ from reconstructions by ${endDiff}`);
  assert.throws(() => interpolate(model, a, b, 1), /at least 2 steps/);
  tf.dispose([samples, again, other, a, b, path, ...grid.rows.map((r) => r.images)]);
  model.dispose();
});

test('vae: the prior-sample row of the grid is the same before and after a resume', async () => {
  const config = vae.resolveConfig({ size: SIZE, latent: 4, nf: 4 });
  const model = vae.create(config, new Rng(5));
  const fixed = { a: toBatch(data.slice(0, 3), SIZE) };
  const first = model.sampleGrid(fixed);
  const restored = vae.create(config, new Rng(6));
  restored.setState(model.getState());
  const second = restored.sampleGrid(fixed);
  assert.deepEqual(second.rows[2].images.dataSync(), first.rows[2].images.dataSync());
  tf.dispose([fixed.a, ...first.rows.map((r) => r.images), ...second.rows.map((r) => r.images)]);
  model.dispose();
  restored.dispose();
});

test('vae: no tensor leaks', async () => {
  const model = vae.create(vae.resolveConfig({ size: SIZE, latent: 4, nf: 4, loss: 'l1' }), new Rng(6));
  await assertNoLeaks(model, batchSource(data, SIZE, 4, 3).next, 2);
  model.dispose();
});

test('vae: a restored state (weights, Adam, ε stream, fixed noise) continues training exactly', async () => {
  await assertExactResume(vae, vae.resolveConfig({ size: SIZE, latent: 4, nf: 4 }), { a: data, size: SIZE, batch: 4 });
});

test('vae: exports a decoder (z → image) and an encoder (image → [μ, log σ²])', async () => {
  const model = vae.create(vae.resolveConfig({ size: SIZE, latent: 5, nf: 4 }), new Rng(7));
  const [decoder, encoder] = model.exportParts();
  assert.deepEqual([decoder.part, decoder.input, decoder.output], ['decoder', 'latent', 'image']);
  assert.deepEqual(decoder.net.spec.input, { kind: 'vector', size: 5 });
  assert.deepEqual([encoder.part, encoder.input, encoder.output], ['encoder', 'image', 'vector']);
  assert.deepEqual(netOutputShape(encoder.net.spec), { kind: 'vector', size: 10 });
  model.dispose();
});
