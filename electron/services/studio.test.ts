import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir, readFile } from 'node:fs/promises';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedSizeModelBytes, negativeModelBytes, tinyTranslatorBytes } from '../../models/onnx/convert-fixtures.js';
import { encodePng, readImageInfo } from '../../models/data/image-io.js';
import { dispatch, toErrorBody, type BatchEvent, type StudioEvent } from '../api.js';
import { createStudio, type StudioBackend } from './studio.js';
import { platformDevices } from '../../models/onnx/devices.js';

let root: string;
let studio: StudioBackend;
const events: StudioEvent[] = [];

async function photo(width: number, height: number): Promise<Buffer> {
  const pixels = new Uint8Array(width * height * 3).map((_, i) => (i * 29) % 256);
  return encodePng(pixels, width, height, 3);
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'darkroom-studio-'));
  studio = await createStudio({ workspaceDir: join(root, 'ws'), sample: { count: 3, size: 32 } });
  studio.subscribe((event) => events.push(event));
  await writeFile(join(root, 'night.onnx'), await tinyTranslatorBytes({ 'darkroom.family': 'cyclegan', 'darkroom.range': '-1,1', 'darkroom.direction': 'AtoB' }));
});

after(async () => {
  await studio.close();
  await rm(root, { recursive: true, force: true });
});

const call = (method: string, request: unknown) => dispatch(studio.handlers, method, request) as Promise<any>;

/** The first studio event so far or to come that matches; fails after a minute naming what it waited for. */
function eventWhere(what: string, match: (event: StudioEvent) => boolean): Promise<StudioEvent> {
  const deadline = Date.now() + 60_000;
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = events.find(match);
      if (found) resolve(found);
      else if (Date.now() > deadline) reject(new Error(`no ${what} within a minute; events: ${JSON.stringify(events.slice(-5))}`));
      else setTimeout(check, 50);
    };
    check();
  });
}

test('the first start makes the sample project: day and night scenes as two datasets', async () => {
  const info = await call('app.info', {});
  assert.equal(info.firstStart, true);
  assert.ok(info.sample);
  const datasets = await call('datasets.list', {});
  assert.deepEqual(datasets.map((d: { name: string; count: number }) => [d.name, d.count]), [['Sample: day scenes', 3], ['Sample: night scenes', 3]]);
  assert.equal(datasets[0].id, info.sample.dayDatasetId);
  const reopened = await createStudio({ workspaceDir: join(root, 'ws'), sample: { count: 3, size: 32 } });
  assert.equal((await dispatch(reopened.handlers, 'app.info', {}) as { firstStart: boolean }).firstStart, false);
  assert.equal((await dispatch(reopened.handlers, 'datasets.list', {}) as unknown[]).length, 2, 'no second sample project');
  await reopened.close();
});

test('a dropped photo comes back translated at its own size, and saves in another format', async () => {
  const model = await call('models.import', { path: join(root, 'night.onnx') });
  const result = await call('convert.image', { modelId: model.id, image: { name: 'street.png', base64: (await photo(50, 30)).toString('base64') } });
  assert.deepEqual([result.width, result.height], [50, 30]);
  const output = await readImageInfo(await studio.resolveMedia(result.output));
  assert.deepEqual([output.width, output.height], [50, 30]);
  const saved = await call('convert.save', { resultId: result.id, format: 'jpg', quality: 80 });
  assert.equal(saved.fileName, 'street-translated.jpg');
  const jpeg = await readImageInfo(await studio.resolveMedia(saved.media));
  assert.deepEqual([jpeg.format, jpeg.width, jpeg.height], ['jpeg', 50, 30]);
  const chosen = join(root, 'chosen.webp');
  await call('convert.save', { resultId: result.id, format: 'webp', path: chosen });
  assert.equal((await readImageInfo(chosen)).format, 'webp');
  await assert.rejects(call('convert.image', { modelId: model.id, image: { name: 'notes.txt', base64: 'aGVsbG8=' } }), /not an image file/);
});

