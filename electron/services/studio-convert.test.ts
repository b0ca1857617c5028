import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNet, disposeNet } from '../../models/nets/net.js';
import { exportNet } from '../../models/onnx/export.js';
import { decodeImageFile, encodePng } from '../../models/data/image-io.js';
import { Rng } from '../../models/rng.js';
import { CANCELLED, ConvertJobs } from './studio-convert.js';
import type { StudioEvent } from '../api.js';
import { ModelStore } from './models.js';
import { openWorkspace } from './workspace.js';
import { browserAccess } from './access-policy.js';

/** A fresh workspace (removed after the test) holding one imported one-convolution image model. */
async function workspaceWithModel(t: TestContext, prefix: string) {
  const root = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(root, { recursive: true, force: true }));
  const workspace = await openWorkspace(join(root, 'ws'));
  const models = new ModelStore(workspace);
  const net = createNet({ name: 't', input: { kind: 'image', channels: 3 }, layers: [{ op: 'conv', name: 'c', filters: 3, kernel: 1, stride: 1, pad: 0, bias: true }] }, new Rng(1), 0.3);
  const model = await models.import({ bytes: await exportNet(net, { metadata: { 'darkroom.range': '-1,1' } }), name: 'm.onnx' });
  disposeNet(net);
  return { root, workspace, models, model };
}

test('the convert cache keeps the newest photos only, and nothing of a photo that failed or of a past session', async (t) => {
  const { root, workspace, models, model } = await workspaceWithModel(t, 'darkroom-convert-cache-');
  const jobs = new ConvertJobs(workspace, models, () => {}, 2);
  const cached = () => readdir(workspace.paths.convert);
  const png = (await encodePng(new Uint8Array(8 * 6 * 3).fill(90), 8, 6, 3)).toString('base64');

  const results = [];
  for (let i = 0; i < 4; i++) results.push(await jobs.convertImage(model.id, { name: `p${i}.png`, base64: png }));
  assert.deepEqual((await cached()).sort(), [results[2].id, results[3].id].sort(), 'only the newest two are on disk');
  await assert.rejects(jobs.save({ resultId: results[0].id, format: 'png' }), /no longer available/);
  assert.equal((await jobs.save({ resultId: results[3].id, format: 'png' })).fileName, 'p3-translated.png');
  assert.equal(results[3].device.requested, 'auto', 'each result says which device ran it');
  const onCpu = await jobs.convertImage(model.id, { name: 'cpu.png', base64: png }, 'cpu');
  assert.deepEqual([onCpu.device.requested, onCpu.device.name, onCpu.device.fallback], ['cpu', 'cpu', null]);
  assert.match(onCpu.device.detail, /on CPU/);

  await assert.rejects(jobs.convertImage(model.id, { name: 'broken.png', base64: Buffer.from('not a png').toString('base64') }));
  assert.equal((await cached()).length, 2, 'the failed photo left no folder');

  await writeFile(join(workspace.paths.convert, 'left-over.png'), 'x');
  await openWorkspace(join(root, 'ws'));
  assert.deepEqual(await cached(), [], 'opening the workspace empties the cache');
});

