// The studio in browser mode (access: 'browser'): what the API may read and write on this machine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, rm, symlink, writeFile, realpath } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyTranslatorBytes } from '../../models/onnx/convert-fixtures.js';
import { encodePng } from '../../models/data/image-io.js';
import { dispatch } from '../api.js';
import { createStudio, type StudioBackend } from './studio.js';

let root: string;
let studio: StudioBackend;
let modelId: string;
const photos = () => join(root, 'photos');
const outside = () => join(root, 'outside');

before(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'darkroom-studio-access-')));
  studio = await createStudio({ workspaceDir: join(root, 'ws'), sample: false, access: 'browser' });
  for (const dir of [photos(), outside(), join(photos(), '.hidden'), join(photos(), 'sub')]) await mkdir(dir, { recursive: true });
  const png = await encodePng(new Uint8Array(12 * 10 * 3).fill(120), 12, 10, 3);
  await writeFile(join(photos(), 'a.png'), png);
  await writeFile(join(photos(), 'notes.txt'), 'not for the page');
  await writeFile(join(photos(), 'model.onnx'), await tinyTranslatorBytes({ 'darkroom.range': '-1,1' }));
  await writeFile(join(outside(), 'b.png'), png);
  await writeFile(join(outside(), 'secret.txt'), 'the secret line');
  await writeFile(join(outside(), 'm.onnx'), await tinyTranslatorBytes({ 'darkroom.range': '-1,1' }));
  await symlink(join(outside(), 'secret.txt'), join(photos(), 'x.png'));
  const model = await call('models.import', { name: 'm.onnx', base64: Buffer.from(await tinyTranslatorBytes({ 'darkroom.range': '-1,1' })).toString('base64') });
  modelId = model.id;
});

after(async () => {
  await studio.close();
  await rm(root, { recursive: true, force: true });
});

const call = (method: string, request: unknown) => dispatch(studio.handlers, method, request) as Promise<any>;

test('the folder browser lists folders and images only; hidden folders only on request; a link out is named, not listed', async () => {
  const listing = await call('fs.list', { path: photos() });
  assert.deepEqual(listing.entries.map((e: { name: string; kind: string }) => `${e.kind}:${e.name}`), ['folder:sub', 'image:a.png']);
  assert.deepEqual(listing.leftOut.map((e: { name: string }) => e.name), ['x.png']);
  assert.match(listing.leftOut[0].reason, /^a link to .*secret\.txt, outside /);
  const withHidden = await call('fs.list', { path: photos(), hidden: true });
  assert.deepEqual(withHidden.entries.map((e: { name: string }) => e.name), ['.hidden', 'sub', 'a.png']);
});

test('reads need a folder chosen in the studio: datasets, photos, models and batch inputs', async () => {
  await assert.rejects(call('datasets.add', { path: outside() }), /outside the workspace and the folders you chose/);
  await assert.rejects(call('convert.image', { modelId, image: { path: join(outside(), 'b.png') } }), /outside/);
  await assert.rejects(call('models.import', { path: join(outside(), 'm.onnx') }), /outside/);
  await assert.rejects(call('batch.start', { modelId, input: outside(), output: join(root, 'ws', 'out') }), /outside the workspace and the folders you chose/);

  assert.equal((await call('fs.choose', { path: photos(), use: 'input' })).path, photos());
  assert.equal((await call('datasets.add', { path: photos() })).count, 1);
  const converted = await call('convert.image', { modelId, image: { path: join(photos(), 'a.png') } });
  assert.equal(converted.width, 12);
  const imported = await call('models.import', { path: join(photos(), 'model.onnx') });
  assert.equal(imported.input, 'image');
});

test('convert.image never copies what a link named like a photo leads to', async () => {
  await call('fs.choose', { path: photos(), use: 'input' });
  const cacheBefore = await readdir(studio.workspace.paths.convert);
  await assert.rejects(call('convert.image', { modelId, image: { path: join(photos(), 'x.png') } }), /outside/);
  await symlink(join(photos(), 'notes.txt'), join(photos(), 'y.png'));
  await assert.rejects(call('convert.image', { modelId, image: { path: join(photos(), 'y.png') } }), /is not an image file/);
  assert.deepEqual(await readdir(studio.workspace.paths.convert), cacheBefore, 'nothing entered the served cache');
});

