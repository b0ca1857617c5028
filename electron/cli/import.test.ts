// The real `darkroom import` and `convert --model FILE.pth` in child processes: a published generator imports and
// converts (once into the workspace's cache, then from it); hostile, random and unknown checkpoints exit 2 with the
// reason, run nothing and leave no model or output behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { texturedPhoto } from '../../models/onnx/convert-fixtures.js';

const BIN = fileURLToPath(new URL('../../bin/darkroom.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../models/import/fixtures/', import.meta.url));
const EVIL_MARK = '/tmp/darkroom-evil-fixture-ran';

let dir: string;
let photos: string;
let workspace: string;

before(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'darkroom-import-cli-'));
  photos = join(dir, 'photos');
  workspace = join(dir, 'workspace');
  await fs.mkdir(photos);
  const p = texturedPhoto(96, 64, 4);
  await sharp(p.pixels, { raw: { width: 96, height: 64, channels: 3 } }).png().toFile(join(photos, 'photo.png'));
});

after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function darkroom(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, DARKROOM_WORKSPACE: workspace } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('import writes a model that info describes and convert uses', () => {
  const out = join(dir, 'models', 'h2z.onnx');
  const imported = darkroom('import', join(FIXTURES, 'cyclegan-nested.pth'), '--out', out, '--name', 'Horse to zebra', '--json');
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stderr, /Imported ResnetGenerator of pytorch-CycleGAN-and-pix2pix \(ngf 4, 1 residual block.*key G_A\) as a cyclegan generator AtoB/);
  assert.equal(JSON.parse(imported.stdout).direction, 'AtoB');
  const info = darkroom('info', out, '--device', 'cpu', '--json');
  assert.equal(info.code, 0, info.stderr);
  const metadata = JSON.parse(info.stdout).metadata as Record<string, string>;
  assert.equal(metadata['darkroom.family'], 'cyclegan');
  assert.equal(metadata['darkroom.sourceFile'], 'cyclegan-nested.pth');
  assert.equal(metadata['darkroom.name'], 'Horse to zebra');
  const converted = darkroom('convert', '--model', out, photos, '--out', join(dir, 'out-onnx'), '--device', 'cpu');
  assert.equal(converted.code, 0, converted.stderr);
  assert.ok(existsSync(join(dir, 'out-onnx', 'photo.png')));
});

test('convert --model FILE.pth imports into the workspace cache once, then reuses it', async () => {
  const first = darkroom('convert', '--model', join(FIXTURES, 'cut.pth'), photos, '--out', join(dir, 'out-1'), '--device', 'cpu');
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /Imported .*cut\.pth: CUT ResnetGenerator \(anti-aliased/);
  const cached = await fs.readdir(join(workspace, 'cache', 'imported'));
  assert.equal(cached.filter((f) => f.endsWith('.onnx')).length, 1);
  const second = darkroom('convert', '--model', join(FIXTURES, 'cut.pth'), photos, '--out', join(dir, 'out-2'), '--device', 'cpu');
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /Using the model imported before/);
  assert.deepEqual(await fs.readFile(join(dir, 'out-1', 'photo.png')), await fs.readFile(join(dir, 'out-2', 'photo.png')));
});

for (const [file, reason] of [
  ['evil-zip.pth', /this file asks to run posix\.system when loaded; Darkroom never runs code from a checkpoint/],
  ['evil-legacy.pth', /this file asks to run posix\.system when loaded; Darkroom never runs code from a checkpoint/],
  ['random.pth', /is not a PyTorch checkpoint/],
  ['unknown.pth', /is not a generator Darkroom knows: it holds 1 tensor \(conv\.weight \[5, 5\]\)/],
] as const) {
  test(`import and convert refuse ${file} with exit 2, run nothing and write nothing`, async () => {
    await fs.rm(EVIL_MARK, { force: true });
    const out = join(dir, `${file}.onnx`);
    const imported = darkroom('import', join(FIXTURES, file), '--out', out);
    assert.equal(imported.code, 2, imported.stderr);
    assert.match(imported.stderr, reason);
    assert.ok(imported.stderr.includes(join(FIXTURES, file)), 'the message names the file');
    assert.equal(existsSync(out), false);
    const converted = darkroom('convert', '--model', join(FIXTURES, file), photos, '--out', join(dir, `out-${file}`));
    assert.equal(converted.code, 2, converted.stderr);
    assert.match(converted.stderr, reason);
    assert.equal(existsSync(join(dir, `out-${file}`)), false);
    assert.equal(existsSync(EVIL_MARK), false);
    assert.ok(!(await fs.readdir(dir)).some((f) => f.includes('.tmp-')), 'no temporary file is left');
  });
}
