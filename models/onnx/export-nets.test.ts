// The networks Darkroom trains (nets/*.ts builders), built small with random weights: their ONNX exports
// must compute what TensorFlow.js computes, within 1e-4, at the sizes users will feed them.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disposeNet } from '../nets/net.js';
import type { NetSpec } from '../nets/spec.js';
import { buildResnetGenerator } from '../nets/resnet-generator.js';
import { buildPatchDiscriminator } from '../nets/patchgan.js';
import { buildConvDecoder, buildConvEncoder } from '../nets/pyramid.js';
import { compareWithTfjs, randomNet } from './parity-helpers.js';

const TOLERANCE = 1e-4;

before(async () => {
  await tf.setBackend('cpu');
});

async function expectParity(spec: NetSpec, shapes: number[][]): Promise<void> {
  const net = randomNet(spec, 11);
  try {
    for (const shape of shapes) {
      const r = await compareWithTfjs(net, shape, 3);
      const where = `${spec.name} on [${shape.join(', ')}]`;
      assert.deepEqual(r.onnxDims, r.tfDims, `${where}: output dims`);
      assert.ok(r.maxAbs > 0.05, `${where}: outputs are all near zero (${r.maxAbs})`);
      assert.ok(r.maxAbsDiff <= TOLERANCE, `${where}: ONNX differs from tfjs by ${r.maxAbsDiff}`);
    }
  } finally {
    disposeNet(net);
  }
}

test('ResNet generator: square, non-square, and sizes that are not multiples of 4', () =>
  expectParity(buildResnetGenerator({ name: 'G_AB', ngf: 4, blocks: 2 }), [
    [2, 16, 16, 3],
    [1, 12, 20, 3],
    [1, 13, 10, 3],
  ]));

test('ResNet generator with the light preset widths (ngf 32, 6 blocks)', () =>
  expectParity(buildResnetGenerator({ name: 'G_light', ngf: 32, blocks: 6 }), [[1, 20, 28, 3]]));

for (const resampling of ['antialiased', 'antialiased-down', 'antialiased-up'] as const) {
  test(`ResNet generator with CUT's ${resampling} resampling (blur layers, replicate padding)`, () =>
    expectParity(buildResnetGenerator({ name: 'G', ngf: 4, blocks: 1, resampling }), [
      [2, 16, 16, 3],
      [1, 12, 20, 3],
    ]));
}

test('PatchGAN discriminator', () =>
  expectParity(buildPatchDiscriminator({ name: 'D_A', ndf: 4 }), [
    [2, 32, 32, 3],
    [1, 24, 40, 3],
    [1, 30, 27, 3],
  ]));

for (const norm of ['none', 'instance'] as const) {
  test(`conv encoder (norm ${norm})`, () =>
    expectParity(buildConvEncoder({ name: 'encoder', size: 16, nf: 4, outputs: 6, norm }), [[3, 16, 16, 3]]));

  test(`conv decoder (norm ${norm})`, () =>
    expectParity(buildConvDecoder({ name: 'decoder', size: 16, nf: 4, latent: 5, norm }), [[3, 5]]));
}
