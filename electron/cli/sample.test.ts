import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../models/errors.js';
import { runTraining } from '../../models/train/loop.js';
import { makeScenes, makeTempDir, TINY_AE, TINY_GAN } from '../../models/train/test-support.js';
import { run } from './sample.js';

test('darkroom sample draws new images from a gan run, the same ones for the same seed', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 3, 16);
  const runDir = join(dir, 'gan');
  const trained = await runTraining({ runDir, config: { family: 'gan', data: day, ...TINY_GAN, seed: 1, backend: 'cpu', iterations: 2 }, onEvent: () => {} });
  assert.equal(trained.status, 'done');

  assert.equal(await run([runDir, '--count', '3', '--out', join(dir, 'one'), '--seed', '4', '--backend', 'cpu']), 0);
  assert.equal(await run([runDir, '--count', '3', '--out', join(dir, 'two'), '--seed', '4', '--backend', 'cpu']), 0);
  assert.equal(await run([runDir, '--count', '3', '--out', join(dir, 'other'), '--seed', '5', '--backend', 'cpu']), 0);
  const names = (await readdir(join(dir, 'one'))).sort();
  assert.deepEqual(names, ['sample-0001.png', 'sample-0002.png', 'sample-0003.png']);
  const png = await readFile(join(dir, 'one', names[0]));
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [16, 16]);
  for (const name of names) assert.deepEqual(await readFile(join(dir, 'one', name)), await readFile(join(dir, 'two', name)));
  assert.notDeepEqual(await readFile(join(dir, 'one', names[0])), await readFile(join(dir, 'other', names[0])));

  await assert.rejects(run([runDir, '--count', '3', '--out', join(dir, 'one'), '--backend', 'cpu']), /already exists.*--overwrite/);
  assert.equal(await run([runDir, '--count', '1', '--out', join(dir, 'one'), '--backend', 'cpu', '--overwrite']), 0);
});

test('darkroom sample refuses runs that have no prior, and folders that are not runs', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 2, 16);
  const aeRun = join(dir, 'ae');
  await runTraining({ runDir: aeRun, config: { family: 'ae', data: day, ...TINY_AE, seed: 1, backend: 'cpu', iterations: 1 }, onEvent: () => {} });
  await assert.rejects(run([aeRun, '--count', '2', '--out', join(dir, 'x')]), (e) => e instanceof UsageError && /ae run/.test(e.message));
  await assert.rejects(run([join(dir, 'nowhere'), '--count', '2', '--out', join(dir, 'x')]), (e) => e instanceof UsageError && /no run\.json/.test(e.message));
  await assert.rejects(run([aeRun, '--out', join(dir, 'x')]), /--count N is required/);
});

test('darkroom sample refuses an output folder that cannot be one, at once and in plain words', { timeout: 120_000 }, async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 2, 16);
  const runDir = join(dir, 'gan');
  await runTraining({ runDir, config: { family: 'gan', data: day, ...TINY_GAN, seed: 1, backend: 'cpu', iterations: 1 }, onEvent: () => {} });
  const file = join(dir, 'notes.txt');
  await writeFile(file, 'mine');
  await assert.rejects(run([runDir, '--count', '1', '--out', file, '--backend', 'cpu']), (e) => e instanceof UsageError && /is a file, not a folder/.test(e.message));
  if (process.platform === 'linux')
    await assert.rejects(run([runDir, '--count', '1', '--out', '/proc/self/x', '--backend', 'cpu']), (e) => e instanceof UsageError && /\/proc\/self does not take new folders/.test(e.message));
  assert.equal(await readFile(file, 'utf8'), 'mine');
});
