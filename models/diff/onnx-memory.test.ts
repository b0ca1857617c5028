// Bounded memory on the ONNX Runtime engine: 1,000 training iterations hold a constant number of tfjs tensors and
// the process does not grow (each step feeds and takes back every weight and moment; a leak there, or in the
// compiled graphs, would show as tens of megabytes here).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
import { cut } from '../families/cut.js';
import { cyclegan } from '../families/cyclegan.js';
import type { ModelFamily } from '../families/family.js';
import { batchSource, syntheticImages } from '../families/test-support.js';
import { Rng } from '../rng.js';
import { OnnxEngine } from './onnx-engine.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const SIZE = 32;
const ITERATIONS = 1000;
/** What a settled process may still move by: allocator and JIT noise, far below one leaked copy per step. */
const RSS_SLACK = 40e6;

before(async () => {
  await initBackend('cpu');
});

async function memoryOver(family: ModelFamily, options: Record<string, unknown>) {
  const engine = new OnnxEngine({ device: 'cpu', threads: 1 });
  const model = family.create(family.resolveConfig({ size: SIZE, ngf: 4, ndf: 4, blocks: 1, ...options }), new Rng(3), engine);
  const source = batchSource(syntheticImages(1, 4, SIZE), SIZE, 1, 2, syntheticImages(2, 4, SIZE));
  const samples: { iteration: number; tensors: number; rss: number }[] = [];
  try {
    for (let i = 1; i <= ITERATIONS; i++) {
      const losses = await model.trainStep(() => source.next(), 1);
      assert.ok(Object.values(losses).every(Number.isFinite), `iteration ${i}: ${JSON.stringify(losses)}`);
      if (i % 100 === 0) {
        collectGarbage();
        samples.push({ iteration: i, tensors: tf.memory().numTensors, rss: process.memoryUsage().rss });
      }
    }
  } finally {
    model.dispose();
    await engine.dispose();
  }
  return samples;
}

for (const [label, family, options] of [
  ['cyclegan', cyclegan, {}],
  ['fastcut', cut, { mode: 'fastcut', patches: 16 }],
] as const) {
  test(`${label} on ONNX Runtime: no growth in tensors or process memory over ${ITERATIONS} iterations`, async () => {
    const samples = await memoryOver(family, options);
    const settled = samples.filter((s) => s.iteration >= 300);
    assert.ok(settled.every((s) => s.tensors === settled[0].tensors), `tfjs tensors: ${samples.map((s) => s.tensors).join(', ')}`);
    const growth = Math.max(...settled.map((s) => s.rss)) - settled[0].rss;
    assert.ok(growth <= RSS_SLACK, `the process grew by ${(growth / 1e6).toFixed(1)} MB from iteration 300 to ${ITERATIONS}: ${samples.map((s) => (s.rss / 1e6).toFixed(0)).join(', ')} MB`);
  });
}
