// Every layer op of nets/spec.ts, alone and in small nets, exported to ONNX and run in ONNX Runtime, must give
// what TensorFlow.js gives (applyNet) within 1e-4 on random weights and inputs, at square, non-square and odd sizes.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disposeNet } from '../nets/net.js';
import type { LayerSpec, NetSpec } from '../nets/spec.js';
import { compareWithTfjs, randomNet } from './parity-helpers.js';

const TOLERANCE = 1e-4;
/** Batch 2; square, non-square, and sizes that are not multiples of 2 or 4. */
const IMAGE_SIZES: [number, number][] = [
  [8, 8],
  [6, 10],
  [7, 5],
];

before(async () => {
  await tf.setBackend('cpu');
});

async function expectParity(spec: NetSpec, shapes: number[][], seed = 1): Promise<void> {
  const net = randomNet(spec, seed);
  try {
    for (const shape of shapes) {
      const r = await compareWithTfjs(net, shape, seed + shape.reduce((a, b) => a + b, 0));
      const where = `${spec.name} on [${shape.join(', ')}]`;
      assert.deepEqual(r.onnxDims, r.tfDims, `${where}: output dims`);
      assert.ok(r.maxAbs > 0.05, `${where}: outputs are all near zero (${r.maxAbs}), the comparison would prove nothing`);
      assert.ok(r.maxAbsDiff <= TOLERANCE, `${where}: ONNX differs from tfjs by ${r.maxAbsDiff}`);
    }
  } finally {
    disposeNet(net);
  }
}

const imageNet = (name: string, channels: number, layers: LayerSpec[]): NetSpec => ({ name, input: { kind: 'image', channels }, layers });
const imageShapes = (channels: number) => IMAGE_SIZES.map(([h, w]) => [2, h, w, channels]);

describe('each op alone matches tfjs', () => {
  const convs: [string, Omit<Extract<LayerSpec, { op: 'conv' }>, 'op' | 'name'>][] = [
    ['k3 s1 p1 with bias', { filters: 5, kernel: 3, stride: 1, pad: 1, bias: true }],
    ['k4 s2 p1 with bias', { filters: 4, kernel: 4, stride: 2, pad: 1, bias: true }],
    ['k3 s2 p0 without bias', { filters: 6, kernel: 3, stride: 2, pad: 0, bias: false }],
    ['k1 s1 p0', { filters: 2, kernel: 1, stride: 1, pad: 0, bias: true }],
  ];
  for (const [label, conv] of convs)
    test(`conv ${label}`, () => expectParity(imageNet('conv', 3, [{ op: 'conv', name: 'c', ...conv }]), imageShapes(3)));

  // Kernels above, at and below the stride, with even and odd k − s (TensorFlow crops the odd one at the end).
  const transposed: [number, number][] = [
    [4, 2],
    [3, 2],
    [5, 2],
    [2, 2],
    [1, 2],
    [3, 1],
    [4, 3],
  ];
  for (const [kernel, stride] of transposed)
    test(`convTranspose k${kernel} s${stride}`, () =>
      expectParity(imageNet('convT', 3, [{ op: 'convTranspose', name: 't', filters: 4, kernel, stride, bias: true }]), imageShapes(3)));

  test('convTranspose without bias', () =>
    expectParity(imageNet('convT', 5, [{ op: 'convTranspose', name: 't', filters: 3, kernel: 3, stride: 2, bias: false }]), imageShapes(5)));

  for (const pad of [1, 3])
    test(`reflectPad ${pad}`, () => expectParity(imageNet('pad', 3, [{ op: 'reflectPad', pad }]), IMAGE_SIZES.map(([h, w]) => [2, h, w, 3])));

  for (const affine of [false, true])
    for (const epsilon of [1e-5, 1e-3])
      test(`instanceNorm ${affine ? 'affine' : 'plain'} eps ${epsilon}`, () =>
        expectParity(imageNet('norm', 4, [{ op: 'instanceNorm', name: 'n', affine, epsilon }]), imageShapes(4)));

  const acts: LayerSpec[] = [
    { op: 'act', fn: 'relu' },
    { op: 'act', fn: 'leakyRelu', alpha: 0.3 },
    { op: 'act', fn: 'leakyRelu' }, // the default alpha must be the same on both sides
    { op: 'act', fn: 'tanh' },
    { op: 'act', fn: 'sigmoid' },
  ];
  for (const act of acts)
    test(`act ${JSON.stringify(act)}`, () => expectParity(imageNet('act', 3, [act]), imageShapes(3)));

  test('residual', () =>
    expectParity(
      imageNet('res', 4, [{ op: 'residual', body: [{ op: 'conv', name: 'r', filters: 4, kernel: 3, stride: 1, pad: 1, bias: true }, { op: 'act', fn: 'tanh' }] }]),
      imageShapes(4),
    ));

  for (const bias of [true, false])
    test(`dense ${bias ? 'with' : 'without'} bias`, () =>
      expectParity({ name: 'dense', input: { kind: 'vector', size: 7 }, layers: [{ op: 'dense', name: 'd', units: 5, bias }] }, [[3, 7]]));

  test('flatten keeps the NHWC order dense weights were trained on', () =>
    expectParity(
      { name: 'flat', input: { kind: 'image', channels: 3, height: 5, width: 4 }, layers: [{ op: 'flatten' }, { op: 'dense', name: 'd', units: 6, bias: true }] },
      [[2, 5, 4, 3]],
    ));

  test('flatten alone', () =>
    expectParity({ name: 'flat', input: { kind: 'image', channels: 2, height: 3, width: 5 }, layers: [{ op: 'flatten' }] }, [[2, 3, 5, 2]]));

  test('reshape to an image', () =>
    expectParity({ name: 'reshape', input: { kind: 'vector', size: 24 }, layers: [{ op: 'reshape', height: 2, width: 4, channels: 3 }] }, [[2, 24]]));
});

