// Training onto a disk that fills up: the run fails with words a person can act on, run.json says so, and no
// half-written checkpoint is left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statfsSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mountTinyDisk } from '../tiny-disk.js';
import { runTraining } from './loop.js';
import { readRunInfo, runPaths } from './run-dir.js';
import { makeScenes, makeTempDir, TINY_AE } from './test-support.js';

/** Fills the disk holding `dir` until `leave` bytes are free. */
function fillDisk(dir: string, leave: number): void {
  const { bavail, bsize } = statfsSync(dir);
  writeFileSync(join(dir, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - leave)));
}

test('a disk that fills up at a checkpoint: run.json records the failure and its reason, no temporary folder stays', async (t) => {
  const disk = await mountTinyDisk(8 * 1024 * 1024, (fn) => t.after(fn));
  if ('skip' in disk) return t.skip(disk.skip);
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 3, 16);
  const runDir = join(disk.path, 'run');
  const messages: string[] = [];
  const outcome = await runTraining({
    runDir,
    config: { family: 'ae', data: day, ...TINY_AE, seed: 3, backend: 'cpu', iterations: 4, checkpointEvery: 2, sampleEvery: 1000, logEvery: 1000 },
    // Room for run.json, not for a checkpoint (TINY_AE's weights and Adam moments take about 100 KB).
    afterIteration: (iteration) => iteration === 1 && fillDisk(disk.path, 24 * 1024),
    onEvent: (event) => event.type === 'failed' && messages.push(event.message),
  });
  assert.equal(outcome.status, 'failed');
  const checkpoints = runPaths(runDir).checkpoints;
  assert.match(messages[0] ?? '', new RegExp(`Could not save checkpoint ${join(checkpoints, '000002')}: the disk is full: free some space`));
  const info = await readRunInfo(runDir);
  assert.equal(info.status, 'failed');
  assert.equal(info.lastError, messages[0]);
  assert.deepEqual(await readdir(checkpoints), [], 'no temporary folder or file is left in checkpoints/');
});

test('a disk that fills up while metrics are logged: the message names metrics.jsonl and says how to continue', async (t) => {
  const disk = await mountTinyDisk(8 * 1024 * 1024, (fn) => t.after(fn));
  if ('skip' in disk) return t.skip(disk.skip);
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 3, 16);
  const runDir = join(disk.path, 'run');
  const messages: string[] = [];
  const outcome = await runTraining({
    runDir,
    config: { family: 'ae', data: day, ...TINY_AE, seed: 3, backend: 'cpu', iterations: 200, checkpointEvery: 1000, sampleEvery: 1000, logEvery: 1 },
    // Nothing left at all: once the lines fill metrics.jsonl's last page (4 KiB, some 30 lines) the next cannot go in.
    afterIteration: (iteration) => iteration === 1 && fillDisk(disk.path, 0),
    onEvent: (event) => event.type === 'failed' && messages.push(event.message),
  });
  assert.equal(outcome.status, 'failed');
  assert.match(messages[0] ?? '', new RegExp(`Could not write ${runPaths(runDir).metrics}: the disk is full: free some space.*darkroom train --resume`));
});

