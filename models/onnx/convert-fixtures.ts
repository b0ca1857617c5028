// Test material for translation and batch conversion, made by the project itself: tiny ONNX models (a ResNet
// generator exported from the layer spec with random weights, and hand-built graphs that look like other
// tools' exports) and textured photos with detail at every scale, like real ones.
import { Rng } from '../rng.js';
import { createNet, disposeNet } from '../nets/net.js';
import { buildResnetGenerator } from '../nets/resnet-generator.js';
import { exportNet } from './export.js';
import { IR_VERSION, floatTensor, floatValueInfo, makeNode, onnx, type Dim, type NodeProto, type TensorProto } from './proto.js';
import type { RgbPixels } from './translate.js';

/** A CycleGAN-style ResNet generator with random weights, exported by Darkroom's own exporter with its metadata. */
export async function tinyGeneratorBytes(o: { ngf?: number; blocks?: number; seed?: number } = {}): Promise<Uint8Array> {
  const net = createNet(buildResnetGenerator({ name: 'G_AB', ngf: o.ngf ?? 8, blocks: o.blocks ?? 2 }), new Rng(o.seed ?? 1));
  try {
    return await exportNet(net, {
      metadata: { 'darkroom.family': 'cyclegan', 'darkroom.direction': 'AtoB', 'darkroom.range': '-1,1', 'darkroom.stride': '4', 'darkroom.trainSize': '64', 'darkroom.version': 'test' },
    });
  } finally {
    disposeNet(net);
  }
}

/** The smallest image-to-image model: one 3×3 conv and tanh, random weights, exported with the given metadata. */
export async function tinyTranslatorBytes(metadata: Record<string, string>, seed = 5): Promise<Uint8Array> {
  const net = createNet(
    {
      name: 'tiny_translator',
      input: { kind: 'image', channels: 3 },
      layers: [
        { op: 'conv', name: 'c', filters: 3, kernel: 3, stride: 1, pad: 1, bias: true },
        { op: 'act', fn: 'tanh' },
      ],
    },
    new Rng(seed),
    0.3,
  );
  try {
    return await exportNet(net, { metadata });
  } finally {
    disposeNet(net);
  }
}

function encode(name: string, nodes: NodeProto[], initializers: TensorProto[], inputDims: Dim[], outputDims: Dim[], producer: string): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: producer,
    graph: { name, node: nodes, initializer: initializers, input: [floatValueInfo('x', inputDims)], output: [floatValueInfo('y', outputDims)] },
  }).finish();
}

/**
 * A model as PyTorch would export it (input "x", output "y", dynamic axes named batch/height/width, no metadata):
 * y = 1 − x per channel. In the 0..1 range that is a photographic negative.
 */
export function negativeModelBytes(): Uint8Array {
  const weight = new Float32Array(9);
  for (let c = 0; c < 3; c++) weight[c * 3 + c] = -1;
  return encode(
    'negative',
    [makeNode('Conv', ['x', 'w', 'b'], ['y'], { kernel_shape: [1, 1] })],
    [floatTensor('w', [3, 3, 1, 1], weight), floatTensor('b', [3], new Float32Array([1, 1, 1]))],
    ['batch', 3, 'height', 'width'],
    ['batch', 3, 'height', 'width'],
    'pytorch',
  );
}

/** A broken model whose output is all NaN (0 / 0) or all +Inf (1 / 0), as a diverged or badly exported one gives. */
export function nonFiniteModelBytes(kind: 'nan' | 'inf'): Uint8Array {
  const nodes = [makeNode('Sub', ['x', 'x'], ['zero']), kind === 'nan' ? makeNode('Div', ['zero', 'zero'], ['y']) : makeNode('Reciprocal', ['zero'], ['y'])];
  return encode(`broken-${kind}`, nodes, [], ['batch', 3, 'height', 'width'], ['batch', 3, 'height', 'width'], 'elsewhere');
}

/** A model from elsewhere without range metadata whose last operation is `last`: a 1×1 convolution, then Tanh or Sigmoid. */
export function squashingModelBytes(last: 'Tanh' | 'Sigmoid' | 'Relu'): Uint8Array {
  const weight = new Float32Array(9);
  for (let c = 0; c < 3; c++) weight[c * 3 + c] = 1;
  return encode(
    `ends-in-${last}`,
    [makeNode('Conv', ['x', 'w'], ['h'], { kernel_shape: [1, 1] }), makeNode(last, ['h'], ['y'])],
    [floatTensor('w', [3, 3, 1, 1], weight)],
    ['batch', 3, 'height', 'width'],
    ['batch', 3, 'height', 'width'],
    'pytorch',
  );
}

