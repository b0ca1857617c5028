import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJson, writeJsonAtomic } from '../../models/atomic-fs.js';
import { makeScenes, makeTempDir } from '../../models/train/test-support.js';
import type { StudioEvent } from '../api.js';
import { DatasetStore } from './datasets.js';
import { ModelStore } from './models.js';
import { RunManager } from './studio-runs.js';
import { openWorkspace } from './workspace.js';

test('two runs started at once get their own folders; a training run is neither resumed twice nor deleted', async (t) => {
  const dir = await makeTempDir(t, 'darkroom-studio-runs-');
  const { day } = await makeScenes(join(dir, 'data'), 4, 16);
  const workspace = await openWorkspace(join(dir, 'ws'));
  const datasets = await DatasetStore.open(workspace);
  const dataset = await datasets.add(day, 'Day');
  const events: StudioEvent[] = [];
  const runs = new RunManager(workspace, datasets, new ModelStore(workspace), (e) => events.push(e), 'test');
  t.after(() => runs.stopAll().catch(() => {}));

  const request = { family: 'ae' as const, datasets: { a: dataset.id }, name: 'Twin!', size: 16, batch: 2, iterations: 100000, checkpointEvery: 100000, backend: 'cpu' as const, advanced: { latent: 8, nf: 4 } };
  // Two names with one id ("twin"): the folder, not the name check, keeps them apart.
  const [first, second] = await Promise.all([runs.start(request), runs.start({ ...request, name: 'Twin?' })]);
  assert.deepEqual([first.id, second.id].sort(), ['twin', 'twin-2']);
  assert.deepEqual([first.name, second.name], ['Twin!', 'Twin?'], 'start answers with the name given, not the id');
  await assert.rejects(runs.start({ ...request, name: ' twin! ' }), (e: Error & { code?: string }) => e.code === 'conflict' && /already a run named "Twin!"/.test(e.message));
  await assert.rejects(runs.start({ ...request, family: 'cyclegan', datasets: { a: dataset.id, b: dataset.id }, name: 'Same' }), /are the same folder/);
  assert.deepEqual(runs.activeRunIds().sort(), ['twin', 'twin-2'], 'both trainers are attached');
  await assert.rejects(runs.resume('twin'), (e: Error & { code?: string }) => e.code === 'conflict' && /already training/.test(e.message));

  await runs.pause('twin');
  await runs.stop('twin-2');
  assert.deepEqual(runs.activeRunIds(), []);

  // As if `darkroom train --resume` were training it in another process (this one: alive).
  const runJson = join(workspace.paths.runs, 'twin', 'run.json');
  const info = await readJson<Record<string, unknown>>(runJson);
  await writeJsonAtomic(runJson, { ...info, status: 'running', pid: process.pid });
  await assert.rejects(runs.delete('twin'), (e: Error & { code?: string }) => e.code === 'conflict' && /another process/.test(e.message));
  assert.equal((await runs.summary('twin')).status, 'running');
  // Once that trainer is gone, the run is stopped and can go.
  await writeJsonAtomic(runJson, { ...info, status: 'running', pid: 2 ** 22 + 12345 });
  assert.equal((await runs.summary('twin')).status, 'stopped');
  await runs.delete('twin');
  assert.deepEqual((await runs.list()).map((r) => r.id), ['twin-2']);
});

