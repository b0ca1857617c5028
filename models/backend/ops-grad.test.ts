// Every op whose gradient our networks need, differentiated on wasm and compared with the cpu backend; then one
// whole (tiny) CycleGAN-style generator + discriminator loss. Also checks that every kernel those backward passes
// run exists on wasm. Restores the backend it found.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { applyNet, createNet, disposeNet } from '../nets/net.js';
import type { NetSpec } from '../nets/spec.js';
import { Rng } from '../rng.js';
import { initBackend } from './index.js';
import { assertClose, gradients, normals, onBackend } from './test-util.js';
import { gradientCase, instanceNorm, miniCycleGanLoss, NET_WEIGHTS, OPS, t4 } from './grad-cases.js';

const REL = 1e-4;

let found: string | undefined; // undefined when no backend had been started
before(async () => {
  found = tf.getBackend();
  await initBackend('wasm');
});
after(async () => {
  if (found !== undefined) await tf.setBackend(found);
});

const usedKernels = new Set<string>();

async function compareWithCpu(
  name: string,
  shapes: number[][],
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  rng: Rng,
  integers = false,
): Promise<void> {
  const { inputs, loss, reference: ref } = await gradientCase(shapes, f, rng, integers);
  const profile = await tf.profile(() => {
    const got = gradients(loss, inputs);
    got.forEach((g, i) => assertClose(g, ref[i], REL, `${name}: gradient of input ${i}`));
  });
  profile.kernelNames.forEach((k) => usedKernels.add(k));
}

test('each op gradient on wasm matches the cpu backend', async () => {
  const rng = new Rng(5);
  for (const op of OPS) await compareWithCpu(op.name, op.shapes, op.f, rng, op.integers);
});

test('a whole mini CycleGAN generator + discriminator loss: all gradients match cpu', async () => {
  const rng = new Rng(6);
  await compareWithCpu('mini CycleGAN', NET_WEIGHTS, miniCycleGanLoss, rng);
  for (const needed of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MirrorPad', 'Conv2D']) {
    assert.ok(usedKernels.has(needed), `${needed} was not exercised`);
  }
});

// The cpu backend of tfjs 4.22 gets both resize gradients wrong (ResizeNearestNeighborGrad reads dy with the
// image's batch stride, so batch > 1 is wrong; ResizeBilinearGrad returns a transposed shape for non-square
// images), so these are checked against their definition instead. (Neither backend's ResizeNearestNeighborGrad
// honours halfPixelCenters: a tfjs limitation, not exercised here, that our networks do not use): resize is linear, and the gradient of
// Σ v⊙A(x) is Aᵀv, so <A x, v> must equal <x, Aᵀv> for random x and v (the dot-product test).
test('resize gradients on wasm are the adjoints of the resizes (batch 2, non-square)', () => {
  const rng = new Rng(8);
  const shape: [number, number, number, number] = [2, 3, 5, 2];
  const resizes: [string, (x: tf.Tensor4D) => tf.Tensor][] = [
    ['resizeNearestNeighbor', (x) => tf.image.resizeNearestNeighbor(x, [6, 10])],
    ['resizeBilinear', (x) => tf.image.resizeBilinear(x, [6, 10])],
    ['resizeBilinear align corners', (x) => tf.image.resizeBilinear(x, [7, 9], true)],
  ];
  for (const [name, resize] of resizes) {
    const x = normals(rng, shape);
    const outShape = tf.tidy(() => resize(tf.zeros(shape) as tf.Tensor4D).shape);
    const v = normals(rng, outShape);
    const loss = (t: tf.Tensor) => tf.sum(tf.mul(resize(t4(t)), tf.tensor(v, outShape))) as tf.Scalar;
    const [g] = gradients(loss, [{ shape, values: x }]);
    const lhs = tf.tidy(() => loss(tf.tensor(x, shape)).dataSync()[0]);
    const rhs = x.reduce((sum, xi, i) => sum + xi * g[i], 0);
    assert.ok(Math.abs(lhs - rhs) <= 1e-4 * Math.max(1, Math.abs(lhs)), `${name}: <Ax,v> ${lhs} ≠ <x,Aᵀv> ${rhs}`);
  }
});

// applyNet's instance norm has a written-out gradient (tf.customGrad); it must equal differentiating the formula
// (instanceNorm above) on cpu, and be the same on wasm, for batch 2, non-square maps, with and without affine.
test("applyNet's instance norm gradient equals the formula's, on cpu and wasm", async () => {
  const rng = new Rng(9);
  const shape = [2, 5, 7, 3];
  for (const affine of [false, true]) {
    const spec: NetSpec = { name: 'norm', input: { kind: 'image', channels: 3 }, layers: [{ op: 'instanceNorm', name: 'n', affine, epsilon: 1e-5 }] };
    const x = normals(rng, shape).map((v, i) => v * (1 + (i % 3)) + (i % 5) * 0.3);
    const v = normals(rng, shape);
    const weighted = (y: tf.Tensor) => tf.sum(tf.mul(y, tf.tensor(v, shape))) as tf.Scalar;
    const viaNet = () => {
      const net = createNet(spec, new Rng(1));
      try {
        return gradients((t) => weighted(applyNet(net, t)), [{ shape, values: x }])[0];
      } finally {
        disposeNet(net);
      }
    };
    const viaFormula = () => gradients((t) => weighted(instanceNorm(t4(t))), [{ shape, values: x }])[0];
    const reference = await onBackend('cpu', viaFormula);
    assertClose(await onBackend('cpu', viaNet), reference, REL, `cpu, affine ${affine}`);
    assertClose(viaNet(), reference, REL, `wasm, affine ${affine}`);
  }
});

test('every kernel those backward passes ran is registered for wasm', () => {
  // Ops built with customGrad (e.g. logSigmoid) show up in profiles under their op name, not as kernels.
  const kernels = [...usedKernels].filter((k) => !k.endsWith('__op'));
  const missing = kernels.filter((k) => tf.getKernel(k, 'wasm') === undefined);
  assert.deepEqual(missing, []);
  assert.ok(kernels.length > 30, `only ${kernels.length} kernels seen`);
});