test('a photo converted under a job id reports its tiles and stops between tiles when cancelled, leaving nothing behind', async (t) => {
  const { root, workspace, models, model } = await workspaceWithModel(t, 'darkroom-convert-cancel-');
  const events: StudioEvent[] = [];
  let cancelAfterFirstTile = false;
  const jobs = new ConvertJobs(workspace, models, (event) => {
    events.push(event);
    if (cancelAfterFirstTile && event.type === 'convert' && event.event.done === 1) jobs.cancelConversion(event.jobId);
  });
  // Larger than the model's largest default tile on both sides, so it is cut into several tiles.
  const [width, height] = [2200, 1500];
  const png = (await encodePng(new Uint8Array(width * height * 3).fill(90), width, height, 3)).toString('base64');

  await jobs.convertImage(model.id, { name: 'whole.png', base64: png }, 'cpu', 'job-1');
  const [planned, ...tiles] = events.flatMap((e) => (e.type === 'convert' && e.jobId === 'job-1' ? [e.event] : []));
  assert.ok(tiles.length > 1, `several tiles (got ${tiles.length})`);
  assert.deepEqual(planned, { done: 0, total: tiles.length, estimatedSeconds: null }, 'progress starts before the first tile; nothing measured yet to estimate from');
  assert.deepEqual(tiles.map((e) => e.done), tiles.map((_, i) => i + 1), 'one event per tile, in order');
  assert.ok(tiles.every((e) => e.total === tiles.length));

  cancelAfterFirstTile = true;
  events.length = 0;
  await assert.rejects(jobs.convertImage(model.id, { name: 'cancelled.png', base64: png }, 'cpu', 'job-2'), { message: CANCELLED });
  assert.equal(events.filter((e) => e.type === 'convert' && e.event.done > 0).length, 1, 'no tile after the cancel');
  const again = events.find((e) => e.type === 'convert' && e.event.done === 0);
  assert.ok(again?.type === 'convert' && typeof again.event.estimatedSeconds === 'number' && again.event.estimatedSeconds > 0, 'the second photo of the model is estimated up front from the first one\'s tiles');
  assert.equal((await readdir(workspace.paths.convert)).length, 1, 'the cancelled photo left no folder');
  assert.throws(() => jobs.cancelConversion('job-2'), /not being converted/);
});

test('a converted photo converts again from the path its result gives, in browser mode too (the rerun and comparison of Convert)', async (t) => {
  const { root, workspace, models, model } = await workspaceWithModel(t, 'darkroom-convert-again-');
  const jobs = new ConvertJobs(workspace, models, () => {}, 50, browserAccess(workspace.paths.root));
  const png = (await encodePng(new Uint8Array(8 * 6 * 3).fill(90), 8, 6, 3)).toString('base64');

  const first = await jobs.convertImage(model.id, { name: 'street.png', base64: png });
  assert.equal(first.inputPath, join(workspace.paths.root, first.input), 'the path of the file the media reference names');
  const again = await jobs.convertImage(model.id, { path: first.inputPath }, 'cpu');
  assert.deepEqual([again.width, again.height], [first.width, first.height]);
});

test('Save writes what was converted, in the format asked for, without running the model again', async (t) => {
  const { workspace, models, model } = await workspaceWithModel(t, 'darkroom-convert-save-');
  const events: StudioEvent[] = [];
  const jobs = new ConvertJobs(workspace, models, (event) => events.push(event));
  const png = (await encodePng(new Uint8Array(20 * 14 * 3).map((_, i) => (i * 7) % 256), 20, 14, 3)).toString('base64');
  const result = await jobs.convertImage(model.id, { name: 'street.png', base64: png }, 'cpu', 'job-save');
  const converting = events.length;
  // With the model gone, only a save that does not convert again can succeed.
  await models.delete(model.id);

  const asPng = await jobs.save({ resultId: result.id, format: 'png' });
  const shown = await decodeImageFile(join(workspace.paths.root, result.output));
  const saved = await decodeImageFile(join(workspace.paths.root, asPng.media));
  assert.deepEqual(saved.data, shown.data, 'the PNG saved is the photo shown');
  const asJpeg = await jobs.save({ resultId: result.id, format: 'jpg', quality: 95 });
  assert.equal(asJpeg.fileName, 'street-translated.jpg');
  const jpeg = await decodeImageFile(join(workspace.paths.root, asJpeg.media));
  assert.deepEqual([jpeg.width, jpeg.height], [20, 14]);
  const meanDifference = jpeg.data.reduce((sum, v, i) => sum + Math.abs(v - shown.data[i]), 0) / jpeg.data.length;
  assert.ok(meanDifference < 4, `the JPEG holds the shown pixels, within JPEG's loss (mean difference ${meanDifference.toFixed(2)})`);
  assert.equal(events.length, converting, 'saving reports no conversion');
});
