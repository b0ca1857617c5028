// The studio in browser mode where symbolic links lead out of the chosen folders: nothing outside is read,
// listed, served or written — by Batch, Datasets, the trainer or Export — and each says which links it left out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readdir, readFile, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyTranslatorBytes } from '../../models/onnx/convert-fixtures.js';
import { decodeImageFile, encodePng } from '../../models/data/image-io.js';
import { dispatch, type StudioBatchEvent, type StudioEvent } from '../api.js';
import { createStudio, type StudioBackend } from './studio.js';

const SIZE = 16;
const RED = [255, 0, 0];

let root: string;
let studio: StudioBackend;
const events: StudioEvent[] = [];
const at = (...parts: string[]) => join(root, ...parts);
const call = (method: string, request: unknown) => dispatch(studio.handlers, method, request) as Promise<any>;

const solid = (rgb: number[]) => encodePng(new Uint8Array(SIZE * SIZE * 3).map((_, i) => rgb[i % 3]), SIZE, SIZE, 3);

before(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'darkroom-studio-links-')));
  for (const dir of ['in/sub', 'out', 'secret', 'elsewhere', 'train', 'outside-runs']) await mkdir(at(dir), { recursive: true });
  await writeFile(at('in', '000.png'), await solid([40, 90, 200]));
  await writeFile(at('in', 'sub', '001.png'), await solid([40, 200, 90]));
  // The outside photo is red: wherever red shows up, it leaked.
  await writeFile(at('secret', '000.png'), await solid(RED));
  await writeFile(at('secret', 'private.png'), await solid(RED));
  await writeFile(at('elsewhere', '001.png'), 'not to be replaced');
  for (let i = 0; i < 4; i++) await writeFile(at('train', `${i + 1}.png`), await solid([30 + 40 * i, 60, 220]));

  await symlink(at('secret', '000.png'), at('in', 'linked.png'));
  await symlink(at('secret'), at('in', 'linkdir'));
  await symlink('/etc/shadow', at('in', 'shadow.png'));
  await symlink(at('elsewhere'), at('out', 'sub'));
  // Named to sort first, so it would be in the sample grid's first row if the trainer read it.
  await symlink(at('secret', 'private.png'), at('train', '0-linked.png'));
  await symlink(at('secret'), at('train', 'linkdir'));

  studio = await createStudio({ workspaceDir: at('ws'), sample: false, access: 'browser' });
  studio.subscribe((event) => events.push(event));
});

after(async () => {
  await studio.close();
  await rm(root, { recursive: true, force: true });
});

function batchEvents(jobId: string): StudioBatchEvent[] {
  return events.flatMap((e) => (e.type === 'batch' && e.jobId === jobId ? [e.event] : []));
}

