import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNet, disposeNet } from '../../models/nets/net.js';
import type { NetSpec } from '../../models/nets/spec.js';
import { exportNet } from '../../models/onnx/export.js';
import { negativeModelBytes, tinyTranslatorBytes } from '../../models/onnx/convert-fixtures.js';
import { decodeImageFile, readImageInfo } from '../../models/data/image-io.js';
import { Rng } from '../../models/rng.js';
import { ModelStore, slerp } from './models.js';
import { openWorkspace, resolveMedia } from './workspace.js';

async function exportSpec(spec: NetSpec, metadata: Record<string, string>): Promise<Uint8Array> {
  const net = createNet(spec, new Rng(3), 0.5);
  try {
    return await exportNet(net, { metadata });
  } finally {
    disposeNet(net);
  }
}

const decoderSpec: NetSpec = {
  name: 'tiny_decoder',
  input: { kind: 'vector', size: 8 },
  layers: [
    { op: 'dense', name: 'fc', units: 6 * 6 * 3, bias: true },
    { op: 'reshape', height: 6, width: 6, channels: 3 },
    { op: 'act', fn: 'tanh' },
  ],
};

test('importing checks the file, keeps its metadata, and lists it', async () => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-models-'));
  try {
    const store = new ModelStore(await openWorkspace(join(root, 'ws')));
    const file = join(root, 'night.onnx');
    await writeFile(file, await tinyTranslatorBytes({ 'darkroom.family': 'cyclegan', 'darkroom.part': 'generator', 'darkroom.direction': 'AtoB', 'darkroom.range': '-1,1', 'darkroom.trainSize': '64' }));
    const model = await store.import({ path: file });
    assert.equal(model.name, 'night');
    assert.equal(model.family, 'cyclegan');
    assert.equal(model.direction, 'AtoB');
    assert.equal(model.input, 'image');
    assert.equal(model.trainSize, 64);
    assert.deepEqual((await store.list()).map((m) => m.id), ['night']);

    const external = await store.import({ bytes: negativeModelBytes(), name: 'from-pytorch.onnx' });
    assert.equal(external.family, 'external');
    assert.equal(external.id, 'from-pytorch');
    assert.equal(model.range, '-1,1');
    assert.equal(external.range, null, 'a model that does not say its range, and whose graph does not fix it, is not given one');
    const squashed = await store.import({ bytes: await tinyTranslatorBytes({}), name: 'ends-in-tanh.onnx' });
    assert.equal(squashed.range, '-1,1', 'without metadata, a final Tanh fixes the range');
    await store.delete(squashed.id);

    await writeFile(join(root, 'junk.onnx'), 'not a model');
    await assert.rejects(store.import({ path: join(root, 'junk.onnx') }), /junk\.onnx is not an ONNX model/);
    await assert.rejects(store.import({ path: join(root, 'missing.onnx') }), /does not exist/);
    await store.delete('night');
    assert.deepEqual((await store.list()).map((m) => m.id), ['from-pytorch']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a latent decoder draws new images and an interpolation strip from one seed', async () => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-models-'));
  try {
    const workspace = await openWorkspace(join(root, 'ws'));
    const store = new ModelStore(workspace);
    const model = await store.import({ bytes: await exportSpec(decoderSpec, { 'darkroom.family': 'vae', 'darkroom.part': 'decoder', 'darkroom.input': 'latent', 'darkroom.range': '-1,1' }), name: 'faces-decoder.onnx' });
    assert.equal(model.input, 'latent');
    assert.equal(model.latentSize, 8);
    const images = await store.generate(model.id, 4, 7);
    assert.equal(images.length, 4);
    const first = await readImageInfo(await resolveMedia(workspace, images[0]));
    assert.deepEqual([first.width, first.height, first.format], [6, 6, 'png']);
    const again = await store.generate(model.id, 4, 7);
    assert.deepEqual(await readFile(await resolveMedia(workspace, again[0])), await readFile(await resolveMedia(workspace, images[0])), 'same seed, same images');

    const strip = await store.interpolate(model.id, 5, 7);
    assert.equal(strip.length, 5);
    const ends = await Promise.all([strip[0], strip[4], strip[2]].map(async (ref) => (await decodeImageFile(await resolveMedia(workspace, ref))).data));
    assert.notDeepEqual(ends[0], ends[1], 'the two ends of the strip differ');

    const translator = await store.import({ bytes: await tinyTranslatorBytes({}), name: 'x.onnx' });
    await assert.rejects(store.generate(translator.id, 2, 1), /only VAE decoders and GAN generators/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('spherical interpolation starts and ends at its endpoints', () => {
  const a = new Float32Array([1, 0, 0]);
  const b = new Float32Array([0, 1, 0]);
  assert.deepEqual([...slerp(a, b, 0)].map((v) => +v.toFixed(6)), [1, 0, 0]);
  assert.deepEqual([...slerp(a, b, 1)].map((v) => +v.toFixed(6)), [0, 1, 0]);
  const mid = slerp(a, b, 0.5);
  assert.ok(Math.abs(Math.hypot(...mid) - 1) < 1e-6, 'keeps the norm between unit vectors');
});

test('models imported at once under one name get their own ids and files', async () => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-models-'));
  try {
    const workspace = await openWorkspace(join(root, 'ws'));
    const store = new ModelStore(workspace);
    const bytes = await tinyTranslatorBytes({ 'darkroom.range': '-1,1' });
    const models = await Promise.all([1, 2, 3].map(() => store.import({ bytes, name: 'night.onnx' })));
    assert.deepEqual(models.map((m) => m.id).sort(), ['night', 'night-2', 'night-3']);
    assert.deepEqual((await store.list()).map((m) => m.id).sort(), ['night', 'night-2', 'night-3']);
    for (const m of models) assert.equal((await readFile(await resolveMedia(workspace, m.media))).length, bytes.length);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a decoder draws in its own pixel range, and one that does not say is asked for it', async () => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-models-'));
  try {
    const workspace = await openWorkspace(join(root, 'ws'));
    const store = new ModelStore(workspace);
    // Without its final tanh, so that neither the metadata nor the graph says the range.
    const bytes = await exportSpec({ ...decoderSpec, layers: decoderSpec.layers.slice(0, -1) }, { 'darkroom.family': 'gan' });
    const silent = await store.import({ bytes, name: 'silent.onnx' });
    assert.equal(silent.range, null);
    await assert.rejects(store.generate(silent.id, 1, 3), /does not say which pixel range/);

    const tanh = await store.import({ bytes, name: 'tanh.onnx' }, { range: '-1,1' });
    const unit = await store.import({ bytes, name: 'unit.onnx' }, { range: '0,1' });
    assert.deepEqual([tanh.range, unit.range], ['-1,1', '0,1']);
    const [wide] = await store.generate(tanh.id, 1, 3);
    const [narrow] = await store.generate(unit.id, 1, 3);
    const a = (await decodeImageFile(await resolveMedia(workspace, wide))).data;
    const b = (await decodeImageFile(await resolveMedia(workspace, narrow))).data;
    // The same output v in [-1, 1]: byte (v + 1) · 127.5 in one, v · 255 clamped to 0…255 in the other.
    let negatives = 0;
    for (let i = 0; i < a.length; i++) {
      const v = a[i] / 127.5 - 1;
      if (v < 0) negatives++;
      assert.ok(Math.abs(b[i] - Math.min(255, Math.max(0, v * 255))) <= 2.5, `pixel ${i}: ${a[i]} vs ${b[i]}`);
    }
    assert.ok(negatives > 0 && negatives < a.length, 'the outputs cover both signs, so the two ranges give different images');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