test('a folder batch reports its progress and the file it could not read', async () => {
  const input = join(root, 'batch-in');
  await mkdir(join(input, 'sub'), { recursive: true });
  await writeFile(join(input, 'a.png'), await photo(24, 20));
  await writeFile(join(input, 'sub', 'b.png'), await photo(20, 24));
  await writeFile(join(input, 'bad.jpg'), 'not a jpeg');
  const model = (await call('models.list', {})).find((m: { name: string }) => m.name === 'night');
  const { jobId } = await call('batch.start', { modelId: model.id, input, output: join(root, 'batch-out'), format: 'png' });
  const ended = await eventWhere('finished batch event', (e) => e.type === 'batch' && e.jobId === jobId && e.event.type === 'finished');
  const finished = (ended as { event: Extract<BatchEvent, { type: 'finished' }> }).event;
  assert.equal(finished.counts.done, 2);
  assert.equal(finished.counts.failed, 1);
  assert.match(finished.failed[0].path, /bad\.jpg$/);
  assert.ok(events.some((e) => e.type === 'batch' && e.jobId === jobId && e.event.type === 'started'));
  assert.equal((await readImageInfo(join(root, 'batch-out', 'sub', 'b.png'))).width, 20);
  assert.ok((await readFile(join(root, 'batch-out', 'darkroom-report.json'), 'utf8')).includes('bad.jpg'));
  await assert.rejects(call('batch.start', { modelId: model.id, input: join(root, 'nope'), output: join(root, 'out2') }));
});

test('a batch that breaks after it started says so instead of leaving the Batch view waiting', async () => {
  const input = join(root, 'broken-in');
  const out = join(root, 'broken-out');
  await mkdir(input, { recursive: true });
  await writeFile(join(input, 'a.png'), await photo(24, 20));
  const model = (await call('models.list', {})).find((m: { name: string }) => m.name === 'night');
  // Once started, a folder where the final report goes makes the batch fail as a whole.
  const sabotage = studio.subscribe((e) => {
    if (e.type === 'batch' && e.event.type === 'started' && e.event.out === out) {
      rmSync(join(out, 'darkroom-report.json'), { recursive: true, force: true });
      mkdirSync(join(out, 'darkroom-report.json', 'blocked'), { recursive: true });
    }
  });
  try {
    const { jobId } = await call('batch.start', { modelId: model.id, input, output: out, format: 'png' });
    const ending = await eventWhere('end of the batch', (e) => e.type === 'batch' && e.jobId === jobId && (e.event.type === 'failed' || e.event.type === 'finished'));
    assert.ok(ending.type === 'batch' && ending.event.type === 'failed', 'a failed event, not a finished one');
    assert.match(ending.event.message, /darkroom-report\.json/);
  } finally {
    sabotage();
  }
});

test('a model that does not say its pixel range is imported with the range the user chose, never a guess', async () => {
  // No range metadata and no final Tanh or Sigmoid: nothing says its range.
  const silent = negativeModelBytes();
  const base64 = Buffer.from(silent).toString('base64');
  const unknown = await call('models.import', { name: 'silent.onnx', base64 });
  assert.equal(unknown.range, null);
  const image = { name: 'street.png', base64: (await photo(20, 16)).toString('base64') };
  await assert.rejects(call('convert.image', { modelId: unknown.id, image }), /does not say which pixel range/);
  await assert.rejects(call('batch.start', { modelId: unknown.id, input: root, output: join(root, 'never') }), /does not say which pixel range/);
  await assert.rejects(call('models.import', { name: 'silent.onnx', base64, range: '0,255' }), /"range" must be one of -1,1, 0,1/);
  const chosen = await call('models.import', { name: 'silent.onnx', base64, range: '0,1' });
  assert.equal(chosen.range, '0,1');
  const result = await call('convert.image', { modelId: chosen.id, image });
  assert.deepEqual([result.width, result.height], [20, 16]);
});

