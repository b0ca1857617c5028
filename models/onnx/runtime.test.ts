// The ONNX Runtime module as convert/info use it: open exported files, read their metadata and shapes,
// refuse models that are not image-to-image with a reason, reject wrong input shapes, reuse sessions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { disposeNet, type Net } from '../nets/net.js';
import { buildResnetGenerator } from '../nets/resnet-generator.js';
import { buildConvDecoder, buildConvEncoder } from '../nets/pyramid.js';
import type { ExportPart } from '../families/family.js';
import { UsageError } from '../errors.js';
import { exportNet, exportPart, exportPartToFile, writeModelFile } from './export.js';
import { IR_VERSION, OPSET, floatValueInfo, makeNode, onnx, type Dim } from './proto.js';
import { describeImageModel, listInferenceDevices, openModel, OnnxModelError, releaseIdleModels, type OnnxModel } from './runtime.js';
import { AUTO_ORDER, INFERENCE_DEVICES, platformDevices } from './devices.js';
import { cliText } from '../../electron/remedy-words.js';
import { randomInput, randomNet } from './parity-helpers.js';
import { tinyTranslatorBytes } from './convert-fixtures.js';

const INFO = { family: 'cyclegan' as const, trainSize: 64, version: '0.1.0' };
let dir: string;
let generator: Net;

before(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'darkroom-onnx-runtime-'));
  generator = randomNet(buildResnetGenerator({ name: 'G_AB', ngf: 4, blocks: 1 }), 5);
});

after(async () => {
  disposeNet(generator);
  await releaseIdleModels();
  await rm(dir, { recursive: true, force: true });
});

const generatorPart = (net: Net): ExportPart => ({ part: 'generator', direction: 'AtoB', net, input: 'image', output: 'image', description: 'translates A to B' });

/** A foreign model: one Identity per input, or Add over two inputs. */
function foreignModel(inputs: { name: string; dims: Dim[] }[]): Uint8Array {
  const node = inputs.length === 2 ? makeNode('Add', inputs.map((i) => i.name), ['y']) : makeNode('Identity', [inputs[0].name], ['y']);
  return onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'elsewhere',
    graph: { name: 'foreign', node: [node], input: inputs.map((i) => floatValueInfo(i.name, i.dims)), output: [floatValueInfo('y', inputs[0].dims)] },
  }).finish();
}

async function withModel<T>(source: string | Uint8Array, use: (m: OnnxModel) => T | Promise<T>): Promise<T> {
  const model = await openModel(source, { device: 'cpu' });
  try {
    return await use(model);
  } finally {
    await model.dispose();
  }
}

describe('an exported generator, opened from its file', () => {
  test('shows its shapes, metadata and header, and describes itself as an image model', async () => {
    const path = join(dir, 'exports', 'G_AB.onnx');
    await exportPartToFile(generatorPart(generator), INFO, path);
    assert.deepEqual(await readdir(join(dir, 'exports')), ['G_AB.onnx'], 'no temporary file is left beside the model');

    const model = await openModel(path);
    try {
      assert.deepEqual(model.inputs, [{ name: 'input', type: 'float32', dims: ['N', 3, 'H', 'W'] }]);
      assert.deepEqual(model.outputs, [{ name: 'output', type: 'float32', dims: ['N', 3, 'H_out', 'W_out'] }]);
      assert.equal(model.metadata['darkroom.family'], 'cyclegan');
      assert.equal(model.metadata['darkroom.direction'], 'AtoB');
      assert.equal(model.metadata['darkroom.range'], '-1,1');
      assert.equal(model.metadata['darkroom.trainSize'], '64');
      assert.equal(model.metadata['darkroom.version'], '0.1.0');
      assert.equal(model.metadata['darkroom.part'], 'generator');
      assert.equal(model.metadata['darkroom.input'], 'image');
      assert.equal(model.header.producerName, 'darkroom');
      assert.equal(model.header.irVersion, IR_VERSION);
      assert.deepEqual(model.header.opsets, { '': OPSET });
      assert.equal(model.threads, availableParallelism(), 'uses every core by default');

      const info = describeImageModel(model);
      assert.equal(info.inputName, 'input');
      assert.equal(info.outputName, 'output');
      assert.deepEqual([info.batch, info.height, info.width], [null, null, null]);
      assert.deepEqual(info.range, [-1, 1]);
      assert.equal(info.stride, 4);
      assert.equal(info.direction, 'AtoB');

      // Any batch and size; multiples of the stride come back at their own size.
      const out = await model.run(randomInput([2, 3, 8, 12], 1), [2, 3, 8, 12]);
      assert.deepEqual(out.dims, [2, 3, 8, 12]);
      assert.ok(out.data.every((v) => v >= -1 && v <= 1), 'tanh output stays in [-1, 1]');
    } finally {
      await model.dispose();
    }
  });

  test('run rejects input that does not fit the model, saying what it takes', async () => {
    await withModel(await exportPart(generatorPart(generator), INFO), async (model) => {
      await assert.rejects(model.run(new Float32Array(4 * 8 * 8), [1, 4, 8, 8]), /takes input 'input' of shape \[N, 3, H, W\]; got \[1, 4, 8, 8\]/);
      await assert.rejects(model.run(new Float32Array(10), [1, 3, 8, 8]), /do not describe the 10 values/);
      // Too small for the generator's reflection padding: ONNX Runtime's reason, with the model and the input named.
      await assert.rejects(model.run(new Float32Array(3 * 4 * 4), [1, 3, 4, 4]), /could not run model <bytes> on input \[1, 3, 4, 4\]: .*Pad/);
    });
  });

  test('a fixed-size model reports its size and rejects others', async () => {
    const spec = { name: 'fixed', input: { kind: 'image' as const, channels: 3, height: 8, width: 6 }, layers: [{ op: 'act' as const, fn: 'tanh' as const }] };
    const net = randomNet(spec, 2);
    try {
      await withModel(await exportNet(net, { metadata: {} }), async (model) => {
        const info = describeImageModel(model);
        assert.deepEqual([info.height, info.width, info.outputHeight, info.outputWidth], [8, 6, 8, 6]);
        assert.deepEqual(info.range, [-1, 1], 'without darkroom.range, the final Tanh fixes the range');
        await assert.rejects(model.run(new Float32Array(3 * 8 * 8), [1, 3, 8, 8]), /of shape \[N, 3, 8, 6\]; got \[1, 3, 8, 8\]/);
      });
    } finally {
      disposeNet(net);
    }
  });
});

