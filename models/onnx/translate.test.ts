import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { fixedSizeModelBytes, negativeModelBytes, texturedPhoto, tinyGeneratorBytes } from './convert-fixtures.js';
import { OnnxModelError, openModel, type OnnxModel } from './runtime.js';
import { DEFAULT_TILE, MAX_DEFAULT_TILE, createTranslator, defaultTileFor, largestTileOn, translatePhoto, type RgbPixels } from './translate.js';
import { cliText } from '../../electron/remedy-words.js';

let dir: string;
let generatorPath: string;
let generator: OnnxModel;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darkroom-translate-'));
  generatorPath = join(dir, 'g.onnx');
  await writeFile(generatorPath, await tinyGeneratorBytes({ ngf: 8, blocks: 3 }));
  generator = await openModel(generatorPath, { device: 'cpu' });
});

after(async () => {
  await generator.dispose();
  await rm(dir, { recursive: true, force: true });
});

function differences(a: Uint8Array | Uint16Array, b: Uint8Array | Uint16Array): { max: number; mean: number } {
  assert.equal(a.length, b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

function spread(p: Uint8Array | Uint16Array): number {
  let sum = 0;
  let squares = 0;
  for (const v of p) {
    sum += v;
    squares += v * v;
  }
  return Math.sqrt(squares / p.length - (sum / p.length) ** 2);
}

test("a photo in tiles gives the whole pass's output: instance norms are measured in stages, tiles read what they reach", async () => {
  const photo = texturedPhoto(480, 360, 11);
  let tiles = 0;
  const untiled = await translatePhoto(generator, photo, { tile: 512, onTile: (_, total) => (tiles = total) });
  assert.equal(tiles, 1);
  const tiled = await translatePhoto(generator, photo, { tile: 128, onTile: (_, total) => (tiles = total) });
  assert.ok(tiles > 6, `${tiles} tile runs`);
  assert.ok(spread(untiled) > 10, 'the model does something visible to the photo');
  const { max, mean } = differences(untiled, tiled);
  assert.ok(max <= 1 && mean < 0.01, `tiled differs from untiled by up to ${max} levels, ${mean} on average`);
});

test('with too little memory for whole tensors, stages keep only cuts and run parts again: the same output', async () => {
  const photo = texturedPhoto(480, 360, 12);
  const untiled = await translatePhoto(generator, photo, { tile: 512 });
  for (const stagedBudget of [200_000, 0]) {
    const tiled = await translatePhoto(generator, photo, { tile: 128, stagedBudget });
    const { max, mean } = differences(untiled, tiled);
    assert.ok(max <= 1 && mean < 0.01, `budget ${stagedBudget}: up to ${max} levels, ${mean} on average`);
  }
});

test('without whole-photo statistics, tiles of an instance-normalised model would disagree (what frozen-norm prevents)', async () => {
  // The same model opened from bytes and given no file to read the graph from: tiles normalise on their own.
  const photo = texturedPhoto(480, 360, 11);
  const bytesModel = await openModel(await tinyGeneratorBytes({ ngf: 8, blocks: 3 }), { device: 'cpu' });
  const untiled = await translatePhoto(generator, photo, { tile: 512 });
  const naive = await translatePhoto(bytesModel, photo, { tile: 256 });
  const withStats = await (async () => {
    const translator = await createTranslator(bytesModel, await tinyGeneratorBytes({ ngf: 8, blocks: 3 }));
    try {
      return await translator.translate(photo, { tile: 256 });
    } finally {
      await translator.dispose();
    }
  })();
  await bytesModel.dispose();
  const naiveDiff = differences(untiled, naive);
  const statsDiff = differences(untiled, withStats);
  assert.ok(naiveDiff.mean > 4 * statsDiff.mean && naiveDiff.max > 20, `per-tile statistics: ${JSON.stringify(naiveDiff)}; whole-photo: ${JSON.stringify(statsDiff)}`);
});

test('photos larger than 512² pixels: two tilings agree with each other and with the whole pass', async () => {
  const photo = texturedPhoto(800, 560, 5);
  const whole = await translatePhoto(generator, photo, { tile: 1024 });
  const a = await translatePhoto(generator, photo, { tile: 256 });
  const b = await translatePhoto(generator, photo, { tile: 320 });
  for (const [name, tiled] of [['256', a], ['320', b]] as const) {
    const { max, mean } = differences(whole, tiled);
    assert.ok(max <= 1 && mean < 0.01, `tiles of ${name} px differ from the whole pass by max ${max}, mean ${mean}`);
  }
});

test('sizes off the stride grid come back at their own size, without a border', async () => {
  const photo = texturedPhoto(203, 131, 2);
  const out = await translatePhoto(generator, photo);
  assert.equal(out.length, 203 * 131 * 3);
  // The last column is as close to its neighbour as columns inside the photo are to theirs.
  const columnStep = (x: number) => {
    let sum = 0;
    for (let y = 0; y < 131; y++) for (let c = 0; c < 3; c++) sum += Math.abs(out[(y * 203 + x) * 3 + c] - out[(y * 203 + x - 1) * 3 + c]);
    return sum / (131 * 3);
  };
  const inner = (columnStep(100) + columnStep(150) + columnStep(60)) / 3;
  assert.ok(columnStep(202) < 3 * inner + 2, `edge step ${columnStep(202)} vs inner ${inner}`);
  // Even photos smaller than the network's own padding allows.
  for (const [width, height] of [[1, 1], [3, 2], [7, 5]]) assert.equal((await translatePhoto(generator, texturedPhoto(width, height, 3))).length, width * height * 3);
});

test('16-bit photos come back 16-bit and agree with the 8-bit translation', async () => {
  // The same values at both depths (v·257 / 65535 = v / 255), so only the output precision differs.
  const shallow = texturedPhoto(160, 120, 4);
  const deep: RgbPixels = { ...shallow, pixels: Uint16Array.from(shallow.pixels, (v) => v * 257) };
  const out16 = await translatePhoto(generator, deep);
  const out8 = await translatePhoto(generator, shallow);
  assert.ok(out16 instanceof Uint16Array);
  const scaled = Uint8Array.from(out16, (v) => Math.round(v / 257));
  assert.ok(differences(scaled, out8).max <= 1, 'rounded to 8 bits, the 16-bit result is the 8-bit one');
  // The extra precision is real: values that 8 bits cannot hold.
  assert.ok(out16.some((v) => v % 257 !== 0));
});

test('a model from elsewhere without metadata: the range comes from --range, and is required', async () => {
  const model = await openModel(negativeModelBytes(), { device: 'cpu' });
  try {
    const photo = texturedPhoto(90, 70, 8);
    const negative = await translatePhoto(model, photo, { range: '0,1' });
    assert.ok(negative.every((v, i) => Math.abs(v - (255 - photo.pixels[i])) <= 1), '0..1: y = 1 − x is the photographic negative');
    const wrong = await translatePhoto(model, photo, { range: '-1,1' });
    assert.ok(differences(wrong, negative).mean > 50, 'the range changes the result');
    await assert.rejects(translatePhoto(model, photo), (e: Error) => e instanceof UsageError && /--range -1,1/.test(cliText(e.message)) && /darkroom\.range/.test(e.message));
    await assert.rejects(translatePhoto(model, photo, { range: '0,255' }), (e: Error) => /--range must be -1,1 or 0,1/.test(cliText(e.message)));
    // Stride probing: a 1×1 convolution takes any size, so no padding and no tiles beyond the photo.
    const translator = await createTranslator(model);
    assert.equal(translator.stride, 1);
    await translator.dispose();
  } finally {
    await model.dispose();
  }
});

test('fixed-size models tile with their own size, and refuse a size too small to tile', async () => {
  const fixed = await openModel(fixedSizeModelBytes(64), { device: 'cpu' });
  const tiny = await openModel(fixedSizeModelBytes(32), { device: 'cpu' });
  try {
    let tiles = 0;
    const out = await translatePhoto(fixed, texturedPhoto(150, 100, 3), { range: '-1,1', tile: 4096, onTile: (_, total) => (tiles = total) });
    assert.equal(out.length, 150 * 100 * 3);
    assert.ok(tiles > 1, 'the fixed 64 px input is the tile, whatever --tile says');
    // A photo that fits is padded up to the fixed size and cropped back.
    assert.equal((await translatePhoto(tiny, texturedPhoto(30, 20, 3), { range: '-1,1' })).length, 30 * 20 * 3);
    await assert.rejects(
      translatePhoto(tiny, texturedPhoto(150, 100, 3), { range: '-1,1' }),
      (e: Error) => e instanceof OnnxModelError && /32×32/.test(e.message) && /too small/.test(e.message),
    );
  } finally {
    await fixed.dispose();
    await tiny.dispose();
  }
});

test('--tile below the minimum is refused; an aborted signal stops between tiles', async () => {
  const photo = texturedPhoto(300, 200, 1);
  await assert.rejects(translatePhoto(generator, photo, { tile: 32 }), (e: Error) => e instanceof UsageError && /--tile/.test(cliText(e.message)));
  const controller = new AbortController();
  let afterAbort = 0;
  await assert.rejects(
    translatePhoto(generator, photo, {
      tile: 128,
      signal: controller.signal,
      onTile: (done) => {
        if (controller.signal.aborted) afterAbort++;
        else if (done >= 2) controller.abort();
      },
    }),
    { name: 'AbortError' },
  );
  assert.equal(afterAbort, 0, 'no tile after the abort');
});

test('the default tile grows for narrower networks, at the memory of 512 px for the standard width', async () => {
  assert.equal(defaultTileFor(null), DEFAULT_TILE, 'no instance norm: the standard default');
  assert.equal(defaultTileFor({ firstChannels: 64 }), 512);
  assert.equal(defaultTileFor({ firstChannels: 128 }), 512, 'wider networks are not given smaller tiles than the measured default');
  assert.equal(defaultTileFor({ firstChannels: 32 }), 724, 'the light preset: the same area times width as 512² at ngf 64');
  assert.equal(defaultTileFor({ firstChannels: 8 }), MAX_DEFAULT_TILE);
  const translator = await createTranslator(generator); // ngf 8
  assert.equal(translator.tile, MAX_DEFAULT_TILE);
  const photo = texturedPhoto(600, 520, 4);
  let tiles = 0;
  await translator.translate(photo, { onTile: (_, total) => (tiles = total) });
  assert.equal(tiles, 1, 'a 600×520 photo is one tile by default for this narrow network');
  await translator.translate(photo, { tile: 512, onTile: (_, total) => (tiles = total) });
  assert.ok(tiles > 1, 'and runs in tiles when --tile says 512');
  await translator.dispose();
});

test("on WebGPU the tile is bounded by the adapter's buffer limits: the widest full-resolution tensor must fit one buffer", () => {
  const MIB = 2 ** 20;
  // WebGPU's guaranteed minimum, 128 MiB per binding: at ngf 64, 64 × side² × 4 bytes ≤ 128 MiB gives 724, less padding.
  assert.equal(largestTileOn({ firstChannels: 64 }, 128 * MIB), 708);
  assert.equal(defaultTileFor({ firstChannels: 64 }, 128 * MIB), 512, 'the memory rule is the smaller at the minimum limits');
  assert.equal(defaultTileFor({ firstChannels: 32 }, 128 * MIB), 724);
  assert.equal(defaultTileFor({ firstChannels: 8 }, 64 * MIB), MAX_DEFAULT_TILE, 'narrow networks: the buffers take 1432 px, memory caps it first');
  // An adapter with small buffers (an integrated GPU, an old driver) makes the tile smaller than memory would.
  assert.equal(defaultTileFor({ firstChannels: 64 }, 32 * MIB), 346);
  assert.equal(defaultTileFor(null, 32 * MIB), 346, 'a model that does not show its width is taken as ngf 64');
  assert.equal(largestTileOn({ firstChannels: 64 }, 1 * MIB), 64, 'never below the smallest tile that hides seams');
  assert.equal(largestTileOn({ firstChannels: 64 }, null), Infinity, 'the CPU, CUDA, DirectML and Core ML set no such limit');
});
