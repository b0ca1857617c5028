// The ONNX engine on ONNX Runtime's WebGPU provider (SwiftShader's Vulkan driver here: tiny shapes only). Every node
// of every training graph must run on the GPU — ONNX Runtime would quietly run a node the provider lacks on the
// CPU — and the losses must be the CPU provider's. The exported generator (what conversion runs) is held to the
// same rule. Node's test runner gives this file its own process, so the environment set here is what ONNX Runtime sees.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../backend/index.js';
import { softwareGpuSkip } from '../backend/gpu-test-env.js';
import { cut } from '../families/cut.js';
import { cyclegan } from '../families/cyclegan.js';
import type { ModelFamily } from '../families/family.js';
import { batchSource, syntheticImages } from '../families/test-support.js';
import { tinyGeneratorBytes } from '../onnx/convert-fixtures.js';
import { fallbacks } from '../onnx/node-providers.js';
import { openTrainingSession } from '../onnx/runtime.js';
import { Rng } from '../rng.js';
import { OnnxEngine } from './onnx-engine.js';
import { assertNear, CASES, onnxGradients, referenceGradients } from './vjp-cases.js';

const skip = softwareGpuSkip();
const SIZE = 32;
const WEBGPU = 'WebGpuExecutionProvider';

before(async () => {
  await initBackend('cpu');
});

async function twoSteps(family: ModelFamily, options: Record<string, unknown>, device: 'cpu' | 'webgpu', profileDir?: string) {
  const engine = new OnnxEngine({ device, threads: 1, profileDir });
  const model = family.create(family.resolveConfig({ size: SIZE, ngf: 4, ndf: 4, blocks: 1, ...options }), new Rng(4), engine);
  const source = batchSource(syntheticImages(1, 4, SIZE), SIZE, 1, 2, syntheticImages(2, 4, SIZE));
  try {
    const losses = [await model.trainStep(() => source.next(), 1), await model.trainStep(() => source.next(), 1)];
    return { losses, profiles: profileDir ? await engine.endProfiling() : {}, device: engine.device };
  } finally {
    model.dispose();
    await engine.dispose();
  }
}

const FAMILIES: [string, ModelFamily, Record<string, unknown>, string[]][] = [
  ['cyclegan', cyclegan, {}, ['discriminators', 'generators']],
  // CUT with its identity term: PatchNCE's Gather, ScatterND, batched MatMul, Log; a FastCUT mirror is a Gather too.
  ['cut', cut, { patches: 16 }, ['discriminator', 'generator']],
  // CUT's anti-aliased generator: edge Pads and the blurs' one-channel Conv/ConvTranspose, with their gradients.
  ['anti-aliased cut', cut, { patches: 16, resampling: 'antialiased' }, ['discriminator', 'generator']],
];

for (const [label, family, options, phases] of FAMILIES) {
  test(`${label} trains on the WebGPU provider with every node on the GPU and the CPU provider's losses`, { skip }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'darkroom-webgpu-train-'));
    try {
      const gpu = await twoSteps(family, options, 'webgpu', dir);
      const cpu = await twoSteps(family, options, 'cpu');
      assert.equal(gpu.device?.name, 'webgpu');
      assert.deepEqual(Object.keys(gpu.profiles).sort(), phases);
      for (const [phase, file] of Object.entries(gpu.profiles)) {
        const left = fallbacks(file, WEBGPU);
        assert.deepEqual(left.map((n) => `${n.op} on ${n.provider}`), [], `${phase}: nodes WebGPU left to another provider`);
      }
      // The first step's losses to float precision; the second within the 2% a user could tell apart. Not closer: the
      // two providers sum in different orders, a ReLU input within ~1e-7 of zero then takes the other side, and Adam's
      // first update (±lr wherever the gradient is not zero) carries that into whole layers of these tiny nets. Every
      // operation's gradient is compared with tfjs on this provider below, at 1e-4.
      gpu.losses.forEach((step, i) => {
        const tolerance = i === 0 ? 1e-5 : 2e-2;
        for (const [name, v] of Object.entries(cpu.losses[i]))
          assert.ok(Math.abs(step[name] - v) <= tolerance * Math.max(1, Math.abs(v)), `step ${i + 1} ${name}: webgpu ${step[name]} vs cpu ${v}`);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('an exported generator (what Convert runs) runs wholly on the WebGPU provider', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-webgpu-convert-'));
  try {
    const session = await openTrainingSession(await tinyGeneratorBytes(), { device: 'webgpu', threads: 1, label: 'generator', profileTo: join(dir, 'convert') });
    try {
      await session.run({ input: { data: new Float32Array(3 * 16 * 16).fill(0.25), dims: [1, 3, 16, 16] } });
      const left = fallbacks(session.endProfiling()!, WEBGPU);
      assert.deepEqual(left.map((n) => `${n.op} on ${n.provider}`), []);
    } finally {
      await session.release();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// Twice in one session: a kernel that is right only on fresh buffers (Slice with step −1 in ONNX Runtime 1.30) shows.
for (const c of CASES) {
  test(`gradient of ${c.name} on the WebGPU provider, second run of the session, equals tfjs`, { skip }, async () => {
    const { values, weights, expected, dispose } = referenceGradients(c);
    const { grads } = await onnxGradients(c, values, weights, 'webgpu', 2);
    grads.forEach((d, i) => assertNear(d, expected[i], 1e-4, `d/dx${i}`));
    dispose();
  });
}