/** A model that takes only size×size inputs: a 3×3 convolution, instance norm and tanh, random weights. */
export function fixedSizeModelBytes(size: number, seed = 3): Uint8Array {
  const rng = new Rng(seed);
  return encode(
    `fixed${size}`,
    [
      makeNode('Conv', ['x', 'w'], ['h'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      makeNode('InstanceNormalization', ['h', 'scale', 'bias'], ['n'], { epsilon: { float: 1e-5 } }),
      makeNode('Tanh', ['n'], ['y']),
    ],
    [floatTensor('w', [3, 3, 3, 3], rng.normals(81, 0, 0.3)), floatTensor('scale', [3], new Float32Array([0.5, 0.5, 0.5])), floatTensor('bias', [3], new Float32Array(3))],
    [1, 3, size, size],
    [1, 3, size, size],
    'elsewhere',
  );
}

/**
 * An instance-normalised model that staged translation cannot stage: it adds each channel's mean over the whole
 * input (ReduceMean over height and width), whose reach no tile margin covers.
 */
export function globalMeanModelBytes(seed = 4): Uint8Array {
  const rng = new Rng(seed);
  return encode(
    'global-mean',
    [
      makeNode('Conv', ['x', 'w'], ['h'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      makeNode('InstanceNormalization', ['h', 'scale', 'bias'], ['n'], { epsilon: { float: 1e-5 } }),
      makeNode('ReduceMean', ['x'], ['m'], { axes: [2, 3], keepdims: 1 }),
      makeNode('Add', ['n', 'm'], ['s']),
      makeNode('Tanh', ['s'], ['y']),
    ],
    [floatTensor('w', [3, 3, 3, 3], rng.normals(81, 0, 0.3)), floatTensor('scale', [3], new Float32Array([0.5, 0.5, 0.5])), floatTensor('bias', [3], new Float32Array(3))],
    ['batch', 3, 'height', 'width'],
    ['batch', 3, 'height', 'width'],
    'elsewhere',
  );
}

/**
 * RGB pixels with smooth value noise summed over octaves (amplitude proportional to scale, as in natural
 * images), so that tiles differ in content and seams would show. 16-bit when `bitDepth` is 16.
 */
export function texturedPhoto(width: number, height: number, seed = 1, bitDepth: 8 | 16 = 8): RgbPixels {
  const rng = new Rng(seed);
  const field = new Float32Array(width * height * 3);
  for (let cell = 256; cell >= 4; cell /= 2) {
    const gw = Math.ceil(width / cell) + 2;
    const gh = Math.ceil(height / cell) + 2;
    for (let c = 0; c < 3; c++) {
      const grid = Float32Array.from({ length: gw * gh }, () => rng.uniform() - 0.5);
      const amplitude = (cell / 256) * 180;
      for (let y = 0; y < height; y++) {
        const fy = y / cell;
        const iy = Math.floor(fy);
        const ty = fy - iy;
        const sy = ty * ty * (3 - 2 * ty);
        for (let x = 0; x < width; x++) {
          const fx = x / cell;
          const ix = Math.floor(fx);
          const tx = fx - ix;
          const sx = tx * tx * (3 - 2 * tx);
          const top = grid[iy * gw + ix] * (1 - sx) + grid[iy * gw + ix + 1] * sx;
          const bottom = grid[(iy + 1) * gw + ix] * (1 - sx) + grid[(iy + 1) * gw + ix + 1] * sx;
          field[(y * width + x) * 3 + c] += amplitude * (top * (1 - sy) + bottom * sy);
        }
      }
    }
  }
  const max = bitDepth === 16 ? 65535 : 255;
  const pixels = bitDepth === 16 ? new Uint16Array(field.length) : new Uint8Array(field.length);
  for (let i = 0; i < field.length; i++) pixels[i] = Math.max(0, Math.min(max, Math.round(((128 + field[i]) / 255) * max)));
  return { width, height, pixels };
}
