// Imported generators give PyTorch's output (fixtures/make-fixtures.py made the checkpoints and PyTorch's results on
// fixtures/photo.rgb), whole and tiled in stages; every format and variant is recognised from its keys; hostile, random and
// unknown files are refused as bad input, run nothing and leave no output file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { openModel } from '../onnx/runtime.js';
import { createTranslator } from '../onnx/translate.js';
import { texturedPhoto } from '../onnx/convert-fixtures.js';
import { CheckpointError } from './checkpoint-error.js';
import { importGenerator, importGeneratorFile } from './import-generator.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as {
  photo: { file: string; width: number; height: number };
  generators: { file: string; expected: string; family: string; architecture: string; direction: string; ngf: number; blocks: number }[];
  refused: { file: string; message: string }[];
};
const photo = { width: manifest.photo.width, height: manifest.photo.height, pixels: new Uint8Array(readFileSync(join(FIXTURES, manifest.photo.file))) };
/** The command the evil fixtures ask for would create this file. */
const EVIL_MARK = '/tmp/darkroom-evil-fixture-ran';

function differences(a: Uint8Array | Uint16Array, b: Uint8Array): { mean: number; max: number } {
  assert.equal(a.length, b.length);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / a.length, max };
}

for (const fixture of manifest.generators) {
  test(`${fixture.file}: ${fixture.family} generator, PyTorch's output whole and tiled`, async () => {
    const imported = importGenerator(readFileSync(join(FIXTURES, fixture.file)), fixture.file, { version: 'test' });
    assert.equal(imported.metadata['darkroom.family'], fixture.family);
    assert.equal(imported.metadata['darkroom.direction'], fixture.direction);
    assert.equal(imported.metadata['darkroom.range'], '-1,1');
    assert.equal(imported.metadata['darkroom.sourceFile'], fixture.file);
    assert.ok(imported.metadata['darkroom.architecture'].includes(fixture.architecture), imported.metadata['darkroom.architecture']);
    assert.ok(imported.metadata['darkroom.architecture'].includes(`ngf ${fixture.ngf}, ${fixture.blocks} residual block`));
    assert.equal(imported.metadata['darkroom.stride'], '4');

    const expected = new Uint8Array(readFileSync(join(FIXTURES, fixture.expected)));
    const model = await openModel(imported.onnx, { device: 'cpu', threads: 1, label: fixture.file });
    const translator = await createTranslator(model, imported.onnx);
    try {
      const whole = differences(await translator.translate(photo, { tile: 1024 }), expected);
      // Whole: float32 against float32, off only by rounding to 8 bits.
      assert.ok(whole.mean <= 0.05 && whole.max <= 1, `whole: mean ${whole.mean}, max ${whole.max}`);
      // Tiled in stages (onnx/staged-plan.ts): PyTorch's output too, in the smallest tiles, and on a larger photo the
      // whole pass's within rounding.
      let tiles = 0;
      const inTiles = differences(await translator.translate(photo, { tile: 64, onTile: (_, total) => (tiles = total) }), expected);
      assert.ok(tiles > 2, `${tiles} tiles`);
      assert.ok(inTiles.mean <= 0.05 && inTiles.max <= 1, `tiled: mean ${inTiles.mean}, max ${inTiles.max}`);
      const large = texturedPhoto(384, 256, 3);
      const seams = differences(await translator.translate(large, { tile: 128 }), (await translator.translate(large, { tile: 1024 })) as Uint8Array);
      assert.ok(seams.mean <= 0.01 && seams.max <= 1, `tiled: mean ${seams.mean}, max ${seams.max}`);
    } finally {
      await translator.dispose();
      await model.dispose();
    }
  });
}

for (const fixture of manifest.refused) {
  test(`${fixture.file} is refused as bad input, names the file, runs nothing, writes nothing`, async () => {
    await rm(EVIL_MARK, { force: true });
    const dir = await mkdtemp(join(tmpdir(), 'darkroom-import-'));
    try {
      const out = join(dir, 'out.onnx');
      await assert.rejects(importGeneratorFile(join(FIXTURES, fixture.file), out, { version: 'test' }), (error: unknown) => {
        assert.ok(error instanceof CheckpointError && error instanceof UsageError, String(error));
        assert.match(error.message, new RegExp(fixture.message));
        assert.ok(error.message.startsWith(join(FIXTURES, fixture.file)), error.message);
        return true;
      });
      assert.deepEqual(await readdir(dir), [], 'a refused import leaves no file, temporary or final');
      assert.equal(existsSync(EVIL_MARK), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('the unknown and wrong-shape messages list the supported architectures', () => {
  for (const file of ['unknown.pth', 'wrong-shape.pth'])
    assert.throws(() => importGenerator(readFileSync(join(FIXTURES, file)), file, { version: 'test' }), /Darkroom imports pytorch-CycleGAN-and-pix2pix's ResnetGenerator .* and CUT's ResnetGenerator/);
});

test('--key picks a nested state dict, and the other direction follows from it', () => {
  const bytes = readFileSync(join(FIXTURES, 'cyclegan-nested.pth'));
  const b = importGenerator(bytes, 'cyclegan-nested.pth', { version: 'test', key: 'G_B' });
  assert.equal(b.metadata['darkroom.direction'], 'BtoA');
  assert.match(b.generator.architecture, /ngf 2, 1 residual block/);
  assert.throws(() => importGenerator(bytes, 'cyclegan-nested.pth', { version: 'test', key: 'D_A' }), /no state dict under the key "D_A"; its top-level keys are epoch, G_A, G_B, lr/);
});