async function until<T>(what: string, read: () => T | Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 240_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('Batch converts the real photos only: links out of the input are not read, a linked output sub-folder is not written into', async () => {
  const model = await call('models.import', { name: 'm.onnx', base64: Buffer.from(await tinyTranslatorBytes({ 'darkroom.range': '-1,1' })).toString('base64') });
  await call('fs.choose', { path: at('in'), use: 'input' });
  await call('fs.choose', { path: at('out'), use: 'output' });
  const { jobId } = await call('batch.start', { modelId: model.id, input: at('in'), output: at('out'), format: 'png', recursive: true, overwrite: true });
  const finished = await until('the batch to finish', () => batchEvents(jobId).find((e) => e.type === 'finished'), (e) => e !== undefined);
  await until('its thumbnails', () => batchEvents(jobId).filter((e) => e.type === 'thumbnail').length, (n) => n >= 1);

  assert.ok(existsSync(at('out', '000.png')), 'the real photo is converted');
  for (const name of ['linked.png', 'linkdir', 'shadow.png']) assert.equal(existsSync(at('out', name)), false, `${name}: nothing converted from outside`);
  assert.deepEqual(await readdir(at('elsewhere')), ['001.png'], 'nothing new written through the linked sub-folder');
  assert.equal(await readFile(at('elsewhere', '001.png'), 'utf8'), 'not to be replaced', 'even with overwrite');

  assert.ok(finished?.type === 'finished');
  const failed = Object.fromEntries(finished.failed.map((f) => [f.path, f.reason]));
  assert.match(failed[at('in', 'linked.png')], new RegExp(`^not converted: a link to ${at('secret', '000.png')}, outside ${at('in')}`));
  assert.match(failed[at('in', 'linkdir')], /^not converted: a link to .*secret, outside /);
  assert.match(failed[at('in', 'shadow.png')], /^not converted: a link to \/etc\/shadow, outside /, 'never opened, so never "not an image"');
  assert.match(failed[at('in', 'sub', '001.png')], new RegExp(`^not converted: ${at('out', 'sub')} leads to ${at('elsewhere')}, outside the output folder`));

  // The preview serves converted photos only; the gallery has the real photo's thumbnail and nothing red.
  await assert.rejects(call('batch.preview', { jobId, path: at('in', 'linked.png') }), /not among the batch's converted photos/);
  await assert.rejects(call('batch.preview', { jobId, path: at('secret', '000.png') }), /not among the batch's converted photos/);
  const thumbnails = batchEvents(jobId).flatMap((e) => (e.type === 'thumbnail' ? [e.path] : []));
  assert.deepEqual(thumbnails, [at('in', '000.png')]);
});

test('the trainer uses exactly the images the dataset shows; links out of it are left out by both, with the same reasons, and never reach the sample grid', async () => {
  await call('fs.choose', { path: at('train'), use: 'input' });
  const dataset = await call('datasets.add', { path: at('train'), name: 'Blue' });
  assert.equal(dataset.count, 4);
  const leftOut = dataset.problems.filter((p: { kind: string }) => p.kind === 'left-out').map((p: { file: string; message: string }) => ({ file: p.file, reason: p.message }));
  assert.deepEqual(leftOut.map((p: { file: string }) => p.file), ['0-linked.png', 'linkdir']);

  const run = await call('training.start', { family: 'ae', datasets: { a: dataset.id }, name: 'Links', size: SIZE, batch: 2, iterations: 2, sampleEvery: 2, checkpointEvery: 2, backend: 'cpu', advanced: { latent: 8, nf: 4 } });
  const detail = await until('the run to finish', () => call('runs.get', { runId: run.id }), (d) => d.status === 'done' && !d.active);
  assert.equal(detail.datasets[0].images, dataset.count, "the trainer's count is the dataset's");
  assert.deepEqual(detail.datasets[0].skipped, leftOut, 'the same entries left out, in the same words');

  const grid = await decodeImageFile(await studio.resolveMedia(detail.samples.at(-1).media));
  assert.equal(grid.width, dataset.count * (SIZE + 2) - 2, 'one input tile per dataset image');
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < grid.width; x++) {
      const i = (y * grid.width + x) * 3;
      assert.ok(!(grid.data[i] > 200 && grid.data[i + 1] < 60 && grid.data[i + 2] < 60), `a red pixel at ${x},${y} of the sample grid's input row`);
    }

  // Export and resume read and write the run folder: one linked in from outside the workspace is refused, in the
  // listings' words for a link leading out.
  const runDir = at('ws', 'runs', run.id);
  await rename(runDir, at('outside-runs', run.id));
  await symlink(at('outside-runs', run.id), runDir);
  await assert.rejects(call('runs.export', { runId: run.id }), /is not read: it is a link to .*outside-runs.*, outside .*ws: Darkroom reads only what is inside the folder/);
  await assert.rejects(call('training.resume', { runId: run.id, iterations: 4 }), /is not read: it is a link to .*outside-runs.*, outside .*ws: Darkroom reads only what is inside the folder/);
  assert.equal(existsSync(at('outside-runs', run.id, 'exports')), false, 'no export written outside');
  await rm(runDir);
  await rename(at('outside-runs', run.id), runDir);
});

test('a run folder linked in from outside the workspace is neither listed nor read, and the list says why in the listings\' words', async () => {
  const outsideRun = at('outside-runs', 'planted');
  // A run made elsewhere (any run.json will do: it must never be read), linked into the workspace's runs folder.
  await mkdir(join(outsideRun, 'samples'), { recursive: true });
  await writeFile(join(outsideRun, 'run.json'), JSON.stringify({ format: 'darkroom-run', secret: 'outside' }));
  await writeFile(join(outsideRun, 'samples', '000001.png'), await solid(RED));
  await symlink(outsideRun, at('ws', 'runs', 'planted'));
  const listed = await call('runs.list', {});
  assert.ok(!listed.runs.some((r: { id: string }) => r.id === 'planted'), 'not listed');
  assert.deepEqual(listed.leftOut.map((l: { name: string }) => l.name), ['planted']);
  assert.match(listed.leftOut[0].reason, new RegExp(`^a link to ${outsideRun}, outside ${at('ws')}: Darkroom reads only what is inside the folder; `));
  for (const method of ['runs.get', 'runs.export', 'runs.delete'])
    await assert.rejects(call(method, { runId: 'planted' }), /The run folder planted is not read: it is a link to .*, outside .*: Darkroom reads only what is inside the folder/, method);
  assert.ok(existsSync(join(outsideRun, 'run.json')), 'nothing outside was removed');
  await rm(at('ws', 'runs', 'planted'));
});

test('a model file linked in from outside the workspace is neither listed nor opened', async () => {
  const outside = at('outside-runs', 'planted-model');
  await mkdir(outside, { recursive: true });
  await writeFile(join(outside, 'm.json'), JSON.stringify({ id: 'planted', name: 'Planted', createdAt: new Date().toISOString() }));
  await writeFile(join(outside, 'm.onnx'), 'not a model, and never to be read');
  await mkdir(at('ws', 'models'), { recursive: true });
  await symlink(join(outside, 'm.json'), at('ws', 'models', 'planted.json'));
  await symlink(join(outside, 'm.onnx'), at('ws', 'models', 'planted.onnx'));
  const listed = await call('models.list', {});
  assert.ok(!listed.some((m: { id: string }) => m.id === 'planted'), 'not listed');
  for (const [method, request] of [['models.rename', { id: 'planted', name: 'x' }], ['models.delete', { id: 'planted' }]] as const)
    await assert.rejects(call(method, request), /The model planted is not read: planted\.json is a link to .*, outside .*: Darkroom reads only what is inside the folder/, method);
  assert.ok(existsSync(join(outside, 'm.json')), 'nothing outside was removed');
  await rm(at('ws', 'models', 'planted.json'));
  await rm(at('ws', 'models', 'planted.onnx'));
});
