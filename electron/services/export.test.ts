// darkroom export end to end: train tiny runs, export parts, and check what ONNX Runtime computes from
// the file against TensorFlow.js's forward pass of the same checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeSceneDataset } from '../../models/data/scenes.js';
import { runTraining } from '../../models/train/loop.js';
import { loadRunModel } from '../../models/train/load-run.js';
import { applyNet } from '../../models/nets/net.js';
import { openModel } from '../../models/onnx/runtime.js';
import { UsageError } from '../../models/errors.js';
import { exportRun } from './export.js';

async function trainTiny(root: string, family: 'cyclegan' | 'vae'): Promise<string> {
  const scenes = join(root, 'scenes');
  await writeSceneDataset(scenes, { count: 4, size: 40, seedBase: 7 });
  const runDir = join(root, `run-${family}`);
  const data = family === 'cyclegan' ? { a: join(scenes, 'day'), b: join(scenes, 'night') } : { data: join(scenes, 'day') };
  const familyOptions = family === 'cyclegan' ? { ngf: 4, ndf: 4, blocks: 1 } : { latent: 4, nf: 4 };
  const outcome = await runTraining({
    runDir,
    config: { family, ...data, size: family === 'cyclegan' ? 32 : 16, iterations: 2, batch: 1, seed: 3, checkpointEvery: 2, sampleEvery: 2, backend: 'cpu', familyOptions },
    onEvent: () => {},
  });
  assert.equal(outcome.status, 'done', outcome.message);
  return runDir;
}

test('a CycleGAN run exports both directions; ONNX Runtime matches TensorFlow.js on a non-square photo', async () => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-export-'));
  try {
    const runDir = await trainTiny(root, 'cyclegan');
    const out = join(root, 'ba.onnx');
    const result = await exportRun({ runDir, out, direction: 'BtoA' });
    assert.equal(result.direction, 'BtoA');
    const model = await openModel(out);
    assert.equal(model.metadata['darkroom.family'], 'cyclegan');
    assert.equal(model.metadata['darkroom.direction'], 'BtoA');

    const loaded = await loadRunModel(runDir);
    const x = tf.randomUniform([1, 12, 20, 3], -1, 1, 'float32', 5);
    const expected = tf.tidy(() => applyNet(loaded.model.nets.G_BA, x));
    const nchw = tf.transpose(x, [0, 3, 1, 2]);
    const got = await model.run((await nchw.data()) as Float32Array, [1, 3, 12, 20]);
    const gotNhwc = tf.transpose(tf.tensor(got.data, got.dims), [0, 2, 3, 1]);
    const maxAbs = (await tf.max(tf.abs(tf.sub(gotNhwc, expected))).data())[0];
    assert.ok(maxAbs < 1e-4, `max abs difference ${maxAbs}`);
    tf.dispose([x, expected, nchw, gotNhwc]);
    loaded.model.dispose();
    await model.dispose();

    await assert.rejects(exportRun({ runDir, out: join(root, 'x.onnx'), part: 'encoder' }), UsageError);
    await assert.rejects(exportRun({ runDir, out: join(root, 'x.txt') }), /\.onnx/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a VAE run exports its decoder by default (latent → image) and its encoder on request', async () => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-export-'));
  try {
    const runDir = await trainTiny(root, 'vae');
    const decoder = await exportRun({ runDir, out: join(root, 'dec.onnx') });
    assert.equal(decoder.part, 'decoder');
    const model = await openModel(join(root, 'dec.onnx'));
    assert.equal(model.metadata['darkroom.input'], 'latent');
    const z = new Float32Array(2 * 4).map((_, i) => Math.sin(i));
    const images = await model.run(z, [2, 4]);
    assert.deepEqual(images.dims, [2, 3, 16, 16]);
    assert.ok(images.data.every((v) => v >= -1 && v <= 1));
    await model.dispose();
    const encoder = await exportRun({ runDir, out: join(root, 'enc.onnx'), part: 'encoder' });
    assert.equal(encoder.part, 'encoder');
    await assert.rejects(exportRun({ runDir, out: join(root, 'x.onnx'), direction: 'AtoB' }), /no directions/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
