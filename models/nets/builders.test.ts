import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.js';
import { applyNet, createNet, disposeNet } from './net.js';
import { isFullyConvolutional, netOutputShape, netParams, netStride, type FeatureShape, type NetSpec } from './spec.js';
import { buildConvDecoder, buildConvEncoder, pyramidDepth } from './pyramid.js';
import { buildResnetGenerator } from './resnet-generator.js';
import { buildPatchDiscriminator } from './patchgan.js';
import { createHeNet } from './init.js';

/** Runs the net on a batch of 2 and returns the shape tfjs produced next to the one spec.ts predicts. */
function runShapes(spec: NetSpec, input: number[]): { actual: number[]; predicted: FeatureShape } {
  const net = createNet(spec, new Rng(1));
  const actual = tf.tidy(() => applyNet(net, tf.randomUniform(input, -1, 1)).shape);
  disposeNet(net);
  return { actual, predicted: netOutputShape(spec) };
}

test('pyramid encoders and decoders produce the shapes spec.ts predicts', async () => {
  await tf.setBackend('cpu');
  for (const size of [16, 32, 64]) {
    for (const norm of ['none', 'instance'] as const) {
      const enc = runShapes(buildConvEncoder({ name: 'enc', size, nf: 4, outputs: 6, norm }), [2, size, size, 3]);
      assert.deepEqual(enc.predicted, { kind: 'vector', size: 6 });
      assert.deepEqual(enc.actual, [2, 6]);
      const dec = runShapes(buildConvDecoder({ name: 'dec', size, nf: 4, latent: 5, norm }), [2, 5]);
      assert.deepEqual(dec.predicted, { kind: 'image', height: size, width: size, channels: 3 });
      assert.deepEqual(dec.actual, [2, size, size, 3]);
    }
  }
  // Down to 4×4: 64 px takes four halvings, with channels capped at 8·nf.
  assert.equal(pyramidDepth(64), 4);
  const convs = buildConvEncoder({ name: 'e', size: 128, nf: 2, outputs: 1 }).layers.filter((l) => l.op === 'conv');
  assert.deepEqual(convs.map((l) => (l.op === 'conv' ? l.filters : 0)), [2, 4, 8, 16, 16]);
  assert.throws(() => buildConvEncoder({ name: 'e', size: 48, nf: 2, outputs: 1 }), /power of two/);
});

test('decoder outputs lie in [-1, 1] (tanh head)', async () => {
  await tf.setBackend('cpu');
  const net = createNet(buildConvDecoder({ name: 'dec', size: 16, nf: 4, latent: 3 }), new Rng(2), 0.5);
  const [lo, hi] = tf.tidy(() => {
    const y = applyNet(net, tf.randomNormal([4, 3], 0, 10));
    return [y.min().dataSync()[0], y.max().dataSync()[0]];
  });
  disposeNet(net);
  assert.ok(lo >= -1 && hi <= 1 && hi > lo, `range [${lo}, ${hi}]`);
});

test('the ResNet generator is fully convolutional and keeps any multiple-of-4 size, square or not', async () => {
  await tf.setBackend('cpu');
  const spec = buildResnetGenerator({ name: 'G', ngf: 4, blocks: 2 });
  assert.ok(isFullyConvolutional(spec));
  assert.equal(netStride(spec), 4);
  assert.deepEqual(netOutputShape(spec), { kind: 'image', height: null, width: null, channels: 3 });
  assert.deepEqual(runShapes(spec, [2, 16, 16, 3]).actual, [2, 16, 16, 3]);
  assert.deepEqual(runShapes(spec, [1, 20, 36, 3]).actual, [1, 20, 36, 3]);
  // Paper layout: stem ngf, downsampling to 2·ngf and 4·ngf, blocks of two 3×3 convs at 4·ngf, no affine norm.
  const params = netParams(spec);
  assert.deepEqual(params.find((p) => p.name === 'stem.w')?.shape, [7, 7, 3, 4]);
  assert.deepEqual(params.find((p) => p.name === 'res1.conv1.w')?.shape, [3, 3, 16, 16]);
  assert.deepEqual(params.find((p) => p.name === 'head.w')?.shape, [7, 7, 4, 3]);
  assert.ok(!params.some((p) => p.name.endsWith('.gamma')));
});

test('the PatchGAN discriminator maps an image to a grid of patch scores', async () => {
  await tf.setBackend('cpu');
  const spec = buildPatchDiscriminator({ name: 'D', ndf: 4 });
  assert.ok(isFullyConvolutional(spec));
  // 32 → 16 → 8 → 4 → 3 → 2; non-square inputs map to non-square score grids.
  assert.deepEqual(runShapes(spec, [2, 32, 32, 3]).actual, [2, 2, 2, 1]);
  assert.deepEqual(runShapes(spec, [1, 32, 48, 3]).actual, [1, 2, 4, 1]);
  // The 70×70 receptive field at 256 px: a 30×30 grid of scores.
  const withSize: NetSpec = { ...spec, input: { kind: 'image', channels: 3, height: 256, width: 256 } };
  assert.deepEqual(netOutputShape(withSize), { kind: 'image', height: 30, width: 30, channels: 1 });
  assert.deepEqual(netParams(spec).map((p) => p.shape.at(-1)), [4, 4, 8, 8, 16, 16, 32, 32, 1, 1]);
});

test('He initialisation scales each weight to gain/√fan-in and leaves biases at zero', async () => {
  await tf.setBackend('cpu');
  const spec = buildConvEncoder({ name: 'enc', size: 32, nf: 16, outputs: 64 });
  const net = createHeNet(spec, new Rng(3));
  const std = (name: string) => {
    const values = Array.from(net.params.get(name)!.dataSync());
    return Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
  };
  const leaky = Math.sqrt(2 / (1 + 0.2 ** 2));
  // down1: 4×4 kernel over 16 channels, followed by leakyRelu 0.2; out: dense over 4·4·64 inputs, no activation.
  assert.ok(Math.abs(std('down1.w') / (leaky / Math.sqrt(4 * 4 * 16)) - 1) < 0.05, `down1 std ${std('down1.w')}`);
  assert.ok(Math.abs(std('out.w') / (1 / Math.sqrt(4 * 4 * 64)) - 1) < 0.05, `out std ${std('out.w')}`);
  assert.equal(std('down1.b'), 0);
  // Transposed convs count the inputs each output actually sees: in·k²/stride².
  const dec = createHeNet(buildConvDecoder({ name: 'dec', size: 16, nf: 16, latent: 4 }), new Rng(4));
  const w = Array.from(dec.params.get('up0.w')!.dataSync());
  const decStd = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
  assert.ok(Math.abs(decStd / (Math.SQRT2 / Math.sqrt((32 * 16) / 4)) - 1) < 0.05, `up0 std ${decStd}`);
  disposeNet(net);
  disposeNet(dec);
});
