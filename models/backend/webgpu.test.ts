// Training on WebGPU (Dawn), run here on SwiftShader's software Vulkan: `auto` never takes a software adapter;
// every gradient our families use matches cpu and finite differences; one step of each family equals cpu; no
// tensor growth; GPU limits and GPU failures are handled. Tiny shapes only (SwiftShader is slow).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { applyNet, createNet, disposeNet } from '../nets/net.js';
import type { NetSpec } from '../nets/spec.js';
import { Rng } from '../rng.js';
import { getFamily } from '../families/index.js';
import type { FamilyId } from '../families/family.js';
import { batchSource, syntheticImages } from '../families/test-support.js';
import { checkGpuFit } from '../train/gpu-fit.js';
import { UsageError } from '../errors.js';
import { initBackend } from './index.js';
import { softwareGpuSkip } from './gpu-test-env.js';
import { gradientCase, instanceNorm, miniCycleGanLoss, NET_WEIGHTS, OPS, t4 } from './grad-cases.js';
import { assertClose, normals, onBackend, readGradients } from './test-util.js';
import { cliText } from '../../electron/remedy-words.js';

const skip = softwareGpuSkip();
const REL = 1e-4; // the same bound as wasm against cpu

let found: string | undefined;
before(() => {
  found = tf.getBackend();
});
after(async () => {
  if (found !== undefined) await tf.setBackend(found);
});

test('auto never picks a software adapter; webgpu by name takes it with a warning and names it', { skip }, async () => {
  const auto = await initBackend('auto');
  assert.notEqual(auto.name, 'webgpu');
  const refused = auto.unavailable.find((u) => u.name === 'webgpu');
  assert.match(refused?.reason ?? '', /software one \(.*swiftshader.*\)/i);
  const gpu = await initBackend('webgpu');
  assert.equal(gpu.name, 'webgpu');
  assert.equal(tf.getBackend(), 'webgpu');
  assert.equal(gpu.adapter?.software, true);
  assert.match(gpu.adapter?.architecture ?? '', /swiftshader/i);
  assert.ok((gpu.adapter?.maxBufferSize ?? 0) > 0);
  assert.match(gpu.warning ?? '', /software adapter.*slower/);
  assert.match(gpu.detail, /^webgpu \(Dawn\) on .*swiftshader/i);
});

/** Gradients of Σ v⊙f(x) on webgpu against cpu (gradientCase). */
async function compareWithCpu(name: string, shapes: number[][], f: (...xs: tf.Tensor[]) => tf.Tensor, rng: Rng, integers = false) {
  const { inputs, loss, reference: ref } = await gradientCase(shapes, f, rng, integers);
  const got = await onBackend('webgpu', () => readGradients(loss, inputs));
  got.forEach((g, i) => assertClose(g, ref[i], REL, `${name}: gradient of input ${i}`));
  return { inputs, loss, got };
}

test('every op gradient our nets use matches cpu on webgpu', { skip }, async () => {
  await initBackend('webgpu');
  const rng = new Rng(5);
  // Which of several tied maxima receives the gradient is a convention (cpu: the first, webgpu: another); our nets
  // pool only by averaging, so the tie case is left to the backends that share cpu's convention.
  for (const op of OPS.filter((o) => !o.integers)) await compareWithCpu(op.name, op.shapes, op.f, rng);
});

test('a mini CycleGAN (reflect pad, 7×7 and strided convs, transposed conv, instance norm, LSGAN + L1) matches cpu and finite differences', { skip }, async () => {
  const rng = new Rng(6);
  const { inputs, loss, got } = await compareWithCpu('mini CycleGAN', NET_WEIGHTS, miniCycleGanLoss, rng);
  // Directional derivative along a random direction d: (L(x + εd) − L(x − εd)) / 2ε ≈ Σ ∇L·d, on webgpu. ReLU and
  // L1 kinks make larger steps inexact on every backend (cpu gives the same figures: −13% at ε = 1e-2, 0.1% at 1e-4).
  const eps = 1e-4;
  const directions = inputs.map((i) => normals(rng, i.shape));
  const at = (sign: number) =>
    onBackend('webgpu', async () => {
      const value = tf.tidy(() => loss(...inputs.map((input, k) => tf.tensor(input.values.map((x, j) => x + sign * eps * directions[k][j]), input.shape))));
      const [v] = await value.data();
      value.dispose();
      return v;
    });
  const fd = ((await at(1)) - (await at(-1))) / (2 * eps);
  const analytic = got.reduce((s, g, k) => s + g.reduce((t, gj, j) => t + gj * directions[k][j], 0), 0);
  assert.ok(Math.abs(fd - analytic) <= 2e-2 * Math.max(1, Math.abs(analytic)), `finite difference ${fd} vs gradient ${analytic}`);
});

