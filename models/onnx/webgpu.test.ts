// ONNX Runtime's WebGPU provider on a software GPU (SwiftShader through Vulkan, see models/gpu/swiftshader.ts):
// auto never takes it, asking for it by name does and gives the CPU's results, and models it rejects go to the CPU
// with the reason. Tiny shapes only: SwiftShader is a CPU implementation and slow. Node's test runner gives this
// file a process of its own, so the environment set here is what Dawn and ONNX Runtime see.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { softwareGpuSkip } from '../backend/gpu-test-env.js';
import { probeGpuAdapter, type GpuAdapterInfo } from '../gpu/adapter.js';
import { Rng } from '../rng.js';
import { IR_VERSION, floatValueInfo, makeNode, onnx, type NodeProto, type TensorProto } from './proto.js';
import { texturedPhoto, tinyGeneratorBytes, tinyTranslatorBytes } from './convert-fixtures.js';
import { listInferenceDevices, openModel, releaseIdleModels, type OnnxModel } from './runtime.js';
import { createTranslator } from './translate.js';

// In CI (DARKROOM_REQUIRE_GPU_TESTS) a missing Vulkan loader or SwiftShader driver is an error, elsewhere a skip.
const skip = softwareGpuSkip();

/** Float32 through ONNX Runtime's WebGPU shaders: the same maths as the CPU in another order. */
const RUN_TOLERANCE = 1e-4;

let adapter: GpuAdapterInfo | null = null;

before(async () => {
  if (!skip) adapter = (await probeGpuAdapter()).adapter;
});

after(async () => {
  await releaseIdleModels();
});

