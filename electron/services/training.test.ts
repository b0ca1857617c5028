import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TrainingEvent } from '../../models/train/events.js';
import { readRunInfo } from '../../models/train/run-dir.js';
import { makeScenes, makeTempDir, TINY_AE } from '../../models/train/test-support.js';
import { listRuns, readRun, resumeRun, startRun } from './training.js';

test('a run started by the service streams events, pauses with a checkpoint and resumes from it', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 4, 16);
  const runDir = join(dir, 'runs', 'first');
  const handle = startRun({ runDir, family: 'ae', data: day, ...TINY_AE, seed: 3, backend: 'cpu', iterations: 100000, logEvery: 1, checkpointEvery: 100000 });
  assert.equal(handle.runDir, runDir);
  const seen: TrainingEvent[] = [];
  for await (const event of handle.events()) {
    seen.push(event);
    if (event.type === 'progress' && event.iteration >= 2) handle.pause();
  }
  const outcome = await handle.done;
  assert.equal(outcome.status, 'paused');
  assert.equal(seen[0].type, 'started');
  assert.deepEqual(seen.at(-1), { type: 'stopped', iteration: outcome.iteration, reason: 'paused' });
  assert.ok(seen.some((e) => e.type === 'checkpoint' && e.iteration === outcome.iteration));

  const details = await readRun(runDir);
  assert.equal(details.info.status, 'paused');
  assert.equal(details.checkpoints[0].iteration, outcome.iteration);
  assert.deepEqual(details.metrics.map((m) => m.iteration), Array.from({ length: outcome.iteration }, (_, i) => i + 1));
  const runs = await listRuns(join(dir, 'runs'));
  assert.deepEqual(runs.map((r) => [r.runDir, r.info.status]), [[runDir, 'paused']]);

  // The resumed run keeps its 100000-iteration plan; stop it again right away to keep the test short.
  const again = resumeRun(runDir);
  const events: TrainingEvent[] = [];
  again.subscribe((e) => {
    events.push(e);
    if (e.type === 'progress') again.stop();
  });
  const second = await again.done;
  assert.equal(second.status, 'stopped');
  const started = events.find((e) => e.type === 'started');
  assert.equal(started?.type === 'started' && started.resumedFrom, outcome.iteration);
  assert.ok(second.iteration > outcome.iteration);
  assert.equal((await readRunInfo(runDir)).status, 'stopped');
});

test('a trainer that dies fails its run with a message and never throws at the caller', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 3, 16);
  const runDir = join(dir, 'run');
  const handle = startRun({ runDir, family: 'ae', data: day, ...TINY_AE, seed: 3, backend: 'cpu', iterations: 100000, logEvery: 1 });
  const failures: TrainingEvent[] = [];
  handle.subscribe((e) => {
    if (e.type === 'progress') handle.kill();
    if (e.type === 'failed') failures.push(e);
  });
  const outcome = await handle.done;
  assert.equal(outcome.status, 'failed');
  assert.match(outcome.message ?? '', /trainer process was killed by SIGKILL/);
  assert.equal(failures.length, 1);
  const info = await readRunInfo(runDir);
  assert.equal(info.status, 'failed');
  assert.match(info.lastError ?? '', /SIGKILL/);
});

test('bad input is reported as a failed outcome marked badInput', async (t) => {
  const dir = await makeTempDir(t);
  const outcome = await startRun({ runDir: join(dir, 'run'), family: 'vae', data: join(dir, 'nothing-here'), backend: 'cpu' }).done;
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.badInput, true);
  assert.match(outcome.message ?? '', /nothing-here/);
});
