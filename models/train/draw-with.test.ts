// Under the onnx backend tfjs keeps the weights on its cpu backend, which needs minutes for one sample grid; the
// grids are drawn on wasm instead (backend/index.ts drawWith). What the user sees must not change, nor the training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { drawWith, initBackend } from '../backend/index.js';
import { OnnxEngine } from '../diff/onnx-engine.js';
import { cyclegan, type CycleGanModel } from '../families/cyclegan.js';
import { batchSource, syntheticImages } from '../families/test-support.js';
import { Rng } from '../rng.js';
import { tileGrid } from './grid.js';

const SIZE = 32;
const config = cyclegan.resolveConfig({ size: SIZE, preset: 'light', ngf: 4, ndf: 4, blocks: 1 });
const twin = () => {
  const model = cyclegan.create(config, new Rng(1), new OnnxEngine({ device: 'cpu', threads: 1 })) as CycleGanModel;
  const source = batchSource(syntheticImages(1, 4, SIZE), SIZE, 1, 2, syntheticImages(2, 4, SIZE));
  return { model, next: source.next };
};

test('under onnx a sample grid is drawn on wasm, shows what the engine trained, and leaves the training as it was', async () => {
  const report = await initBackend('onnx', { device: 'cpu', threads: 1 });
  assert.equal(report.name, 'onnx');
  assert.equal(tf.getBackend(), 'cpu');
  const drawn = twin();
  const untouched = twin();
  for (const t of [drawn, untouched]) await t.model.trainStep(t.next, 1);

  const fixed = batchSource(syntheticImages(3, 2, SIZE), SIZE, 2, 4, syntheticImages(4, 2, SIZE)).next();
  const onCpu = await tileGrid(drawn.model.sampleGrid(fixed));
  let drawnOn = '';
  const image = await drawWith(async () => {
    drawnOn = tf.getBackend();
    const grid = drawn.model.sampleGrid(fixed);
    const tiled = await tileGrid(grid);
    tf.dispose(grid.rows.map((r) => r.images));
    return tiled;
  });
  assert.equal(drawnOn, 'wasm');
  assert.equal(tf.getBackend(), 'cpu', 'training goes on where it was');
  assert.equal(image.data.length, onCpu.data.length);
  let worst = 0;
  for (let i = 0; i < image.data.length; i++) worst = Math.max(worst, Math.abs(image.data[i] - onCpu.data[i]));
  assert.ok(worst <= 1, `the grid drawn on wasm differs from cpu's by ${worst} levels`);

  // The weights went to wasm for the grid; the next steps read them back and train exactly as without the grid.
  for (let i = 0; i < 2; i++) {
    const [a, b] = [await drawn.model.trainStep(drawn.next, 1), await untouched.model.trainStep(untouched.next, 1)];
    assert.deepEqual(a, b, `step ${i + 2}'s losses`);
  }
  tf.dispose([fixed.a, fixed.b!]);
  drawn.model.dispose();
  untouched.model.dispose();
});