async function open(bytes: Uint8Array, device: 'cpu' | 'webgpu'): Promise<OnnxModel> {
  return openModel(bytes, { device, threads: 1 });
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('WebGPU on a software adapter', { skip }, () => {
  test('Dawn finds SwiftShader and calls it a software adapter', () => {
    assert.ok(adapter, 'an adapter is found through the SwiftShader driver');
    assert.equal(adapter.software, true);
    assert.match(adapter.description, /SwiftShader/i);
  });

  test('auto never picks it: webgpu is listed as unavailable, a software adapter, and auto runs on the CPU', async () => {
    const report = await listInferenceDevices();
    const webgpu = report.devices.find((d) => d.name === 'webgpu')!;
    assert.equal(webgpu.available, false);
    assert.equal(webgpu.usable, true, 'it still works when asked for by name');
    assert.equal(webgpu.kind, 'software');
    assert.match(webgpu.reason!, /software adapter/);
    assert.match(webgpu.adapter!, /SwiftShader/);
    assert.ok(webgpu.limits!.maxStorageBufferBindingSize! >= 128 * 2 ** 20, 'WebGPU guarantees at least 128 MiB per binding');
    assert.notEqual(report.auto, 'webgpu');
    // Nothing else works on a machine whose only GPU is SwiftShader (CI; a real GPU is hidden by VK_ICD_FILENAMES,
    // but CUDA, DirectML or Core ML may still be there).
    if (!report.devices.some((d) => d.available && d.name !== 'cpu')) assert.equal(report.auto, 'cpu');
    const model = await openModel(await tinyTranslatorBytes({ 'darkroom.range': '-1,1' }));
    assert.equal(model.device.name, report.auto);
    await model.dispose();
  });

  test('asked for by name, it runs an exported translator as the CPU does, whole and tiled', async () => {
    const bytes = await tinyTranslatorBytes({ 'darkroom.range': '-1,1', 'darkroom.stride': '1' });
    const [cpu, webgpu] = [await open(bytes, 'cpu'), await open(bytes, 'webgpu')];
    try {
      assert.equal(webgpu.device.name, 'webgpu');
      assert.equal(webgpu.device.fallback, null);
      assert.match(webgpu.device.detail, /WebGPU: SwiftShader.*software adapter/);
      assert.ok(webgpu.device.maxBufferBytes! > 0, 'the adapter limits bound the tile');

      const input = new Rng(3).normals(3 * 24 * 32);
      const [onCpu, onGpu] = [await cpu.run(input, [1, 3, 24, 32]), await webgpu.run(input, [1, 3, 24, 32])];
      assert.deepEqual(onGpu.dims, [1, 3, 24, 32]);
      const whole = maxDifference(onCpu.data, onGpu.data);
      assert.ok(whole <= RUN_TOLERANCE, `a whole run differs by ${whole}`);

      const photo = texturedPhoto(150, 100, 5);
      const tiled = async (model: OnnxModel) => {
        const translator = await createTranslator(model, bytes);
        let tiles = 0;
        const pixels = await translator.translate(photo, { tile: 64, onTile: (_, total) => (tiles = total) });
        assert.ok(tiles >= 6, `150×100 in 64 px tiles is several tiles (${tiles})`);
        assert.equal(translator.device.name, model.device.name);
        return pixels;
      };
      const levels = maxDifference(await tiled(cpu), await tiled(webgpu));
      assert.ok(levels <= 1, `tiled photos differ by up to ${levels} levels (rounding of values within ${RUN_TOLERANCE})`);
    } finally {
      await Promise.all([cpu.dispose(), webgpu.dispose()]);
    }
  });

  test('a tiled instance-normalised generator: its whole-photo statistics graphs run on WebGPU too', async () => {
    const bytes = await tinyGeneratorBytes({ ngf: 4, blocks: 1 });
    const [cpu, webgpu] = [await open(bytes, 'cpu'), await open(bytes, 'webgpu')];
    try {
      const photo = texturedPhoto(80, 64, 9);
      const run = async (model: OnnxModel) => {
        const translator = await createTranslator(model, bytes);
        let tiles = 0;
        const pixels = await translator.translate(photo, { tile: 64, onTile: (_, total) => (tiles = total) });
        assert.ok(tiles > 1, 'tiled');
        assert.equal(translator.device.name, model.device.name, 'the rewritten graphs ran where the model runs');
        assert.equal(translator.device.fallback, null);
        return pixels;
      };
      const levels = maxDifference(await run(cpu), await run(webgpu));
      assert.ok(levels <= 1, `tiled photos differ by up to ${levels} levels`);
    } finally {
      await Promise.all([cpu.dispose(), webgpu.dispose()]);
    }
  });

  describe('models the adapter cannot run move to the CPU, saying why', () => {
    // SwiftShader has no half-precision shaders (WebGPU's optional "shader-f16"), so half-precision graphs, common
    // in exports made for GPUs, are what its provider rejects; a real GPU with shader-f16 would run them.
    const noHalf = () => (adapter?.features.includes('shader-f16') ? 'this adapter has shader-f16 and runs half precision' : false);

    test('rejected when its session is created (half-precision weights): the CPU runs it from the start', { skip: noHalf() }, async () => {
      const model = await open(halfPrecisionConvBytes(), 'webgpu');
      try {
        assert.equal(model.device.name, 'cpu');
        assert.equal(model.device.requested, 'webgpu');
        assert.match(model.device.fallback!, /^WebGPU could not load this model: .*f16/);
        const out = await model.run(new Float32Array(3 * 8 * 8).fill(1), [1, 3, 8, 8]);
        // Every output pixel away from the border sums 27 inputs of 1 times 1/16.
        assert.equal(out.data[3 * 8 + 3], 27 / 16);
      } finally {
        await model.dispose();
      }
    });

    test('rejected on its first run (half precision inside): that run and the later ones go to the CPU', { skip: noHalf() }, async () => {
      const model = await open(halfPrecisionNegateBytes(), 'webgpu');
      try {
        assert.equal(model.device.name, 'webgpu', 'the session itself is accepted');
        const input = Float32Array.from({ length: 3 * 4 * 4 }, (_, i) => i / 8);
        // Two runs at once, as two photos of a batch and the studio might: both fail on the GPU, one moves the
        // model, both are answered by the CPU.
        const [first, second] = await Promise.all([model.run(input, [1, 3, 4, 4]), model.run(input.map((v) => v + 1), [1, 3, 4, 4])]);
        assert.deepEqual([...first.data], [...input].map((v) => -v), 'the photo is not lost');
        assert.deepEqual([...second.data], [...input].map((v) => -v - 1));
        assert.equal(model.device.name, 'cpu');
        assert.match(model.device.fallback!, /^WebGPU could not run this model: .*f16/);
        assert.deepEqual([...(await model.run(input, [1, 3, 4, 4])).data], [...first.data]);
      } finally {
        await model.dispose();
      }
    });
  });
});

function encode(nodes: NodeProto[], initializers: TensorProto[]): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'half', node: nodes, initializer: initializers, input: [floatValueInfo('x', [1, 3, 'H', 'W'])], output: [floatValueInfo('y', [1, 3, 'H', 'W'])] },
  }).finish();
}

const FLOAT16 = 10;
const FLOAT = 1;

/** x → half → 3×3 conv with half-precision weights of 1/16 → float. */
function halfPrecisionConvBytes(): Uint8Array {
  const weights = new Uint16Array(3 * 3 * 3 * 3).fill(0x2c00); // 1/16 in IEEE half precision
  return encode(
    [makeNode('Cast', ['x'], ['h'], { to: FLOAT16 }), makeNode('Conv', ['h', 'w'], ['c'], { pads: [1, 1, 1, 1] }), makeNode('Cast', ['c'], ['y'], { to: FLOAT })],
    [{ name: 'w', dims: [3, 3, 3, 3], dataType: FLOAT16, rawData: new Uint8Array(weights.buffer) }],
  );
}

/** x → half → negated → float: no weights, so nothing runs on the GPU before the first run. */
function halfPrecisionNegateBytes(): Uint8Array {
  return encode([makeNode('Cast', ['x'], ['h'], { to: FLOAT16 }), makeNode('Neg', ['h'], ['n']), makeNode('Cast', ['n'], ['y'], { to: FLOAT })], []);
}