describe('small complete nets match tfjs', () => {
  test('a fully convolutional net with every image op', () =>
    expectParity(
      imageNet('all-image-ops', 3, [
        { op: 'reflectPad', pad: 2 },
        { op: 'conv', name: 'stem', filters: 6, kernel: 5, stride: 1, pad: 0, bias: true },
        { op: 'instanceNorm', name: 'stem.norm', affine: false, epsilon: 1e-5 },
        { op: 'act', fn: 'relu' },
        { op: 'conv', name: 'down', filters: 8, kernel: 3, stride: 2, pad: 1, bias: true },
        { op: 'instanceNorm', name: 'down.norm', affine: true, epsilon: 1e-5 },
        { op: 'act', fn: 'leakyRelu', alpha: 0.2 },
        {
          op: 'residual',
          body: [
            { op: 'reflectPad', pad: 1 },
            { op: 'conv', name: 'res.conv', filters: 8, kernel: 3, stride: 1, pad: 0, bias: false },
            { op: 'instanceNorm', name: 'res.norm', affine: false, epsilon: 1e-5 },
            { op: 'act', fn: 'sigmoid' },
          ],
        },
        { op: 'convTranspose', name: 'up', filters: 4, kernel: 3, stride: 2, bias: true },
        { op: 'act', fn: 'relu' },
        { op: 'conv', name: 'head', filters: 3, kernel: 3, stride: 1, pad: 1, bias: true },
        { op: 'act', fn: 'tanh' },
      ]),
      [[2, 8, 8, 3], [1, 12, 20, 3], [2, 9, 7, 3]],
    ));

  test('an encoder: conv, flatten, dense', () =>
    expectParity(
      {
        name: 'encoder',
        input: { kind: 'image', channels: 3, height: 8, width: 12 },
        layers: [
          { op: 'conv', name: 'c', filters: 4, kernel: 4, stride: 2, pad: 1, bias: true },
          { op: 'act', fn: 'leakyRelu', alpha: 0.2 },
          { op: 'flatten' },
          { op: 'dense', name: 'd', units: 5, bias: true },
        ],
      },
      [[3, 8, 12, 3]],
    ));

  test('a decoder: dense, reshape, convTranspose', () =>
    expectParity(
      {
        name: 'decoder',
        input: { kind: 'vector', size: 6 },
        layers: [
          { op: 'dense', name: 'd', units: 2 * 3 * 8, bias: true },
          { op: 'reshape', height: 2, width: 3, channels: 8 },
          { op: 'instanceNorm', name: 'n', affine: true, epsilon: 1e-5 },
          { op: 'act', fn: 'relu' },
          { op: 'convTranspose', name: 't', filters: 3, kernel: 4, stride: 2, bias: true },
          { op: 'act', fn: 'tanh' },
        ],
      },
      [[3, 6]],
    ));
});
