import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
import { netOutputShape } from '../nets/spec.js';
import { Rng } from '../rng.js';
import { ae } from './ae.js';
import { reconMean } from './losses.js';
import { tfOps } from '../diff/objective.js';
import { assertExactResume, assertNoLeaks, batchSource, syntheticImages, toBatch, train } from './test-support.js';

const SIZE = 16;
const data = syntheticImages(1, 32, SIZE);

before(async () => {
  await initBackend('wasm', { threads: 1 });
});

test('ae: reconstruction error on the training images falls', async () => {
  const model = ae.create(ae.resolveConfig({ size: SIZE, latent: 16, nf: 8, lr: 3e-3 }), new Rng(3));
  const all = toBatch(data, SIZE);
  const error = () => tf.tidy(() => reconMean(tfOps, 'l1', applyBoth(model, all), all).dataSync()[0]);
  const before = error();
  const history = await train(model, batchSource(data, SIZE, 8, 1).next, 200);
  const after = error();
  assert.ok(history.every((h) => Number.isFinite(h.recon)));
  assert.ok(after < 0.6 * before, `mean L1 ${before.toFixed(3)} → ${after.toFixed(3)}`);
  all.dispose();
  model.dispose();
});

// The model's own path: encoder then decoder, as sampleGrid shows it.
function applyBoth(model: ReturnType<typeof ae.create>, x: tf.Tensor4D): tf.Tensor {
  const grid = model.sampleGrid({ a: x });
  const [input, reconstruction] = grid.rows;
  assert.deepEqual([input.label, reconstruction.label], ['input', 'reconstruction']);
  input.images.dispose();
  return reconstruction.images;
}

test('ae: no tensor leaks across training steps and sample grids (l2 loss)', async () => {
  const model = ae.create(ae.resolveConfig({ size: SIZE, latent: 8, nf: 4, loss: 'l2' }), new Rng(4));
  const source = batchSource(data, SIZE, 4, 2);
  await assertNoLeaks(model, source.next, 2);
  model.dispose();
});

test('ae: a restored state continues training exactly', async () => {
  await assertExactResume(ae, ae.resolveConfig({ size: SIZE, latent: 8, nf: 4 }), { a: data, size: SIZE, batch: 4 });
});

test('ae: exports an encoder (image → latent) and a decoder (latent → image)', async () => {
  const model = ae.create(ae.resolveConfig({ size: 32, latent: 12, nf: 4 }), new Rng(5));
  const [encoder, decoder] = model.exportParts();
  assert.equal(encoder.part, 'encoder');
  assert.deepEqual(netOutputShape(encoder.net.spec), { kind: 'vector', size: 12 });
  assert.equal(decoder.part, 'decoder');
  assert.deepEqual(decoder.net.spec.input, { kind: 'vector', size: 12 });
  assert.deepEqual(netOutputShape(decoder.net.spec), { kind: 'image', height: 32, width: 32, channels: 3 });
  model.dispose();
});

test('ae: a batch of the wrong size is refused with the sizes named', async () => {
  const model = ae.create(ae.resolveConfig({ size: SIZE, latent: 4, nf: 4 }), new Rng(6));
  const wrong = () => ({ a: tf.zeros([2, 32, 32, 3]) as tf.Tensor4D });
  const before = tf.memory().numTensors;
  await assert.rejects(() => model.trainStep(wrong, 1), /32×32 but the model was built for 16×16/);
  assert.equal(tf.memory().numTensors, before, 'the refused batch was not disposed');
  model.dispose();
});