test("applyNet's instance norm (custom gradient) equals the formula's gradient on webgpu", { skip }, async () => {
  const rng = new Rng(9);
  const shape = [2, 5, 7, 3];
  for (const affine of [false, true]) {
    const spec: NetSpec = { name: 'norm', input: { kind: 'image', channels: 3 }, layers: [{ op: 'instanceNorm', name: 'n', affine, epsilon: 1e-5 }] };
    const x = [{ shape, values: normals(rng, shape).map((v, i) => v * (1 + (i % 3)) + (i % 5) * 0.3) }];
    const v = normals(rng, shape);
    const weighted = (y: tf.Tensor) => tf.sum(tf.mul(y, tf.tensor(v, shape))) as tf.Scalar;
    const reference = (await onBackend('cpu', () => readGradients((t) => weighted(instanceNorm(t4(t))), x)))[0];
    const viaNet = await onBackend('webgpu', async () => {
      const net = createNet(spec, new Rng(1));
      try {
        return (await readGradients((t) => weighted(applyNet(net, t)), x))[0];
      } finally {
        disposeNet(net);
      }
    });
    assertClose(viaNet, reference, REL, `webgpu, affine ${affine}`);
  }
});

const TINY: Record<FamilyId, { options: Record<string, unknown>; batch: number; two?: boolean }> = {
  ae: { options: { size: 16, latent: 4, nf: 4 }, batch: 2 },
  vae: { options: { size: 16, latent: 4, nf: 4 }, batch: 2 },
  gan: { options: { size: 16, latent: 4, ngf: 4, ndf: 4, k: 2 }, batch: 2 },
  cyclegan: { options: { size: 32, ngf: 4, ndf: 4, blocks: 1, poolSize: 2 }, batch: 1, two: true },
  cut: { options: { size: 32, ngf: 4, ndf: 4, blocks: 1, patches: 16 }, batch: 1, two: true },
};

/** Three training steps of a family on a backend from the same seed and data: losses and every state tensor. */
async function threeSteps(backend: 'cpu' | 'webgpu', id: FamilyId) {
  return onBackend(backend, async () => {
    const family = getFamily(id);
    const { options, batch, two } = TINY[id];
    const size = options.size as number;
    const model = family.create(family.resolveConfig(options), new Rng(3));
    const source = batchSource(syntheticImages(1, 4, size), size, batch, 2, two ? syntheticImages(2, 4, size) : undefined);
    // Two steps fill CycleGAN's image pools (2 images); the third must not add a tensor.
    const losses = [await model.trainStep(source.next, 1), await model.trainStep(source.next, 1)];
    const tensorsBefore = tf.memory().numTensors;
    losses.push(await model.trainStep(source.next, 1));
    const growth = tf.memory().numTensors - tensorsBefore;
    const state = model.getState();
    const tensors: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(state.tensors)) tensors[name] = Float32Array.from(await t.data());
    model.dispose();
    return { losses, tensors, growth };
  });
}

for (const id of Object.keys(TINY) as FamilyId[]) {
  test(`${id}: three training steps on webgpu equal cpu (losses to 1e-3, every weight and moment to 2e-2 of its scale); no tensor growth`, { skip }, async () => {
    const cpu = await threeSteps('cpu', id);
    const gpu = await threeSteps('webgpu', id);
    assert.equal(gpu.growth, 0, 'tensor count grew between steps on webgpu');
    cpu.losses.forEach((l, step) => assertClose(Object.values(gpu.losses[step]), Object.values(l), 1e-3, `${id} losses at step ${step + 1}`));
    assert.deepEqual(Object.keys(gpu.tensors).sort(), Object.keys(cpu.tensors).sort());
    // Adam divides by √v, which magnifies float32 differences in its first steps, hence a looser bound than the losses'
    // (CUT's PatchNCE, a chain of normalisations and exponentials, reaches 1.01e-2 in one moment of its generator).
    for (const [name, values] of Object.entries(cpu.tensors)) assertClose(gpu.tensors[name], values, 2e-2, `${id} ${name}`);
  });
}

test('a size or batch past the adapter’s buffer limit is refused before training, with what fits', { skip }, async () => {
  const gpu = await initBackend('webgpu');
  const family = getFamily('cyclegan');
  const model = family.create(family.resolveConfig({ size: 32, ngf: 4, ndf: 4, blocks: 1 }), new Rng(1));
  try {
    const nets = Object.values(model.nets);
    // The real adapter's limits take this small net at any size we test; a made-up small GPU does not.
    checkGpuFit(gpu.adapter!, nets, 256, 1);
    const small = { ...gpu.adapter!, description: 'a small GPU', maxBufferSize: 2 ** 20, maxStorageBufferBindingSize: 2 ** 20 };
    assert.throws(
      () => checkGpuFit(small, nets, 256, 4),
      (e: unknown) => e instanceof UsageError && /size 256 with batch 4 needs a \d+ MiB GPU buffer, but this GPU \(a small GPU\) allows 1 MiB/.test(e.message) && /What fits: --batch \d+ at this size|--size \d+ at this batch/.test(cliText(e.message)),
    );
  } finally {
    model.dispose();
  }
});
