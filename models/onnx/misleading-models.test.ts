// Models that would mislead a person: broken outputs that would come out as black images, range metadata that is
// there but wrong, files that are not models at all, and foreign models whose range the graph itself states.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nonFiniteModelBytes, squashingModelBytes, texturedPhoto, tinyTranslatorBytes } from './convert-fixtures.js';
import { OnnxModelError, describeImageModel, openModel } from './runtime.js';
import { createTranslator, resolveRange } from './translate.js';
import { cliText } from '../../electron/remedy-words.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darkroom-misleading-'));
});
after(() => rm(dir, { recursive: true, force: true }));

for (const kind of ['nan', 'inf'] as const) {
  test(`a model whose output holds ${kind === 'nan' ? 'NaN' : 'infinite values'} fails the photo with the reason instead of giving a black image`, async () => {
    const model = await openModel(nonFiniteModelBytes(kind));
    const translator = await createTranslator(model);
    try {
      for (const [width, height, tile] of [[40, 30, 512], [200, 150, 64]]) {
        await assert.rejects(translator.translate(texturedPhoto(width, height), { range: '-1,1', tile }), (error: Error) => {
          assert.match(error.message, kind === 'nan' ? /the model's output holds NaN/ : /the model's output holds infinite values/);
          assert.match(error.message, /the model is broken/);
          return true;
        });
      }
    } finally {
      await translator.dispose();
      await model.dispose();
    }
  });
}

test('an empty file, a text file and a truncated model say what is wrong with the file, not ONNX Runtime\'s C++ signatures', async () => {
  const whole = await tinyTranslatorBytes({ 'darkroom.range': '-1,1' });
  const files: [string, Uint8Array, RegExp][] = [
    ['empty.onnx', new Uint8Array(0), /is an empty file \(0 bytes\), not an ONNX model: export or copy the model again/],
    ['notes.onnx', new TextEncoder().encode('these are my notes, not a model\n'), /is not (a complete ONNX model file|an ONNX model: it holds no network)/],
    ['cut.onnx', whole.subarray(0, Math.floor(whole.length / 2)), /is not a complete ONNX model file \(it is truncated or another kind of file/],
  ];
  for (const [name, bytes, reason] of files) {
    const path = join(dir, name);
    await writeFile(path, bytes);
    await assert.rejects(openModel(path), (error: Error) => {
      assert.ok(error instanceof OnnxModelError, `${name}: ${error}`);
      assert.match(error.message, new RegExp(`model ${path.replace(/[.]/g, '\\.')} `), name);
      assert.match(error.message, reason, name);
      assert.doesNotMatch(error.message, /onnxruntime::|\.cc:\d+/, name);
      return true;
    });
  }
});

test('darkroom.range metadata that is not a range is reported as such, not as missing; --range still overrides it', async () => {
  const model = await openModel(await tinyTranslatorBytes({ 'darkroom.range': 'banana' }));
  try {
    const info = describeImageModel(model);
    assert.equal(info.range, null, 'a wrong statement is not replaced by a guess from the graph');
    assert.throws(() => resolveRange(model, info, undefined), (error: Error) => {
      assert.match(error.message, /its darkroom\.range metadata is "banana", which is not a value range/);
      assert.doesNotMatch(error.message, /no darkroom\.range metadata/);
      assert.match(cliText(error.message), /pass --range -1,1 .* or --range 0,1/);
      return true;
    });
    assert.deepEqual(resolveRange(model, info, '-1,1'), [-1, 1]);
  } finally {
    await model.dispose();
  }
});

test('a foreign model without range metadata: a final Tanh means -1..1 and a final Sigmoid 0..1, said so; otherwise it asks', async () => {
  for (const [last, range] of [['Tanh', [-1, 1]], ['Sigmoid', [0, 1]], ['Relu', null]] as const) {
    const model = await openModel(squashingModelBytes(last));
    try {
      const info = describeImageModel(model);
      assert.deepEqual(info.range, range, last);
      if (range) {
        assert.match(info.rangeNote ?? '', new RegExp(`no darkroom\\.range metadata; its output comes from a final ${last}, so its range is ${range[0]}\\.\\.${range[1]}`));
        assert.deepEqual(resolveRange(model, info, undefined), range);
      } else {
        assert.throws(() => resolveRange(model, info, undefined), (e: Error) => /its last operation does not fix a range\); pass --range/.test(cliText(e.message)));
      }
    } finally {
      await model.dispose();
    }
  }
  const stated = await openModel(await tinyTranslatorBytes({ 'darkroom.range': '0,1' }));
  assert.deepEqual(describeImageModel(stated), { ...describeImageModel(stated), range: [0, 1], rangeNote: null }, 'valid metadata wins over the final Tanh');
  await stated.dispose();
});
