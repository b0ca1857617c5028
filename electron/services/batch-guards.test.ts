// What a batch refuses or survives before it converts anything: output folders that cannot be one, empty paths,
// and special files (a FIFO would block a read forever) among the inputs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../models/errors.js';
import { mountTinyDisk } from '../../models/tiny-disk.js';
import { tinyGeneratorBytes } from '../../models/onnx/convert-fixtures.js';
import { openModel, type OnnxModel } from '../../models/onnx/runtime.js';
import { GOOD_PHOTOS, listTree, writeGoodPhotos } from './batch-fixtures.js';
import { REPORT_NAME, runBatch } from './batch.js';

let dir: string;
let model: OnnxModel;

before(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'darkroom-batch-guards-'));
  await fs.writeFile(join(dir, 'g.onnx'), await tinyGeneratorBytes({ ngf: 4, blocks: 1 }));
  model = await openModel(join(dir, 'g.onnx'));
  await fs.mkdir(join(dir, 'photos'));
  await writeGoodPhotos(join(dir, 'photos'));
});

after(async () => {
  await model.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

const photos = () => join(dir, 'photos');

test('an output folder that refuses children (/proc/self/x) is refused at once instead of looping', { skip: process.platform !== 'linux' && '/proc is Linux', timeout: 20_000 }, async () => {
  await assert.rejects(runBatch({ model, inputs: [photos()], out: '/proc/self/x' }), (error: Error) => {
    assert.ok(error instanceof UsageError, String(error));
    assert.match(error.message, /cannot create the output folder \/proc\/self\/x: \/proc\/self does not take new folders/);
    return true;
  });
});

test('an output that is a file, an empty output and an empty input are usage errors, and nothing is written', async () => {
  const file = join(dir, 'notes.txt');
  await fs.writeFile(file, 'mine');
  await assert.rejects(runBatch({ model, inputs: [photos()], out: file }), { name: 'UsageError', message: /is a file, not a folder/ });
  assert.equal(await fs.readFile(file, 'utf8'), 'mine');
  await assert.rejects(runBatch({ model, inputs: [photos()], out: '' }), { name: 'UsageError', message: /the output folder is an empty path/ });
  await assert.rejects(runBatch({ model, inputs: [''], out: join(dir, 'from-empty') }), { name: 'UsageError', message: /an input is an empty path/ });
  await assert.rejects(fs.stat(join(dir, 'from-empty')));
  assert.ok(!(await fs.readdir(process.cwd())).includes(REPORT_NAME), 'nothing was written into the current folder');
});

test('a FIFO among the inputs fails by name while the rest converts, instead of blocking the batch', { skip: process.platform === 'win32' && 'FIFOs are Unix', timeout: 60_000 }, async () => {
  const input = join(dir, 'with-fifo');
  await fs.mkdir(input);
  await fs.copyFile(join(photos(), Object.keys(GOOD_PHOTOS)[0]), join(input, 'good.jpg'));
  assert.equal(spawnSync('mkfifo', [join(input, 'pipe.jpg')]).status, 0);
  const out = join(dir, 'with-fifo-out');
  const { report } = await runBatch({ model, inputs: [input, join(input, 'pipe.jpg')], out });
  assert.deepEqual(report.counts, { total: 2, done: 1, skipped: 0, failed: 1, pending: 0 });
  const failed = report.items.find((i) => i.status === 'failed');
  assert.equal(failed?.input, join(input, 'pipe.jpg'));
  assert.match(failed!.reason!, /it is a named pipe \(FIFO\), not a file/);
  assert.deepEqual(await listTree(out), [REPORT_NAME, 'good.jpg']);
});

/** Fills the disk holding `dir` until about `leave` bytes are free. */
async function fillDisk(dir: string, leave: number): Promise<void> {
  const { bavail, bsize } = await fs.statfs(dir);
  await fs.writeFile(join(dir, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - leave)));
}

test('a full disk: each photo fails naming its output and what to do, the report says so, and no temporary file is left', async (t) => {
  const disk = await mountTinyDisk(1024 * 1024, (fn) => t.after(fn));
  if ('skip' in disk) return t.skip(disk.skip);
  const out = join(disk.path, 'out');
  await fs.mkdir(out);
  await fillDisk(disk.path, 8 * 1024); // two pages: the report and its next version, not a photo
  const { report } = await runBatch({ model, inputs: [photos()], out, recursive: true, format: 'png' });
  assert.equal(report.counts.failed, Object.keys(GOOD_PHOTOS).length, JSON.stringify(report.counts));
  for (const item of report.items)
    assert.match(item.reason ?? '', new RegExp(`^Cannot write image ${item.output.replace(/[.]/g, '\\.')}: the disk is full: free some space on that drive`));
  assert.deepEqual(await listTree(out), [REPORT_NAME], 'no photo and no temporary file');
});

test('a disk too full even for the report: the batch fails naming the report and what to do', async (t) => {
  const disk = await mountTinyDisk(1024 * 1024, (fn) => t.after(fn));
  if ('skip' in disk) return t.skip(disk.skip);
  const out = join(disk.path, 'out');
  await fs.mkdir(out);
  await fillDisk(disk.path, 0);
  await assert.rejects(runBatch({ model, inputs: [photos()], out, recursive: true }), {
    message: new RegExp(`Could not write the batch report ${join(out, REPORT_NAME)}: the disk is full: free some space on that drive, then run the same conversion again`),
  });
  assert.deepEqual(await listTree(out), [], 'no temporary file');
});
