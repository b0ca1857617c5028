import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.js';
import { FAMILIES } from './index.js';
import { LOSS_HELP } from './loss-help.js';

const images = (size: number, seed: number) => tf.randomUniform([1, size, size, 3], -1, 1, 'float32', seed) as tf.Tensor4D;

test('every loss a family reports has plain words, and no words name a loss no family reports', async () => {
  await tf.setBackend('cpu');
  const cases = [
    { id: 'ae', options: { size: 16, latent: 3, nf: 2 } },
    { id: 'vae', options: { size: 16, latent: 3, nf: 2 } },
    { id: 'gan', options: { size: 16, latent: 3, ngf: 2, ndf: 2 } },
    { id: 'cyclegan', options: { size: 32, ngf: 2, ndf: 2, blocks: 1 } },
    { id: 'cut', options: { size: 32, ngf: 2, ndf: 2, blocks: 1, patches: 8 } },
    { id: 'cut', options: { size: 32, ngf: 2, ndf: 2, blocks: 1, patches: 8, mode: 'fastcut' } },
  ] as const;
  const reported = new Map<string, Set<string>>();
  for (const { id, options } of cases) {
    const family = FAMILIES[id];
    const config = family.resolveConfig(options) as { size: number };
    const model = family.create(config, new Rng(1));
    try {
      const losses = await model.trainStep(() => ({ a: images(config.size, 1), b: images(config.size, 2) }), 1);
      for (const name of Object.keys(losses)) {
        assert.ok(LOSS_HELP[id][name], `${id} reports "${name}" with no words for it`);
        reported.set(id, (reported.get(id) ?? new Set()).add(name));
      }
    } finally {
      model.dispose();
    }
  }
  for (const [id, help] of Object.entries(LOSS_HELP)) assert.deepEqual(Object.keys(help).sort(), [...(reported.get(id) ?? [])].sort(), `${id}'s words`);
});
