// The memory plan of a training graph, and the ONNX engine's refusal of a size or batch that does not fit, with a
// suggestion that does.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../backend/index.js';
import { cyclegan } from '../families/cyclegan.js';
import { batchSource, syntheticImages } from '../families/test-support.js';
import { UsageError } from '../errors.js';
import { Rng } from '../rng.js';
import { Graph } from './graph.js';
import { graphMemory } from './graph-memory.js';
import { OnnxEngine } from './onnx-engine.js';
import { cliText } from '../../electron/remedy-words.js';

before(async () => {
  await initBackend('cpu');
});

test('a value lives from the node that makes it to its last reader; inputs live throughout', () => {
  const g = new Graph();
  const x = g.input('x', [1000]);
  const y = g.unary('relu', x);
  const z = g.unary('tanh', y);
  const w = g.unary('relu', z);
  // x, y, z at once (z is made before y is freed); then y goes, and w joins x and z.
  assert.deepEqual(graphMemory(g, [w]), { peakBytes: 12000, inputBytes: 4000, largestValueBytes: 4000 });
});

async function firstStep(size: number, batch: number, memoryBudget: number, maxBufferBytes?: number): Promise<void> {
  const engine = new OnnxEngine({ device: 'cpu', threads: 1, memoryBudget, maxBufferBytes });
  const model = cyclegan.create(cyclegan.resolveConfig({ size, ngf: 4, ndf: 4, blocks: 1 }), new Rng(1), engine);
  const source = batchSource(syntheticImages(1, 4, size), size, batch, 2, syntheticImages(2, 4, size));
  try {
    await model.trainStep(() => source.next(), 1);
  } finally {
    model.dispose();
    await engine.dispose();
  }
}

/** The MiB a refusal says the step needs. */
async function needMiB(size: number, batch: number): Promise<number> {
  const error = await firstStep(size, batch, 1).then(() => null, (e: unknown) => e);
  assert.ok(error instanceof UsageError, `a 1-byte budget is refused as bad input, got ${String(error)}`);
  const m = /needs about (\d+) MiB/.exec(error.message);
  assert.ok(m, error.message);
  return Number(m[1]);
}

test('a batch or size that does not fit is refused before the first step, and what it suggests fits', async () => {
  const need = await needMiB(64, 4);
  const budget = 0.6 * need * 2 ** 20;
  const refusal = await firstStep(64, 4, budget).then(() => null, (e: unknown) => e as Error);
  assert.ok(refusal instanceof UsageError, 'refused');
  const batch = Number(/--batch (\d+) at this size/.exec(cliText(refusal.message))?.[1]);
  const size = Number(/--size (\d+) or less at this batch/.exec(cliText(refusal.message))?.[1]);
  assert.ok(batch >= 1 && batch < 4, refusal.message);
  assert.ok(size >= 32 && size < 64, refusal.message);
  await firstStep(64, batch, budget);
  await firstStep(size, 4, budget);
});

test('on a device that bounds each buffer, a step whose largest tensor would not fit one is refused first, and what it suggests fits', async () => {
  const unbounded = 2 ** 40;
  // Stands in for a WebGPU adapter's maxBufferSize (SwiftShader's is far above these shapes).
  const largest = await firstStep(64, 4, unbounded, 1).then(() => null, (e: unknown) => e as Error);
  assert.ok(largest instanceof UsageError, `refused as bad input, got ${String(largest)}`);
  const mib = Number(/makes a (\d+) MiB tensor/.exec(largest.message)?.[1]);
  assert.ok(mib >= 1, largest.message);
  const limit = 0.5 * mib * 2 ** 20;
  const refusal = await firstStep(64, 4, unbounded, limit).then(() => null, (e: unknown) => e as Error);
  assert.ok(refusal instanceof UsageError && /more than one buffer/.test(refusal.message), String(refusal));
  const batch = Number(/--batch (\d+) at this size/.exec(cliText(refusal.message))?.[1]);
  const size = Number(/--size (\d+) or less at this batch/.exec(cliText(refusal.message))?.[1]);
  assert.ok(batch >= 1 && batch < 4 && size >= 8 && size < 64, refusal.message);
  await firstStep(64, batch, unbounded, limit);
  await firstStep(size, 4, unbounded, limit);
});
