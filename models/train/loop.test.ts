import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TrainingEvent } from './events.js';
import { runTraining, type RunTrainingOptions } from './loop.js';
import type { RunRequest } from './options.js';
import { readMetrics, readRunInfo, runPaths, updateRunInfo } from './run-dir.js';
import { checkpointDifference, makeScenes, makeTempDir, TINY_AE, TINY_GAN } from './test-support.js';
import { cliText } from '../../electron/remedy-words.js';

function pngSize(bytes: Buffer): { width: number; height: number } {
  assert.equal(bytes.subarray(1, 4).toString(), 'PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

async function train(options: Omit<RunTrainingOptions, 'onEvent'> & { onEvent?: RunTrainingOptions['onEvent'] }) {
  const events: TrainingEvent[] = [];
  const outcome = await runTraining({
    ...options,
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  });
  return { outcome, events };
}

const aeRequest = (data: string, extra: Partial<RunRequest> = {}): RunRequest => ({
  family: 'ae',
  data,
  ...TINY_AE,
  seed: 7,
  backend: 'cpu',
  logEvery: 4,
  sampleEvery: 6,
  checkpointEvery: 6,
  ...extra,
});

test('a run writes metrics, sample grids and checkpoints, and run.json goes from running to done', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 6, 20);
  const runDir = join(dir, 'run');
  const statusesSeen = new Set<string>();
  const { outcome, events } = await train({
    runDir,
    config: aeRequest(day, { iterations: 24 }),
    onEvent: (e) => {
      if (e.type === 'progress') statusesSeen.add(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).status);
    },
  });
  assert.equal(outcome.status, 'done');
  assert.deepEqual([...statusesSeen], ['running']);

  const info = await readRunInfo(runDir);
  assert.equal(info.status, 'done');
  assert.equal(info.iteration, 24);
  assert.equal(info.family, 'ae');
  assert.equal(info.train.data, day);
  assert.equal(info.train.seed, 7);
  assert.equal(info.config.latent, 8);
  assert.equal(info.backend?.name, 'cpu');
  assert.equal(info.pid, null);

  const metrics = await readMetrics(runDir);
  assert.deepEqual(metrics.map((m) => m.iteration), [4, 8, 12, 16, 20, 24]);
  for (const m of metrics) {
    assert.ok(Number.isFinite(m.losses.recon) && m.losses.recon > 0);
    assert.ok(m.elapsedMs >= 0 && m.epoch > 0 && m.lr > 0);
  }
  assert.ok(metrics.at(-1)!.losses.recon < metrics[0].losses.recon, 'the reconstruction loss goes down');
  assert.ok(Math.abs(metrics.at(-1)!.epoch - (24 * 2) / 6) < 1e-9, 'epochs count passes over the data');

  const samples = (await readdir(runPaths(runDir).samples)).sort();
  assert.deepEqual(samples, ['000006.png', '000012.png', '000018.png', '000024.png']);
  // Two rows (inputs, reconstructions) of four 16×16 tiles with 2-pixel gaps.
  assert.deepEqual(pngSize(await readFile(join(runPaths(runDir).samples, '000024.png'))), { width: 4 * 16 + 3 * 2, height: 2 * 16 + 2 });
  assert.deepEqual((await readdir(runPaths(runDir).checkpoints)).sort(), ['000018', '000024', 'latest']);

  const types = events.map((e) => e.type);
  assert.equal(types[0], 'started');
  assert.equal(types.at(-1), 'stopped');
  assert.deepEqual(events.at(-1), { type: 'stopped', iteration: 24, reason: 'done' });
  assert.equal(events.filter((e) => e.type === 'checkpoint').length, 4);
});

test('the loop does not grow the number of live tensors from one iteration to the next', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 4, 16);
  for (const [family, tiny] of [['ae', TINY_AE], ['gan', TINY_GAN]] as const) {
    const counts: number[] = [];
    const { outcome } = await train({
      runDir: join(dir, family),
      config: { family, data: day, ...tiny, seed: 1, backend: 'cpu', iterations: 12, sampleEvery: 3, checkpointEvery: 4, logEvery: 2 },
      afterIteration: () => counts.push(tf.memory().numTensors),
    });
    assert.equal(outcome.status, 'done');
    assert.ok(counts.slice(1).every((c) => c === counts[1]), `${family}: tensor counts ${counts.join(',')}`);
  }
});

test('unreadable image files are skipped with a warning that names them', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 3, 16);
  await writeFile(join(day, 'broken.png'), 'this is not a png');
  const { outcome, events } = await train({ runDir: join(dir, 'run'), config: aeRequest(day, { iterations: 2 }) });
  assert.equal(outcome.status, 'done');
  const warnings = events.filter((e) => e.type === 'warning');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0].type === 'warning' ? warnings[0].message : '', /broken\.png/);
  const started = events.find((e) => e.type === 'started');
  assert.deepEqual(started?.type === 'started' && started.datasetSizes, { data: 3 });
});

