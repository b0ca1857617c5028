import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
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

  const request = { family: 'ae' as const, datasets: { a: dataset.id }, name: 'Twin', size: 16, batch: 2, iterations: 100000, checkpointEvery: 100000, backend: 'cpu' as const, advanced: { latent: 8, nf: 4 } };
  const [first, second] = await Promise.all([runs.start(request), runs.start(request)]);
  assert.deepEqual([first.id, second.id].sort(), ['twin', 'twin-2']);
  assert.deepEqual([first.name, second.name], ['Twin', 'Twin'], 'start answers with the name given, not the id');
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
