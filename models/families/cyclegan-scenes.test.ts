// The flagship: a small light-shaped CycleGAN learns day → night from unpaired procedural scenes, and is
// checked against the true night renders of held-out day scenes (same seed = same geometry, other colours).
// About 300 iterations at 32 px, on the patched wasm backend and on the onnx engine: roughly 1–2 minutes each on 2 cores.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
import { Rng } from '../rng.js';
import { cyclegan, type CycleGanModel } from './cyclegan.js';
import { assertTranslatesTowardNight, SCENE_ENGINES, SCENE_SIZE, sceneData } from './scenes-support.js';

const ITERATIONS = 300;
let dir = '';

before(async () => {
  // One thread: on a shared 2-core machine a second wasm thread mostly waits for a core (measured 3–5× slower).
  await initBackend('wasm', { threads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'darkroom-cyclegan-scenes-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

for (const [engineName, makeEngine] of SCENE_ENGINES) {
  test(`a small CycleGAN trained on unpaired scenes turns held-out day scenes toward their true night (${engineName})`, async (t) => {
    const data = await sceneData(join(dir, engineName.replace(/\W+/g, '-')));
    const config = cyclegan.resolveConfig({ size: SCENE_SIZE, preset: 'light', ngf: 8, ndf: 8, blocks: 3, lr: 1e-3 });
    const model = cyclegan.create(config, new Rng(1), makeEngine()) as CycleGanModel;
    const untrained = tf.tidy(() => model.toB(data.testDay));
    for (let i = 0; i < ITERATIONS; i++) {
      // The official schedule's shape: constant, then linear decay to zero over the second half.
      const lrScale = Math.min(1, 2 * (1 - i / ITERATIONS));
      const losses = await model.trainStep(data.next, lrScale);
      assert.ok(Object.values(losses).every(Number.isFinite), `iteration ${i}: ${JSON.stringify(losses)}`);
    }
    const translated = tf.tidy(() => model.toB(data.testDay));
    // Measured ≈ 0.96 for the untranslated input and ≈ 0.1 after training: a margin of about 9×.
    t.diagnostic(assertTranslatesTowardNight(data, untrained, translated));
    tf.dispose([data.testDay, data.testNight, untrained, translated]);
    model.dispose();
  });
}
