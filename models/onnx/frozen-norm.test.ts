import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixedSizeModelBytes, negativeModelBytes, texturedPhoto, tinyGeneratorBytes } from './convert-fixtures.js';
import { prepareNormSurgery } from './frozen-norm.js';
import { onnx } from './proto.js';
import { openModel } from './runtime.js';

/** The photo as NCHW in [-1, 1]. */
function nchw(width: number, height: number, seed: number): Float32Array {
  const { pixels } = texturedPhoto(width, height, seed);
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = pixels[i * 3 + c] / 127.5 - 1;
  return out;
}

async function run(bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const model = await openModel(bytes, { device: 'cpu' });
  try {
    return (await model.run(input, dims)).data;
  } finally {
    await model.dispose();
  }
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i])), 0);
}

test('frozen with the statistics of its own input, a model gives exactly what the original gives', async () => {
  const bytes = await tinyGeneratorBytes({ ngf: 8, blocks: 2 });
  const surgery = prepareNormSurgery(bytes)!;
  // Layers: stem, two downsamplings, two per residual block, two upsamplings; a mean and a variance per channel:
  // 2 · (8 + 16 + 32 + 4 · 32 + 16 + 8) values.
  assert.equal(surgery.layers, 9);
  assert.equal(surgery.statsLength, 2 * 8 * (1 + 2 + 4 + 4 * 4 + 2 + 1));
  const dims = [1, 3, 48, 64];
  const x = nchw(64, 48, 1);
  const stats = await run(surgery.statsModel(), x, dims);
  assert.equal(stats.length, surgery.statsLength);
  const original = await run(bytes, x, dims);
  const frozen = await run(surgery.frozenModel(stats), x, dims);
  assert.ok(maxDifference(original, frozen) < 1e-4, `differ by ${maxDifference(original, frozen)}`);
  // With another input's statistics the result changes: the statistics are really used.
  const other = await run(surgery.statsModel(), nchw(64, 48, 2), dims);
  assert.ok(maxDifference(original, await run(surgery.frozenModel(other), x, dims)) > 0.05);
  // Measured with frozen statistics, each layer reports its input's statistics under them: the same vector.
  assert.ok(maxDifference(stats, await run(surgery.statsModel(stats), x, dims)) < 1e-3);
  assert.throws(() => surgery.frozenModel(new Float32Array(3)), new RegExp(`expected ${surgery.statsLength} statistics, got 3`));
});

test('works on models from other tools, at opset 18 too; models without instance norm need no surgery', async () => {
  const model = onnx.ModelProto.decode(fixedSizeModelBytes(32));
  const at18 = onnx.ModelProto.encode({ ...model, opsetImport: [{ domain: '', version: 18 }] }).finish();
  for (const bytes of [fixedSizeModelBytes(32), at18]) {
    const surgery = prepareNormSurgery(bytes)!;
    assert.equal(surgery.statsLength, 6);
    const x = nchw(32, 32, 3);
    const dims = [1, 3, 32, 32];
    const stats = await run(surgery.statsModel(), x, dims);
    assert.ok(maxDifference(await run(bytes, x, dims), await run(surgery.frozenModel(stats), x, dims)) < 1e-4);
  }
  assert.equal(prepareNormSurgery(negativeModelBytes()), null);
});
