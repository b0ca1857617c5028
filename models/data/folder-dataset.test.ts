import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../rng.js';
import { DatasetError, EpochSampler, openFolderDataset } from './folder-dataset.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'darkroom-dataset-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A size×size image whose pixel (x, y) is (x*8, y*8, c) (values chosen so a resize to the same size is exact). */
function gradient(size: number, c: number): Buffer {
  const b = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) b.set([x * 8, y * 8, c], (y * size + x) * 3);
  return b;
}

async function png(path: string, size: number, c: number) {
  await sharp(gradient(size, c), { raw: { width: size, height: size, channels: 3 } }).png().toFile(path);
}

test('scans recursively in a stable order, skips unreadable files with one warning', async () => {
  const dir = join(root, 'mixed');
  await mkdir(join(dir, 'sub', 'deeper'), { recursive: true });
  await mkdir(join(dir, '.hidden'));
  await png(join(dir, 'b.png'), 16, 10);
  await png(join(dir, 'a.png'), 16, 20);
  await png(join(dir, 'sub', 'c.png'), 16, 30);
  await sharp(gradient(16, 40), { raw: { width: 16, height: 16, channels: 3 } }).jpeg().toFile(join(dir, 'sub', 'deeper', 'd.JPG'));
  await png(join(dir, '.hidden', 'e.png'), 16, 50); // hidden folders are ignored
  await writeFile(join(dir, 'notes.txt'), 'not an image, and not an image extension: ignored silently');
  await writeFile(join(dir, 'zero.png'), Buffer.alloc(0));
  await writeFile(join(dir, 'fake.jpg'), 'plain text with an image extension');
  const good = await sharp(gradient(16, 0), { raw: { width: 16, height: 16, channels: 3 } }).jpeg().toBuffer();
  await writeFile(join(dir, 'sub', 'truncated.jpg'), good.subarray(0, good.length >> 1));

  const warnings: string[] = [];
  const progress: number[] = [];
  const ds = await openFolderDataset(dir, {
    loadSize: 16,
    cropSize: 12,
    flip: true,
    onWarning: (m) => warnings.push(m),
    onProgress: (done) => progress.push(done),
  });
  assert.equal(ds.size, 4);
  assert.deepEqual(
    ds.paths.map((p) => p.slice(dir.length + 1)),
    ['a.png', 'b.png', 'sub/c.png', 'sub/deeper/d.JPG'],
  );
  assert.deepEqual(ds.skipped.map((s) => s.path.slice(dir.length + 1)).sort(), ['fake.jpg', 'sub/truncated.jpg', 'zero.png']);
  assert.equal(warnings.length, 1, 'exactly one warning');
  for (const name of ['zero.png', 'fake.jpg', 'truncated.jpg']) assert.ok(warnings[0].includes(name), warnings[0]);
  assert.match(warnings[0], /Skipped 3 of 7/);
  assert.equal(progress.length, 7);
  assert.equal(ds.image(0)[2], 20, 'a.png first');
});

test('bad folders give a DatasetError that names the folder', async () => {
  const opts = { loadSize: 8, cropSize: 8, flip: false, onWarning: () => {} };
  const missing = join(root, 'does-not-exist');
  const file = join(root, 'a-file.png');
  await png(file, 8, 0);
  const empty = join(root, 'empty');
  await mkdir(join(empty, 'sub'), { recursive: true });
  await writeFile(join(empty, 'readme.md'), 'no images here');
  const broken = join(root, 'broken');
  await mkdir(broken);
  await writeFile(join(broken, 'x.png'), Buffer.alloc(0));
  const cases: [string, string][] = [
    [missing, 'NOT_FOUND'],
    [file, 'NOT_A_FOLDER'],
    [empty, 'NO_IMAGES'],
    [broken, 'NO_USABLE_IMAGES'],
  ];
  for (const [dir, code] of cases) {
    await assert.rejects(openFolderDataset(dir, opts), (err: unknown) => {
      assert.ok(err instanceof DatasetError, String(err));
      assert.equal(err.code, code);
      assert.equal(err.dir, dir);
      assert.ok(err.message.includes(dir), err.message);
      return true;
    });
  }
  await assert.rejects(openFolderDataset(root, { ...opts, loadSize: 8, cropSize: 9 }), (err: unknown) => {
    return err instanceof DatasetError && err.code === 'BAD_OPTIONS';
  });
});

async function smallDataset(flip: boolean, loadSize = 16, cropSize = 12) {
  const dir = join(root, `small-${flip}-${loadSize}-${cropSize}`);
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < 5; i++) await png(join(dir, `${i}.png`), 16, i * 50);
  return openFolderDataset(dir, { loadSize, cropSize, flip });
}

test('batch: NHWC float32 in [-1, 1]; without augmentation a centre crop that leaves the rng alone', async () => {
  const ds = await smallDataset(true);
  const rng = new Rng(3);
  const state = rng.getState();
  const t = ds.batch([0, 2, 4], rng, false);
  try {
    assert.deepEqual(t.shape, [3, 12, 12, 3]);
    assert.equal(t.dtype, 'float32');
    const data = t.dataSync();
    assert.ok(data.every((v) => v >= -1 && v <= 1));
    assert.equal(Math.min(...data), -1);
    // Centre crop: offset 2. Pixel (0, 0) of the crop of image 2 is source (2, 2) = (16, 16, 100).
    const i = 1 * 12 * 12 * 3;
    assert.deepEqual(Array.from(data.subarray(i, i + 3)), [16 / 127.5 - 1, 16 / 127.5 - 1, 100 / 127.5 - 1].map(Math.fround));
  } finally {
    t.dispose();
  }
  assert.deepEqual(rng.getState(), state, 'rng untouched');
});