test('writes go only into the workspace or chosen outputs; convert.save takes no path', async () => {
  await call('fs.choose', { path: photos(), use: 'input' });
  const converted = await call('convert.image', { modelId, image: { path: join(photos(), 'a.png') } });
  const target = join(outside(), 'overwritten.txt');
  await assert.rejects(call('convert.save', { resultId: converted.id, format: 'png', path: target }), /saved through the browser's downloads/);
  assert.equal(existsSync(target), false);
  const saved = await call('convert.save', { resultId: converted.id, format: 'png' });
  assert.equal(saved.path, null);
  assert.match(saved.media, /^cache\/convert\//);

  await assert.rejects(call('batch.start', { modelId, input: photos(), output: join(outside(), 'nights') }), /outside the workspace and the output folders/);
  await assert.rejects(call('batch.start', { modelId, input: photos(), output: join(photos(), 'nights') }), /output folders/, 'an input folder is not an output');
  assert.equal(existsSync(join(outside(), 'nights')), false);
  await call('fs.choose', { path: outside(), use: 'output' });
  const ended = new Promise<string>((resolve) =>
    studio.subscribe((event) => {
      if (event.type === 'batch' && (event.event.type === 'finished' || event.event.type === 'failed')) resolve(event.event.type);
    }),
  );
  const job = await call('batch.start', { modelId, input: photos(), output: join(outside(), 'nights') });
  assert.match(job.jobId, /^batch-/);
  assert.equal(await ended, 'finished');
  assert.equal(existsSync(join(outside(), 'nights', 'a.png')), true);
});

test('training.start reads an --init-generator checkpoint only where the policy lets a model be read', async () => {
  const checkpoint = join(root, 'ckpt');
  await mkdir(checkpoint, { recursive: true });
  await writeFile(join(checkpoint, 'latest_net_G.pth'), 'stand-in: refused before it is read');
  await call('fs.choose', { path: photos(), use: 'input' });
  const night = join(root, 'night');
  await mkdir(night, { recursive: true });
  await call('fs.choose', { path: night, use: 'input' });
  await writeFile(join(night, 'n.png'), await encodePng(new Uint8Array(12 * 10 * 3).fill(20), 12, 10, 3));
  const listed = (await call('datasets.list', {})) as { id: string; path: string }[];
  const day = listed.find((d) => d.path === photos()) ?? (await call('datasets.add', { path: photos() }));
  const b = await call('datasets.add', { path: night });
  const request = { family: 'cut', datasets: { a: day.id, b: b.id }, size: 32, iterations: 1, initGenerator: [join(checkpoint, 'latest_net_G.pth')] };
  await assert.rejects(call('training.start', request), /latest_net_G.pth is outside the workspace and the folders you chose/);
  await assert.rejects(call('training.start', { ...request, initGenerator: [join(root, 'missing.pth')] }), /missing.pth cannot be read; check that the file exists/);
  await assert.rejects(call('training.start', { ...request, initGenerator: [join(photos(), 'model.onnx')] }), /model.onnx is not a PyTorch checkpoint/);
  assert.deepEqual(await readdir(join(root, 'ws', 'runs')).catch(() => []), [], 'no run folder was claimed');
});

test('fs.choose refuses what is not a folder', async () => {
  await assert.rejects(call('fs.choose', { path: join(photos(), 'a.png'), use: 'input' }), /is a file, not a folder/);
  await assert.rejects(call('fs.choose', { path: join(root, 'missing'), use: 'output' }), /does not exist/);
});

test('fs.createFolder makes one new folder and lists it; writing there still needs it chosen as an output', async () => {
  const fresh = join(root, 'fresh');
  await mkdir(fresh);
  const listing = await call('fs.createFolder', { path: join(fresh, 'nights') });
  assert.equal(listing.path, join(fresh, 'nights'));
  assert.deepEqual(listing.entries, []);
  assert.equal(existsSync(join(fresh, 'nights')), true);
  assert.equal((await call('fs.createFolder', { path: join(fresh, 'nights') })).path, join(fresh, 'nights'), 'an existing folder is taken as it is');
  await assert.rejects(call('batch.start', { modelId, input: photos(), output: join(fresh, 'nights') }), /output folders you chose/);
  assert.equal((await call('fs.choose', { path: join(fresh, 'nights'), use: 'output' })).path, join(fresh, 'nights'));

  await assert.rejects(call('fs.createFolder', { path: join(fresh, 'a', 'b') }), /does not exist: make new folders one at a time/);
  await writeFile(join(fresh, 'file.txt'), 'x');
  await assert.rejects(call('fs.createFolder', { path: join(fresh, 'file.txt') }), /already exists and is not a folder/);
  await assert.rejects(call('fs.createFolder', { path: join(fresh, 'file.txt', 'inner') }), /is a file, not a folder/);
  await symlink(fresh, join(root, 'fresh-link'));
  assert.equal((await call('fs.createFolder', { path: join(root, 'fresh-link', 'via-link') })).path, join(fresh, 'via-link'), 'made where the parent really is');
});