test('bad requests fail as bad input before any run directory is made', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 2, 16);
  const cases: [Partial<RunRequest>, RegExp][] = [
    [{ data: join(dir, 'missing') }, /missing/],
    [{ familyOptions: { latent: 0 } }, /latent/],
    [{ familyOptions: { beta: 2 } }, /beta/],
    [{ iterations: 5, epochs: 2 }, /--iterations or --epochs/],
    [{ loadSize: 8 }, /--load-size/],
    [{ data: undefined, a: day, b: day }, /--data/],
  ];
  for (const [change, pattern] of cases) {
    const runDir = join(dir, 'run');
    const { outcome, events } = await train({ runDir, config: aeRequest(day, change) });
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.badInput, true, JSON.stringify(change));
    assert.match(cliText(outcome.message ?? ''), pattern);
    assert.equal(events.at(-1)?.type, 'failed');
    await assert.rejects(readdir(runDir), 'no run directory for a refused request');
  }
});

for (const [family, tiny] of [['ae', TINY_AE], ['gan', TINY_GAN]] as const) {
  test(`${family}: pausing and resuming ends with the same weights as an uninterrupted run`, async (t) => {
    const dir = await makeTempDir(t);
    const { day } = await makeScenes(join(dir, 'data'), 5, 18);
    const request: RunRequest = { family, data: day, ...tiny, seed: 11, backend: 'cpu', iterations: 10, checkpointEvery: 4, sampleEvery: 3, logEvery: 1 };
    const straight = join(dir, 'straight');
    assert.equal((await train({ runDir: straight, config: request })).outcome.status, 'done');

    const paused = join(dir, 'paused');
    const controller = new AbortController();
    const first = await train({
      runDir: paused,
      config: request,
      signal: controller.signal,
      afterIteration: (it) => it === 6 && controller.abort('pause'),
    });
    assert.equal(first.outcome.status, 'paused');
    assert.deepEqual(first.events.at(-1), { type: 'stopped', iteration: 6, reason: 'paused' });
    assert.equal((await readRunInfo(paused)).status, 'paused');
    assert.ok(first.events.some((e) => e.type === 'checkpoint' && e.iteration === 6), 'pausing saves a checkpoint');

    const second = await train({ runDir: paused, resume: true });
    assert.equal(second.outcome.status, 'done');
    const started = second.events[0];
    assert.equal(started.type === 'started' && started.resumedFrom, 6);
    const diff = await checkpointDifference(straight, paused);
    assert.equal(diff.iteration, 10);
    assert.ok(diff.maxDiff <= 1e-5, `max difference ${diff.maxDiff}`);
    assert.deepEqual((await readMetrics(paused)).map((m) => m.iteration), Array.from({ length: 10 }, (_, i) => i + 1));
    const lossesOf = async (run: string) => (await readMetrics(run)).map((m) => m.losses);
    assert.deepEqual(await lossesOf(paused), await lossesOf(straight));
  });
}

test('after a crash, resume drops metrics and samples past the checkpoint and repeats them exactly', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 5, 18);
  const request = aeRequest(day, { iterations: 12, checkpointEvery: 4, sampleEvery: 2, logEvery: 1 });
  const straight = join(dir, 'straight');
  await train({ runDir: straight, config: request });

  // A run killed between its checkpoints at 8 and 12: what it leaves is the straight run minus checkpoint 12
  // and with the status still "running".
  const crashed = join(dir, 'crashed');
  await cp(straight, crashed, { recursive: true });
  await rm(join(runPaths(crashed).checkpoints, '000012'), { recursive: true });
  await writeFile(join(runPaths(crashed).checkpoints, 'latest'), '000008\n');
  await updateRunInfo(crashed, { status: 'running', iteration: 11, pid: 999999999 });
  await writeFile(runPaths(crashed).metrics, (await readFile(runPaths(crashed).metrics, 'utf8')) + '{"iteration": 13, "ep');

  const resumed = await train({ runDir: crashed, resume: true });
  assert.equal(resumed.outcome.status, 'done');
  const started = resumed.events[0];
  assert.equal(started.type === 'started' && started.resumedFrom, 8);
  const iterations = (await readMetrics(crashed)).map((m) => m.iteration);
  assert.deepEqual(iterations, Array.from({ length: 12 }, (_, i) => i + 1), 'no duplicates, no torn line');
  assert.ok(!(await readFile(runPaths(crashed).metrics, 'utf8')).includes('"ep\n'));
  const diff = await checkpointDifference(straight, crashed);
  assert.ok(diff.maxDiff <= 1e-5, `max difference ${diff.maxDiff}`);
  assert.deepEqual(await readFile(join(runPaths(crashed).samples, '000012.png')), await readFile(join(runPaths(straight).samples, '000012.png')));
});

