// CUT's flagship check, the same as CycleGAN's (scenes-support.ts): a small CUT learns day → night from unpaired
// procedural scenes and moves held-out day scenes toward their true night renders, with the same margins.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
import { Rng } from '../rng.js';
import { cut, type CutModel } from './cut.js';
import { assertTranslatesTowardNight, SCENE_ENGINES, SCENE_SIZE, sceneData } from './scenes-support.js';

const ITERATIONS = 300;
let dir = '';

before(async () => {
  await initBackend('wasm', { threads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'darkroom-cut-scenes-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

for (const [engineName, makeEngine] of SCENE_ENGINES) {
  test(`a small CUT trained on unpaired scenes turns held-out day scenes toward their true night (${engineName})`, async (t) => {
    const data = await sceneData(join(dir, engineName.replace(/\W+/g, '-')));
    const config = cut.resolveConfig({ size: SCENE_SIZE, preset: 'light', ngf: 8, ndf: 8, blocks: 3, lr: 1e-3, patches: 64 });
    const model = cut.create(config, new Rng(1), makeEngine()) as CutModel;
    const untrained = tf.tidy(() => model.translate(data.testDay));
    for (let i = 0; i < ITERATIONS; i++) {
      const lrScale = Math.min(1, 2 * (1 - i / ITERATIONS));
      const losses = await model.trainStep(data.next, lrScale);
      assert.ok(Object.values(losses).every(Number.isFinite), `iteration ${i}: ${JSON.stringify(losses)}`);
    }
    const translated = tf.tidy(() => model.translate(data.testDay));
    t.diagnostic(assertTranslatesTowardNight(data, untrained, translated));
    tf.dispose([data.testDay, data.testNight, untrained, translated]);
    model.dispose();
  });
}
