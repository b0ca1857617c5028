// Training runs on WebGPU (SwiftShader's software Vulkan here): checkpoints move between backends both ways, and a
// lost GPU stops the run with its last checkpoint kept and a message that says what to do, after which it resumes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { softwareGpuSkip } from '../backend/gpu-test-env.js';
import { webGpuDevice } from '../backend/webgpu.js';
import type { TrainingEvent } from './events.js';
import { runTraining, type RunTrainingOptions } from './loop.js';
import type { RunRequest } from './options.js';
import { readMetrics, readRunInfo } from './run-dir.js';
import { makeScenes, makeTempDir, TINY_CYCLEGAN } from './test-support.js';
import { cliText } from '../../electron/remedy-words.js';

const skip = softwareGpuSkip();

async function train(options: Omit<RunTrainingOptions, 'onEvent'>) {
  const events: TrainingEvent[] = [];
  const outcome = await runTraining({ ...options, onEvent: (e) => events.push(e) });
  return { outcome, events };
}

const request = (a: string, b: string, backend: RunRequest['backend']): RunRequest => ({
  family: 'cyclegan',
  a,
  b,
  ...TINY_CYCLEGAN,
  seed: 4,
  backend,
  iterations: 4,
  checkpointEvery: 2,
  sampleEvery: 4,
  logEvery: 1,
});

/** Trains to iteration 2 on `first`, pauses, resumes on `second` to the end. */
async function switchHalfway(dir: string, name: string, a: string, b: string, first: 'webgpu' | 'wasm', second: 'webgpu' | 'wasm') {
  const runDir = join(dir, name);
  const pause = new AbortController();
  const head = await train({ runDir, config: request(a, b, first), signal: pause.signal, afterIteration: (i) => i === 2 && pause.abort('pause') });
  assert.equal(head.outcome.status, 'paused');
  const tail = await train({ runDir, resume: true, overrides: { backend: second } });
  assert.equal(tail.outcome.status, 'done', tail.outcome.message);
  const started = tail.events[0];
  assert.ok(started.type === 'started' && started.resumedFrom === 2 && started.backend.name === second);
  return runDir;
}

test('a run started on webgpu resumes on wasm, and one started on wasm resumes on webgpu, from exactly its checkpoint', { skip }, async (t) => {
  const dir = await makeTempDir(t);
  const { day, night } = await makeScenes(join(dir, 'data'), 4, 32);
  // cpu is the reference implementation every backend's kernels are tested against.
  const reference = join(dir, 'cpu');
  assert.equal((await train({ runDir: reference, config: request(day, night, 'cpu') })).outcome.status, 'done');
  const expected = await readMetrics(reference);
  for (const [first, second] of [['webgpu', 'wasm'], ['wasm', 'webgpu']] as const) {
    const runDir = await switchHalfway(dir, `${first}-then-${second}`, day, night, first, second);
    const metrics = await readMetrics(runDir);
    assert.deepEqual(metrics.map((m) => m.iteration), [1, 2, 3, 4]);
    // Each step's losses are computed with the weights before it, so iteration 3's are the checkpoint's weights at
    // work on the other backend: only float rounding may differ. (Whole weights after more steps are no test:
    // a pre-activation within rounding of zero takes a ReLU's other slope on one backend and not the other.)
    for (const iteration of [1, 2, 3]) {
      const got = metrics[iteration - 1].losses;
      const want = expected[iteration - 1].losses;
      for (const [name, value] of Object.entries(want)) {
        assert.ok(Math.abs(got[name] - value) <= 1e-3 * Math.max(1, Math.abs(value)), `${first} → ${second}, iteration ${iteration}, ${name}: ${got[name]} vs cpu ${value}`);
      }
    }
  }
  const info = await readRunInfo(join(dir, 'webgpu-then-wasm'));
  assert.equal(info.backend?.name, 'wasm', 'run.json names the backend of the latest session');
});

test('a lost GPU stops the run with the last checkpoint kept and what to do; the run then resumes', { skip }, async (t) => {
  const dir = await makeTempDir(t);
  const { day, night } = await makeScenes(join(dir, 'data'), 4, 32);
  const runDir = join(dir, 'run');
  const first = await train({ runDir, config: { ...request(day, night, 'webgpu'), iterations: 6 }, afterIteration: (i) => i === 2 && webGpuDevice()!.destroy() });
  assert.equal(first.outcome.status, 'failed');
  assert.match(cliText(first.outcome.message ?? ''), /GPU device was lost.*The checkpoint at iteration 2 is kept.*--backend wasm.*smaller --size or --batch/);
  assert.ok(!first.events.some((e) => e.type === 'checkpoint' && e.iteration > 2), 'nothing after the loss reached a checkpoint');
  const info = await readRunInfo(runDir);
  assert.equal(info.status, 'failed');
  assert.match(info.lastError ?? '', /GPU device was lost/);
  const again = await train({ runDir, resume: true });
  assert.equal(again.outcome.status, 'done', again.outcome.message);
  const started = again.events[0];
  assert.ok(started.type === 'started' && started.resumedFrom === 2 && started.backend.name === 'webgpu');
});