test('stopping saves a checkpoint and records "stopped"; resuming a finished run does nothing', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 3, 16);
  const runDir = join(dir, 'run');
  const controller = new AbortController();
  const { outcome, events } = await train({
    runDir,
    config: aeRequest(day, { iterations: 50, checkpointEvery: 100 }),
    signal: controller.signal,
    afterIteration: (it) => it === 3 && controller.abort(),
  });
  assert.equal(outcome.status, 'stopped');
  assert.deepEqual(events.filter((e) => e.type === 'checkpoint').map((e) => e.type === 'checkpoint' && e.iteration), [3]);
  const info = await readRunInfo(runDir);
  assert.equal(info.status, 'stopped');
  assert.equal(info.iteration, 3);

  const rest = await train({ runDir, resume: true });
  assert.equal(rest.outcome.status, 'done');
  assert.equal(rest.outcome.iteration, 50);
  const again = await train({ runDir, resume: true });
  assert.equal(again.outcome.status, 'done');
  assert.deepEqual(again.events.map((e) => e.type), ['warning', 'stopped']);
  assert.match(cliText(again.events[0].type === 'warning' ? again.events[0].message : ''), /is done \(50 iterations\)\. To train it further, give a new total: `darkroom train --resume .* --iterations 100`/);
  assert.deepEqual(again.events[1], { type: 'stopped', iteration: 50, reason: 'done' });
});

test('a run that another live trainer owns is not resumed, and its run.json is left alone', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 2, 16);
  const runDir = join(dir, 'run');
  await train({ runDir, config: aeRequest(day, { iterations: 2 }) });
  const owned = await updateRunInfo(runDir, { status: 'running', pid: process.ppid });
  const { outcome } = await train({ runDir, resume: true });
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.badInput, true);
  assert.match(outcome.message ?? '', /being trained right now/);
  assert.deepEqual(await readRunInfo(runDir), owned);
});

test('resume skips a damaged newest checkpoint with a warning and still ends exactly like an uninterrupted run', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 4, 16);
  const straight = join(dir, 'straight');
  await train({ runDir: straight, config: aeRequest(day, { iterations: 8, checkpointEvery: 4 }) });
  const damaged = join(dir, 'damaged');
  await cp(straight, damaged, { recursive: true });
  const newest = join(runPaths(damaged).checkpoints, '000008');
  await writeFile(join(newest, 'tensors.bin'), (await readFile(join(newest, 'tensors.bin'))).subarray(0, 100));
  await updateRunInfo(damaged, { status: 'stopped', iteration: 8 });

  const { outcome, events } = await train({ runDir: damaged, resume: true });
  assert.equal(outcome.status, 'done');
  const warning = events.find((e) => e.type === 'warning');
  assert.match(warning?.type === 'warning' ? warning.message : '', /000008 is damaged/);
  const started = events.find((e) => e.type === 'started');
  assert.equal(started?.type === 'started' && started.resumedFrom, 4);
  const diff = await checkpointDifference(straight, damaged);
  assert.equal(diff.iteration, 8);
  assert.ok(diff.maxDiff <= 1e-5, `max difference ${diff.maxDiff}`);
});

test('resume with every checkpoint damaged keeps them aside as -damaged-N folders, says so, and trains again from 0 without touching them', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 4, 16);
  const runDir = join(dir, 'run');
  await train({ runDir, config: aeRequest(day, { iterations: 4, checkpointEvery: 2 }) });
  const { checkpoints } = runPaths(runDir);
  const damagedBytes = new Map<string, Buffer>();
  for (const name of ['000002', '000004']) {
    const file = join(checkpoints, name, 'tensors.bin');
    const bytes = (await readFile(file)).subarray(0, 100);
    await writeFile(file, bytes);
    damagedBytes.set(name, bytes);
  }
  await updateRunInfo(runDir, { status: 'stopped', iteration: 4 });

  const { outcome, events } = await train({ runDir, resume: true, overrides: { iterations: 6 } });
  assert.equal(outcome.status, 'done');
  const warnings = events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
  for (const name of ['000002', '000004'])
    assert.ok(warnings.some((w) => w.includes(`${join(checkpoints, name)} is damaged`) && w.includes(`kept aside as ${join(checkpoints, `${name}-damaged-1`)}`)), warnings.join('\n'));
  assert.ok(warnings.some((w) => /starts again from iteration 0/.test(w)));
  const names = (await readdir(checkpoints)).filter((n) => !n.startsWith('.') && n !== 'latest').sort();
  assert.ok(names.includes('000002-damaged-1') && names.includes('000004-damaged-1'), names.join(', '));
  for (const [name, bytes] of damagedBytes)
    assert.deepEqual(await readFile(join(checkpoints, `${name}-damaged-1`, 'tensors.bin')), bytes, `${name} is kept as it was`);
  assert.ok(names.includes('000006'), 'the new run saved its own checkpoints beside them');
});
