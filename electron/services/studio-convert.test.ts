import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNet, disposeNet } from '../../models/nets/net.js';
import { exportNet } from '../../models/onnx/export.js';
import { encodePng } from '../../models/data/image-io.js';
import { Rng } from '../../models/rng.js';
import { ConvertJobs } from './studio-convert.js';
import { ModelStore } from './models.js';
import { openWorkspace } from './workspace.js';

test('the convert cache keeps the newest photos only, and nothing of a photo that failed or of a past session', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-convert-cache-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const workspace = await openWorkspace(join(root, 'ws'));
  const models = new ModelStore(workspace);
  const net = createNet({ name: 't', input: { kind: 'image', channels: 3 }, layers: [{ op: 'conv', name: 'c', filters: 3, kernel: 1, stride: 1, pad: 0, bias: true }] }, new Rng(1), 0.3);
  const model = await models.import({ bytes: await exportNet(net, { metadata: { 'darkroom.range': '-1,1' } }), name: 'm.onnx' });
  disposeNet(net);
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
