import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import { loadLatestCheckpoint } from './checkpoint.js';
import { loadRunModel } from './load-run.js';
import { runTraining } from './loop.js';
import { runPaths } from './run-dir.js';
import { makeScenes, makeTempDir, TINY_AE } from './test-support.js';

await tf.setBackend('cpu');

test('loadRunModel gives the family, config and the weights of the newest checkpoint', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 3, 16);
  const runDir = join(dir, 'run');
  await runTraining({ runDir, config: { family: 'ae', data: day, ...TINY_AE, seed: 2, backend: 'cpu', iterations: 5 }, onEvent: () => {} });

  const loaded = await loadRunModel(runDir);
  try {
    assert.equal(loaded.family.id, 'ae');
    assert.equal(loaded.runInfo.status, 'done');
    assert.equal(loaded.config.latent, 8);
    assert.equal(loaded.iteration, 5);
    assert.deepEqual(Object.keys(loaded.model.nets).sort(), ['decoder', 'encoder']);
    const checkpoint = (await loadLatestCheckpoint(runPaths(runDir).checkpoints))!;
    for (const [key, net] of Object.entries(loaded.model.nets)) {
      for (const [param, variable] of net.params) {
        assert.deepEqual(Array.from(variable.dataSync()), Array.from(checkpoint.tensors[`net/${key}/${param}`].dataSync()), `${key}/${param}`);
      }
    }
    tf.dispose(Object.values(checkpoint.tensors));
  } finally {
    loaded.model.dispose();
  }

  await rm(runPaths(runDir).checkpoints, { recursive: true });
  await assert.rejects(loadRunModel(runDir), (e) => e instanceof UsageError && /no usable checkpoint/.test(e.message));
});