describe('describeImageModel refuses models that are not image-to-image, saying why', () => {
  test('a decoder from a latent vector', async () => {
    const net = randomNet(buildConvDecoder({ name: 'decoder', size: 8, nf: 2, latent: 4 }), 3);
    try {
      const bytes = await exportPart({ part: 'decoder', net, input: 'latent', output: 'image', description: 'z to image' }, { ...INFO, family: 'vae' });
      await withModel(bytes, (m) => assert.throws(() => describeImageModel(m), (e: Error) => e instanceof OnnxModelError && /latent vector/.test(e.message) && /`darkroom sample`/.test(cliText(e.message))));
    } finally {
      disposeNet(net);
    }
  });

  test('an encoder that gives a vector', async () => {
    const net = randomNet(buildConvEncoder({ name: 'encoder', size: 8, nf: 2, outputs: 4 }), 3);
    try {
      await withModel(await exportNet(net, { metadata: {} }), (m) => assert.throws(() => describeImageModel(m), /output 'output' has shape \[N, 4\], which is not an image/));
    } finally {
      disposeNet(net);
    }
  });

  const cases: [string, { name: string; dims: Dim[] }[], RegExp][] = [
    ['a channels-last model', [{ name: 'x', dims: ['batch', 'h', 'w', 3] }], /looks channels-last \(NHWC\)/],
    ['a model with two inputs', [{ name: 'a', dims: [1, 3, 8, 8] }, { name: 'b', dims: [1, 3, 8, 8] }], /2 inputs \(a, b\)/],
    ['a one-channel model', [{ name: 'gray', dims: ['N', 1, 'H', 'W'] }], /has 1 channels/],
    ['a rank-3 model', [{ name: 'x', dims: [3, 'H', 'W'] }], /has shape \[3, H, W\]; an image model takes \[N, 3, H, W\]/],
  ];
  for (const [label, inputs, message] of cases)
    test(label, () => withModel(foreignModel(inputs), (m) => assert.throws(() => describeImageModel(m), message)));

  test('a foreign NCHW model with symbolic sizes is accepted, with no range claimed', () =>
    withModel(foreignModel([{ name: 'image', dims: ['batch', 3, 'height', 'width'] }]), (m) => {
      const info = describeImageModel(m);
      assert.equal(info.inputName, 'image');
      assert.equal(info.range, null);
      assert.equal(info.family, null);
    }));
});

