// The ONNX Runtime engine against TensorFlow.js on the cpu backend: the same seed gives the same losses, weights
// and Adam moments, step after step, for every family it trains.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
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

async function compareEngines(family: ModelFamily, options: Record<string, unknown>, steps: number, batch: number) {
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
      assert.ok(worst <= 1e-2 * scale, `${key}: max difference ${worst} against a scale of ${scale}`);
    }
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
