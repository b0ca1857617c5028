// The ONNX Runtime engine against TensorFlow.js on the cpu backend: the same seed gives the same losses, weights
// and Adam moments, step after step, for every family it trains.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
import { ae } from '../families/ae.js';
import { cut } from '../families/cut.js';
import { gan } from '../families/gan.js';
import { vae } from '../families/vae.js';
import { cyclegan } from '../families/cyclegan.js';
import type { FamilyModel, ModelFamily } from '../families/family.js';
import { batchSource, syntheticImages } from '../families/test-support.js';
import { Rng } from '../rng.js';
import { OnnxEngine } from './onnx-engine.js';

const SIZE = 32;
const domainA = syntheticImages(1, 8, SIZE);
const domainB = syntheticImages(2, 8, SIZE).map((img) => img.map((v) => -0.6 * v));

before(async () => {
  await initBackend('cpu');
});

async function weights(model: FamilyModel): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [key, t] of Object.entries(model.getState().tensors)) out.set(key, (await t.data()) as Float32Array);
  return out;
}

async function compareEngines(family: ModelFamily, options: Record<string, unknown>, steps: number, batch: number, phases?: string[]) {
  const config = family.resolveConfig(options);
  const engine = new OnnxEngine({ device: 'cpu', threads: 1 });
  const reference = family.create(config, new Rng(7));
  const onnx = family.create(config, new Rng(7), engine);
  const sourceRef = batchSource(domainA, SIZE, batch, 3, domainB);
  const sourceOnnx = batchSource(domainA, SIZE, batch, 3, domainB);
  try {
    for (let step = 1; step <= steps; step++) {
      const expected = await reference.trainStep(() => sourceRef.next(), 1);
      const actual = await onnx.trainStep(() => sourceOnnx.next(), 1);
      assert.deepEqual(Object.keys(actual), Object.keys(expected));
      for (const [name, v] of Object.entries(expected))
        assert.ok(Math.abs(actual[name] - v) <= 1e-4 * Math.max(1, Math.abs(v)), `step ${step} ${name}: onnx ${actual[name]} vs tfjs ${v}`);
    }
    const [a, b] = [await weights(onnx), await weights(reference)];
    assert.deepEqual([...a.keys()], [...b.keys()]);
    for (const [key, expected] of b) {
      const actual = a.get(key)!;
      let worst = 0;
      let scale = 1e-6;
      for (let i = 0; i < expected.length; i++) {
        worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        scale = Math.max(scale, Math.abs(expected[i]));
      }
      // Adam moves a weight by about lr a step whatever its gradient's size. Where a gradient nearly cancels (the
      // GAN generator's norm shifts: sums of terms near 1e-3 that come to 1e-7), float32 summation order alone
      // shows as a fraction of lr between two correct engines; a wrong gradient shows as lr or more.
      const tolerance = Math.max(1e-2 * scale, 0.25 * (config as { lr: number }).lr);
      assert.ok(worst <= tolerance, `${key}: max difference ${worst} against a scale of ${scale}`);
    }
    if (phases) assert.deepEqual(engine.compiledPhases.sort(), phases);
  } finally {
    reference.dispose();
    onnx.dispose();
    await engine.dispose();
  }
  assert.equal(tf.memory().numTensors >= 0, true);
}

test('cyclegan on ONNX Runtime: the losses, weights and moments of tfjs, three steps in', async () => {
  await compareEngines(cyclegan, { size: SIZE, ngf: 4, ndf: 4, blocks: 1 }, 3, 1);
});

test('cut on ONNX Runtime (PatchNCE with its identity term): the losses, weights and moments of tfjs', async () => {
  await compareEngines(cut, { size: SIZE, ngf: 4, ndf: 4, blocks: 1, patches: 16 }, 3, 1);
});

test("cut with CUT's anti-aliased resampling on ONNX Runtime (edge pads, blurs as one-channel convolutions): the losses, weights and moments of tfjs", async () => {
  await compareEngines(cut, { size: SIZE, ngf: 4, ndf: 4, blocks: 1, patches: 16, resampling: 'antialiased' }, 3, 1);
});

test('fastcut on ONNX Runtime (flip-equivariance: mirrored and plain graphs): the losses, weights and moments of tfjs', async () => {
  await compareEngines(cut, { size: SIZE, ngf: 4, ndf: 4, blocks: 1, patches: 16, mode: 'fastcut' }, 4, 2, ['discriminator', 'generator', 'generator-flipped']);
});

test('ae on ONNX Runtime: the losses, weights and moments of tfjs', async () => {
  await compareEngines(ae, { size: SIZE, latent: 8, nf: 4 }, 3, 4);
});

test('vae on ONNX Runtime (reparameterised ε fed in, β-weighted KL): the losses, weights and moments of tfjs', async () => {
  await compareEngines(vae, { size: SIZE, latent: 8, nf: 4, beta: 2 }, 3, 4);
});

test('gan on ONNX Runtime (k = 2 discriminator steps with fixed fakes, then the generator): the losses, weights and moments of tfjs', async () => {
  await compareEngines(gan, { size: SIZE, latent: 8, ngf: 4, ndf: 4, k: 2 }, 3, 4, ['discriminator', 'generator']);
});