/** Reads until `done`; fails after five minutes (a tiny run on a busy machine takes well under one) with the last value read. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still waiting after five minutes; last read: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('a translator run: its page shows datasets and row labels, its models are named by their domains, forward first, exported again in place, and it trains more', async (t) => {
  const dir = await makeTempDir(t, 'darkroom-studio-runs-');
  const { day, night } = await makeScenes(join(dir, 'data'), 4, 36);
  const workspace = await openWorkspace(join(dir, 'ws'));
  const datasets = await DatasetStore.open(workspace);
  const a = await datasets.add(day, 'Photos by day');
  const b = await datasets.add(night, 'Photos by night');
  const models = new ModelStore(workspace);
  const runs = new RunManager(workspace, datasets, models, () => {}, 'test');
  t.after(() => runs.stopAll().catch(() => {}));
  const request = {
    family: 'cyclegan' as const,
    datasets: { a: a.id, b: b.id },
    name: 'Walk',
    size: 32,
    iterations: 4,
    sampleEvery: 2,
    checkpointEvery: 2,
    backend: 'cpu' as const,
    advanced: { ngf: 4, ndf: 4, blocks: 1, poolSize: 3 },
  };
  const run = await runs.start(request);
  await until(() => runs.summary(run.id), (s) => s.status === 'done' && !s.active);

  const detail = await runs.get(run.id);
  assert.deepEqual(detail.startedFrom, [], 'trained from scratch');
  assert.deepEqual(detail.sampleRows, ['real A', 'A → B', 'A → B → A', 'real B', 'B → A', 'B → A → B']);
  assert.deepEqual(detail.datasets.map((d) => [d.role, d.name, d.path, d.images, d.skipped]), [['a', 'Photos by day', day, 4, []], ['b', 'Photos by night', night, 4, []]]);
  assert.ok(detail.secondsPerIteration !== null && detail.secondsPerIteration > 0);

  const exported = await runs.export(run.id, {});
  assert.deepEqual(exported.map((m) => [m.name, m.direction]), [['Walk: day → night', 'AtoB'], ['Walk: night → day', 'BtoA']]);
  assert.deepEqual((await models.list()).map((m) => m.direction), ['AtoB', 'BtoA'], 'the forward direction is listed (and so chosen) first');
  await models.rename(exported[1].id, 'Evening to morning');
  const again = await runs.export(run.id, {});
  assert.deepEqual(again.map((m) => m.id), exported.map((m) => m.id), 'exporting again replaces, adds no twins');
  assert.deepEqual((await runs.summary(run.id)).exports, ['cyclegan-generator-AtoB.onnx', 'cyclegan-generator-BtoA.onnx'], 'the run lists its exports by file name');
  assert.deepEqual((await models.list()).map((m) => m.name), ['Walk: day → night', 'Evening to morning']);

  await assert.rejects(runs.resume(run.id), /finished: use Train more/);
  await assert.rejects(runs.resume(run.id, 4), /above 4/);
  await runs.resume(run.id, 6);
  const more = await until(() => runs.summary(run.id), (s) => s.status === 'done' && !s.active);
  assert.deepEqual([more.iteration, more.totalIterations], [6, 6]);
  assert.deepEqual((await runs.get(run.id)).samples.map((s) => s.iteration), [2, 4, 6]);
  await assert.rejects(runs.start({ ...request, datasets: { a: a.id, b: a.id }, name: 'Other' }), /are the same folder/);
});

test('a run started from a published generator says which file, for which direction, and what it held', async (t) => {
  const dir = await makeTempDir(t, 'darkroom-studio-runs-');
  const { day, night } = await makeScenes(join(dir, 'data'), 2, 32);
  const workspace = await openWorkspace(join(dir, 'ws'));
  const datasets = await DatasetStore.open(workspace);
  const runs = new RunManager(workspace, datasets, new ModelStore(workspace), () => {}, 'test');
  t.after(() => runs.stopAll().catch(() => {}));
  const checkpoint = fileURLToPath(new URL('../../models/import/fixtures/cyclegan.safetensors', import.meta.url));
  const request = {
    family: 'cut' as const,
    datasets: { a: (await datasets.add(day, 'Day')).id, b: (await datasets.add(night, 'Night')).id },
    size: 32,
    iterations: 1,
    backend: 'onnx' as const,
    advanced: { ndf: 4, patches: 16 },
    initGenerator: [checkpoint],
  };
  const run = await runs.start(request);
  await until(() => runs.summary(run.id), (s) => s.status === 'done' && !s.active);
  const [from] = (await runs.get(run.id)).startedFrom;
  assert.deepEqual([from.direction, from.name, from.file], ['AtoB', 'cyclegan.safetensors', checkpoint]);
  assert.match(from.architecture, /ResnetGenerator/);
});