test('augmentation is a deterministic function of the rng state; flips only when enabled', async () => {
  const ds = await smallDataset(true);
  const a = ds.batchArray([0, 1, 2, 3, 4, 0, 1], new Rng(11), true);
  const b = ds.batchArray([0, 1, 2, 3, 4, 0, 1], new Rng(11), true);
  const c = ds.batchArray([0, 1, 2, 3, 4, 0, 1], new Rng(12), true);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const rng = new Rng(5);
  ds.batchArray([0], rng, true);
  const resumed = new Rng(rng.getState());
  assert.deepEqual(ds.batchArray([1, 2], rng, true), ds.batchArray([1, 2], resumed, true));

  // With load = crop there is no crop freedom: the output is the image or its mirror.
  const flipping = await smallDataset(true, 16, 16);
  const still = await smallDataset(false, 16, 16);
  const plain = flipping.batchArray([0], new Rng(0), false);
  const mirrored = new Float32Array(plain.length);
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) for (let k = 0; k < 3; k++) mirrored[(y * 16 + x) * 3 + k] = plain[(y * 16 + 15 - x) * 3 + k];
  const r1 = new Rng(99);
  const r2 = new Rng(99);
  let flips = 0;
  for (let i = 0; i < 40; i++) {
    const f = flipping.batchArray([0], r1, true);
    const isPlain = f.every((v, j) => v === plain[j]);
    const isMirror = f.every((v, j) => v === mirrored[j]);
    assert.ok(isPlain !== isMirror);
    if (isMirror) flips++;
    assert.deepEqual(still.batchArray([0], r2, true), plain, 'flip: false never flips');
  }
  assert.ok(flips > 5 && flips < 35, `flips ${flips}/40`);
});

test('EpochSampler: shuffled epochs, full batches, exact resume from saved state', () => {
  const sampler = new EpochSampler({ size: 7, batchSize: 3, rng: new Rng(1) });
  const first: number[] = [];
  for (let i = 0; i < 7; i++) first.push(...sampler.next()); // 21 indices = exactly 3 epochs
  assert.equal(sampler.epoch, 3);
  assert.equal(sampler.position, 0);
  assert.equal(sampler.progress, 3);
  const epochs = [first.slice(0, 7), first.slice(7, 14), first.slice(14, 21)];
  for (const e of epochs) assert.deepEqual([...e].sort(), [0, 1, 2, 3, 4, 5, 6]);
  assert.ok(epochs[0].join() !== epochs[1].join() || epochs[1].join() !== epochs[2].join(), 'new order each epoch');

  const run = new EpochSampler({ size: 10, batchSize: 4, rng: new Rng(42) });
  for (let i = 0; i < 6; i++) run.next();
  assert.equal(run.epoch, 2);
  assert.equal(run.position, 4);
  const saved = JSON.parse(JSON.stringify(run.getState()));
  const expected = Array.from({ length: 20 }, () => run.next());
  const resumed = new EpochSampler(saved);
  assert.equal(resumed.epoch, 2);
  assert.deepEqual(Array.from({ length: 20 }, () => resumed.next()), expected);

  const big = new EpochSampler({ size: 2, batchSize: 5, rng: new Rng(0) });
  assert.equal(big.next().length, 5, 'batches larger than the dataset span epochs');
  assert.throws(() => new EpochSampler({ size: 0, batchSize: 1, rng: new Rng(0) }), RangeError);
});

test('images smaller than the training crop are named in one warning (they are enlarged, which blurs them)', async () => {
  const dir = join(root, 'small');
  await mkdir(join(dir, 'sub'), { recursive: true });
  await png(join(dir, 'big.png'), 32, 10);
  await png(join(dir, 'tiny.png'), 8, 20);
  await sharp(gradient(32, 30), { raw: { width: 32, height: 32, channels: 3 } }).resize(32, 12, { fit: 'fill' }).png().toFile(join(dir, 'sub', 'strip.png'));
  const warnings: string[] = [];
  const dataset = await openFolderDataset(dir, { loadSize: 24, cropSize: 16, flip: false, onWarning: (m) => warnings.push(m) });
  assert.equal(dataset.size, 3, 'small images are still used');
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], new RegExp(`2 of 3 images in ${dir} are smaller than the 16 px training crop`));
  assert.match(warnings[0], /\n {2}sub\/strip\.png \(32×12\)\n {2}tiny\.png \(8×8\)/);
  assert.doesNotMatch(warnings[0], /big\.png/);
  const quiet: string[] = [];
  await openFolderDataset(dir, { loadSize: 8, cropSize: 8, flip: false, onWarning: (m) => quiet.push(m) });
  assert.deepEqual(quiet, [], 'no warning when every image covers the crop');
});