test('devices.list names every training backend and inference device, with what auto takes and why others are missing', async () => {
  const { training, inference } = await call('devices.list', {});
  assert.deepEqual(training.backends.map((b: { name: string }) => b.name), ['tensorflow', 'webgpu', 'onnx', 'wasm', 'cpu']);
  assert.ok(training.backends.find((b: { name: string }) => b.name === training.auto).available);
  for (const b of training.backends) assert.ok(b.available || typeof b.reason === 'string', `${b.name} says why it is not available`);
  // Only the devices this platform's ONNX Runtime can have; the others named apart, with why (DirectML off Windows).
  assert.deepEqual(inference.devices.map((d: { name: string }) => d.name).sort(), platformDevices(process.platform).sort());
  assert.deepEqual([...inference.devices, ...inference.elsewhere].map((d: { name: string }) => d.name).sort(), ['coreml', 'cpu', 'cuda', 'dml', 'webgpu']);
  for (const d of inference.elsewhere) assert.match(d.reason, /is only in ONNX Runtime for/);
  assert.ok(inference.devices.find((d: { name: string }) => d.name === inference.auto).available);
  // The device fields offer the same, and say why the others are missing.
  const { devices } = await call('app.info', {});
  assert.deepEqual(devices.choices, ['auto', ...platformDevices(process.platform)]);
  if (process.platform === 'linux') assert.match(devices.elsewhere, /DirectML is only in ONNX Runtime for Windows; Core ML is only in ONNX Runtime for macOS/);
  // What the library's reasons ask for is said in the studio's words.
  assert.doesNotMatch(JSON.stringify({ training, inference }), /⟦/);
});

test("a refusal from the trainer names the studio's fields, in the answer and in the event, never a command-line flag", async () => {
  const [day] = (await call('datasets.list', {})) as { id: string }[];
  // A device only another platform's ONNX Runtime has: the trainer refuses to start its backend there.
  const device = process.platform === 'win32' ? 'coreml' : 'dml';
  const request = { family: 'ae', datasets: { a: day.id }, name: 'Words', size: 16, batch: 2, iterations: 2, backend: 'onnx', device, advanced: { latent: 8, nf: 4 } };
  const refusal = await call('training.start', request).then(() => null, (e: unknown) => toErrorBody(e));
  assert.equal(refusal?.code, 'bad-request');
  assert.match(refusal.message, /is only in ONNX Runtime for (Windows|macOS)/);
  assert.match(refusal.message, /Use “Device” auto \(the best available, now .*\) or “Device” cpu/);
  assert.match(refusal.message, /Choose another “Device”, or “Backend” wasm/);
  assert.doesNotMatch(refusal.message, /--|⟦/);
  const failed = await eventWhere('the refusal as an event', (e) => e.type === 'training' && e.event.type === 'failed' && JSON.stringify(e).includes('only in ONNX Runtime'));
  assert.match(JSON.stringify(failed), /“Backend” wasm/);
  assert.doesNotMatch(JSON.stringify(failed), /--backend|⟦/);
});

test("a conversion that fails names the model as the user knows it, never the workspace's copy of it", async () => {
  // A model that takes only 32×32 inputs cannot tile a larger photo: the refusal names the model.
  const model = await call('models.import', { name: 'tiny-fixed.onnx', base64: Buffer.from(fixedSizeModelBytes(32)).toString('base64'), range: '-1,1' });
  const image = { name: 'street.png', base64: (await photo(150, 100)).toString('base64') };
  const refusal = await call('convert.image', { modelId: model.id, image }).then(() => null, (e: unknown) => toErrorBody(e));
  assert.ok(refusal, 'refused');
  assert.match(refusal.message, new RegExp(`model “${model.name}” takes only 32×32 inputs`));
  assert.ok(!refusal.message.includes(join(root, 'ws')), `no workspace path: ${refusal.message}`);
});