describe('opening files', () => {
  test('a missing file and a file that is not a model give errors naming the file (usage errors, exit 2)', async () => {
    const missing = join(dir, 'nope.onnx');
    await assert.rejects(openModel(missing), (e: Error) => e instanceof OnnxModelError && e instanceof UsageError && e.message.includes(missing));
    const garbage = join(dir, 'garbage.onnx');
    await writeFile(garbage, 'this is not a model');
    await assert.rejects(openModel(garbage), (e: Error) => e instanceof OnnxModelError && e.message.includes(garbage));
  });

  test('sessions are shared while held and reloaded when the file changes', async () => {
    const path = join(dir, 'shared.onnx');
    await writeModelFile(path, await exportPart(generatorPart(generator), INFO));
    const first = await openModel(path, { device: 'cpu' });
    const second = await openModel(path, { device: 'cpu' });
    const input = randomInput([1, 3, 8, 8], 9);
    const before = await first.run(input, [1, 3, 8, 8]);
    await first.dispose();
    await first.dispose(); // idempotent: must not release the session under `second`
    const after = await second.run(input, [1, 3, 8, 8]);
    assert.deepEqual(after.data, before.data);
    await assert.rejects(first.run(input, [1, 3, 8, 8]), /was disposed/);

    // Replace the file (same size is possible, so also move its time): the next open must see the new model.
    await writeModelFile(path, await exportPart({ ...generatorPart(generator), direction: 'BtoA' }, INFO));
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    const third = await openModel(path, { device: 'cpu' });
    assert.equal(third.metadata['darkroom.direction'], 'BtoA');
    assert.equal(second.metadata['darkroom.direction'], 'AtoB', 'a held model keeps what it opened');
    await Promise.all([second.dispose(), third.dispose()]);
  });
});

test('exportPart refuses a part whose declared input does not match its net', async () => {
  await assert.rejects(exportPart({ ...generatorPart(generator), input: 'latent' }, INFO), /says its input is latent but net G_AB takes a image/);
});

test("the device list names every device this platform's ONNX Runtime can have, says why the unavailable ones are, and auto takes an available one", async () => {
  const report = await listInferenceDevices();
  const here = platformDevices(process.platform);
  assert.deepEqual(report.devices.map((d) => d.name), AUTO_ORDER.filter((d) => here.includes(d)), 'in the order auto tries them');
  assert.deepEqual(report.elsewhere.map((d) => d.name), INFERENCE_DEVICES.filter((d) => !here.includes(d)), 'the others are named apart');
  assert.equal(report.threads, availableParallelism());
  for (const d of report.devices) {
    if (d.available) assert.ok(d.usable && d.reason === null && d.kind === 'hardware', `${d.name} is available on hardware`);
    else assert.ok(d.reason && d.reason.length > 10, `says why ${d.name} is not available`);
  }
  const cpu = report.devices.find((d) => d.name === 'cpu')!;
  assert.ok(cpu.available && cpu.limits?.memoryBytes! > 0, 'the CPU always works, and its memory is known');
  assert.ok(report.devices.find((d) => d.name === report.auto)!.available);
  if (process.platform !== 'win32') assert.match(report.elsewhere.find((d) => d.name === 'dml')!.reason, /only in ONNX Runtime for Windows/);

  const model = await openModel(await tinyTranslatorBytes({ 'darkroom.range': '-1,1' }));
  try {
    assert.equal(model.device.requested, 'auto');
    assert.equal(model.device.name, report.auto, 'auto opens models on the device the report names');
    assert.match(model.device.detail, new RegExp(`ONNX Runtime ${report.runtimeVersion.replace(/\./g, '\\.')} on `));
  } finally {
    await model.dispose();
  }
});

test('a device asked for by name that cannot work here is refused with the reason, before anything is loaded', async () => {
  const { devices } = await listInferenceDevices();
  const unusable = devices.find((d) => !d.usable);
  if (unusable) await assert.rejects(openModel(join(dir, 'does-not-matter.onnx'), { device: unusable.name }), (e: Error) => e instanceof UsageError && e.message.includes(unusable.reason!));
  // A device only another platform's ONNX Runtime has is refused saying so (DirectML off Windows, Core ML off macOS).
  const elsewhere = process.platform === 'win32' ? 'coreml' : 'dml';
  await assert.rejects(openModel(join(dir, 'does-not-matter.onnx'), { device: elsewhere }), (e: Error) => e instanceof UsageError && /is only in ONNX Runtime for (Windows|macOS)/.test(e.message));
  await assert.rejects(openModel(join(dir, 'x.onnx'), { device: 'tpu' as never }), (e: Error) => e instanceof UsageError && /auto, cpu, webgpu/.test(e.message));
});

test('the runtime module runs models without loading TensorFlow.js', () => {
  const script = `
    const { createRequire } = await import('node:module');
    const runtime = await import(${JSON.stringify(new URL('./runtime.ts', import.meta.url).href)});
    await runtime.listInferenceDevices();
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify({ ort: loaded.some((p) => p.includes('onnxruntime-node')), tf: loaded.some((p) => p.includes('@tensorflow')) }));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout.trim().split('\n').pop()!), { ort: true, tf: false });
});
