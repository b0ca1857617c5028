// Training onto a disk that fills up: the run fails with words a person can act on, run.json says so, and no
// half-written checkpoint is left behind.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, statfsSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mountTinyDisk } from '../tiny-disk.js';
import { runTraining } from './loop.js';
import type { RunRequest } from './options.js';
import { readRunInfo, runPaths } from './run-dir.js';
import { makeScenes, makeTempDir, TINY_AE } from './test-support.js';
import { cliText } from '../../electron/remedy-words.js';

/** Fills the disk holding `dir` until `leave` bytes are free. */
function fillDisk(dir: string, leave: number): void {
  const { bavail, bsize } = statfsSync(dir);
  writeFileSync(join(dir, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - leave)));
}

/**
 * Trains a tiny AE into a run on an 8 MiB tmpfs that fills up after the first iteration, `leave` bytes left free;
 * null (the test skipped) where no tmpfs can be mounted.
 */
async function trainOntoFillingDisk(t: TestContext, settings: Partial<RunRequest>, leave: number) {
  const disk = await mountTinyDisk(8 * 1024 * 1024, (fn) => t.after(fn));
  if ('skip' in disk) {
    t.skip(disk.skip);
    return null;
  }
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 3, 16);
  const runDir = join(disk.path, 'run');
  const messages: string[] = [];
  const outcome = await runTraining({
    runDir,
    config: { family: 'ae', data: day, ...TINY_AE, seed: 3, backend: 'cpu', sampleEvery: 1000, ...settings },
    afterIteration: (iteration) => iteration === 1 && fillDisk(disk.path, leave),
    onEvent: (event) => event.type === 'failed' && messages.push(event.message),
  });
  return { outcome, messages, runDir };
}

test('a disk that fills up at a checkpoint: run.json records the failure and its reason, no temporary folder stays', async (t) => {
  // Room for run.json, not for a checkpoint (TINY_AE's weights and Adam moments take about 100 KB).
  const run = await trainOntoFillingDisk(t, { iterations: 4, checkpointEvery: 2, logEvery: 1000 }, 24 * 1024);
  if (!run) return;
  const { outcome, messages, runDir } = run;
  assert.equal(outcome.status, 'failed');
  const checkpoints = runPaths(runDir).checkpoints;
  assert.match(messages[0] ?? '', new RegExp(`Could not save checkpoint ${join(checkpoints, '000002')}: the disk is full: free some space`));
  const info = await readRunInfo(runDir);
  assert.equal(info.status, 'failed');
  assert.equal(info.lastError, messages[0]);
  assert.deepEqual(await readdir(checkpoints), [], 'no temporary folder or file is left in checkpoints/');
});

test('a disk that fills up while metrics are logged: the message names metrics.jsonl and says how to continue', async (t) => {
  // Nothing left at all: once the lines fill metrics.jsonl's last page (4 KiB, some 30 lines) the next cannot go in.
  const run = await trainOntoFillingDisk(t, { iterations: 200, checkpointEvery: 1000, logEvery: 1 }, 0);
  if (!run) return;
  assert.equal(run.outcome.status, 'failed');
  assert.match(cliText(run.messages[0] ?? ''), new RegExp(`Could not write ${runPaths(run.runDir).metrics}: the disk is full: free some space.*darkroom train --resume`));
});

test('a disk full before the first run.json: the message says to start again, not to resume, and the folder is gone so the same command works', async (t) => {
  const disk = await mountTinyDisk(8 * 1024 * 1024, (fn) => t.after(fn));
  if ('skip' in disk) return t.skip(disk.skip);
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 3, 16);
  const runDir = join(disk.path, 'run');
  const config = { family: 'ae' as const, data: day, ...TINY_AE, seed: 3, backend: 'cpu' as const, iterations: 2, checkpointEvery: 2, sampleEvery: 1000 };
  fillDisk(disk.path, 0);
  const messages: string[] = [];
  const outcome = await runTraining({ runDir, config, onEvent: (event) => event.type === 'failed' && messages.push(event.message) });
  assert.equal(outcome.status, 'failed');
  assert.match(messages[0] ?? '', /the disk is full: free some space/);
  assert.match(messages[0] ?? '', /start the run again/);
  assert.doesNotMatch(cliText(messages[0] ?? ''), /--resume/, 'there is no run to resume');
  await assert.rejects(readdir(runDir), 'the half-made run folder was removed');

  rmSync(join(disk.path, 'filler'));
  const again = await runTraining({ runDir, config, onEvent: () => {} });
  assert.equal(again.status, 'done', 'the same command trains once there is room');
});
