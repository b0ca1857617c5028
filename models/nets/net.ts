// A network = a NetSpec plus its parameters as tf.Variables; applyNet is the TensorFlow.js
// interpreter of the spec (onnx/export.ts is the other one).
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.js';
import { DEFAULT_LEAKY_ALPHA, netParams, type LayerSpec, type NetSpec } from './spec.js';

export interface Net {
  spec: NetSpec;
  /** Parameters by name ("<layer>.w", "<layer>.b", "<layer>.gamma", "<layer>.beta"), in netParams order. */
  params: Map<string, tf.Variable>;
}

/** Weight init as in the CycleGAN and DCGAN papers: N(0, 0.02²) for weights, zeros for biases. */
const INIT_STD = 0.02;

export function createNet(spec: NetSpec, rng: Rng, initStd = INIT_STD): Net {
  const params = new Map<string, tf.Variable>();
  for (const p of netParams(spec)) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const values =
      p.init === 'normal' ? rng.normals(size, 0, initStd) : new Float32Array(size).fill(p.init === 'ones' ? 1 : 0);
    // tidy frees the initial value; a variable outlives tidy (it holds its own reference to the data).
    params.set(p.name, tf.tidy(() => tf.variable(tf.tensor(values, p.shape), true)));
  }
  return { spec, params };
}

export function trainableVariables(...nets: Net[]): tf.Variable[] {
  return nets.flatMap((n) => [...n.params.values()]);
}

export function disposeNet(net: Net): void {
  for (const v of net.params.values()) v.dispose();
  net.params.clear();
}

/** Forward pass. x is NHWC for image inputs, [N, size] for vector inputs. Call inside tf.tidy. */
export function applyNet(net: Net, x: tf.Tensor): tf.Tensor {
  return applyLayers(net, net.spec.layers, x);
}

/**
 * Runs the net's top-level layers up to the last of `taps` and returns what came out of each tapped layer, in
 * the order asked (-1 is the input itself). For feature losses on an encoder's maps (CUT's PatchNCE). A conv whose
 * output an instance norm normalises is tapped without its bias, as training runs it (the bias has no gradient).
 * Call inside tf.tidy.
 */
export function tapNet(net: Net, x: tf.Tensor, taps: readonly number[]): tf.Tensor[] {
  const layers = net.spec.layers;
  const outputs = new Map<number, tf.Tensor>([[-1, x]]);
  const last = Math.max(...taps);
  if (last >= layers.length) throw new Error(`${net.spec.name}: no layer ${last} to tap (it has ${layers.length})`);
  for (let i = 0; i <= last; i++) {
    x = applyLayer(net, layers[i], x, layers[i + 1]?.op === 'instanceNorm');
    outputs.set(i, x);
  }
  return taps.map((t) => outputs.get(t)!);
}

function param(net: Net, name: string): tf.Variable {
  const p = net.params.get(name);
  if (!p) throw new Error(`${net.spec.name}: missing parameter ${name}`);
  return p;
}

/**
 * The mean over height and width of an NHWC tensor, per image and channel, as [N, 1, 1, C]. A whole-image
 * average pool, because tfjs-wasm's Mean transposes the channels in front and then reduces in scalar code:
 * 2.8 against 0.14 ms on 2×128×128×32 (XNNPACK pools along contiguous channels).
 */
function spatialMean(x: tf.Tensor): tf.Tensor {
  const [, h, w] = x.shape;
  if (h * w === 1) return x;
  return tf.avgPool(x as tf.Tensor4D, [h, w], 1, 'valid');
}

/**
 * (x − mean) / √(variance + ε) over each image's H and W, per channel. Its gradient is written out,
 * dx = (dy − mean(dy) − y·mean(dy·y)) / √(variance + ε), which is the same math as differentiating the forward
 * ops in about half the kernels (the generic route runs the broadcasts' Sum reductions and moments' chain).
 */
function instanceNorm(x: tf.Tensor, epsilon: number): tf.Tensor {
  // customGrad's inputs arrive as (Tensor | GradSaveFunc)[]: the one input, then the save function.
  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const centred = tf.sub(input, spatialMean(input));
    const invStd = tf.rsqrt(tf.add(spatialMean(tf.square(centred)), epsilon));
    const y = tf.mul(centred, invStd);
    save([y, invStd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [out, scale] = saved;
        const dyCentred = tf.sub(dy, spatialMean(dy));
        return tf.mul(tf.sub(dyCentred, tf.mul(out, spatialMean(tf.mul(dy, out)))), scale);
      },
    };
  });
  return normalize(x);
}

/** A blur's row-major size×size kernel as a one-channel conv filter [k, k, 1, 1]. */
const blurFilter = (kernel: number[], size: number) => tf.tensor4d(kernel, [size, size, 1, 1]);

/**
 * `f` (a one-channel conv) on every channel of an NHWC tensor alike, as a batch of N·C one-channel images: tfjs has
 * depthwise convolutions but wasm has no gradient kernel for them, and no depthwise transposed convolution at all.
 */
function perChannel(x: tf.Tensor, f: (images: tf.Tensor4D) => tf.Tensor4D): tf.Tensor {
  const [n, h, w, c] = x.shape;
  const y = f(tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n * c, h, w, 1]) as tf.Tensor4D);
  return tf.transpose(tf.reshape(y, [n, c, y.shape[1], y.shape[2]]), [0, 2, 3, 1]);
}

function applyLayers(net: Net, layers: LayerSpec[], x: tf.Tensor): tf.Tensor {
  layers.forEach((layer, i) => (x = applyLayer(net, layer, x, layers[i + 1]?.op === 'instanceNorm')));
  return x;
}

/**
 * `normalizedNext`: an instance norm follows, which subtracts every per-channel constant, so a conv bias there
 * changes nothing and its gradient is zero (PyTorch's CycleGAN keeps such biases; they stay at their initial
 * values there too). Training skips adding it: one broadcast Add and its gradient's Sum fewer per layer. The
 * parameter stays, and the ONNX export still adds it, to the same result.
 */
function applyLayer(net: Net, layer: LayerSpec, x: tf.Tensor, normalizedNext = false): tf.Tensor {
  switch (layer.op) {
    case 'conv': {
      let y: tf.Tensor = tf.conv2d(x as tf.Tensor4D, param(net, `${layer.name}.w`) as tf.Tensor4D, layer.stride, layer.pad === 0 ? 'valid' : [[0, 0], [layer.pad, layer.pad], [layer.pad, layer.pad], [0, 0]]);
      if (layer.bias && !normalizedNext) y = tf.add(y, param(net, `${layer.name}.b`));
      return y;
    }
    case 'convTranspose': {
      const [n, h, w] = x.shape as number[];
      const outShape: [number, number, number, number] = [n, h * layer.stride, w * layer.stride, layer.filters];
      let y: tf.Tensor = tf.conv2dTranspose(x as tf.Tensor4D, param(net, `${layer.name}.w`) as tf.Tensor4D, outShape, layer.stride, 'same');
      if (layer.bias && !normalizedNext) y = tf.add(y, param(net, `${layer.name}.b`));
      return y;
    }
    case 'convTransposeCropped': {
      // The full transposed output ((in − 1)·s + k per side), then PyTorch's crop: tfjs has no asymmetric pads here.
      const [n, h, w] = x.shape as number[];
      const full = (v: number) => (v - 1) * layer.stride + layer.kernel;
      const [begin, end] = layer.crop;
      const outShape: [number, number, number, number] = [n, full(h), full(w), layer.filters];
      let y: tf.Tensor = tf.conv2dTranspose(x as tf.Tensor4D, param(net, `${layer.name}.w`) as tf.Tensor4D, outShape, layer.stride, 'valid');
      y = tf.slice(y, [0, begin, begin, 0], [n, full(h) - begin - end, full(w) - begin - end, layer.filters]);
      if (layer.bias && !normalizedNext) y = tf.add(y, param(net, `${layer.name}.b`));
      return y;
    }
    case 'reflectPad':
      return tf.mirrorPad(x, [[0, 0], [layer.pad, layer.pad], [layer.pad, layer.pad], [0, 0]], 'reflect');
    case 'replicatePad':
      // A symmetric mirror pad of 1 repeats the border pixel once; p of them repeat it p times.
      for (let i = 0; i < layer.pad; i++) x = tf.mirrorPad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], 'symmetric');
      return x;
    case 'blurDown':
      return perChannel(x, (images) => tf.conv2d(images, blurFilter(layer.kernel, layer.size), layer.stride, 'valid'));
    case 'blurUp': {
      const { size: k, stride: s, crop } = layer;
      return perChannel(x, (images) => {
        const [n, h, w] = images.shape;
        const full = (v: number) => (v - 1) * s + k;
        const y = tf.conv2dTranspose(images, blurFilter(layer.kernel, k), [n, full(h), full(w), 1], s, 'valid');
        return tf.slice(y, [0, crop[0], crop[0], 0], [n, full(h) - crop[0] - crop[1], full(w) - crop[0] - crop[1], 1]);
      });
    }
    case 'instanceNorm': {
      let y = instanceNorm(x, layer.epsilon);
      if (layer.affine) y = tf.add(tf.mul(y, param(net, `${layer.name}.gamma`)), param(net, `${layer.name}.beta`));
      return y;
    }
    case 'act':
      switch (layer.fn) {
        case 'relu':
          return tf.relu(x);
        case 'leakyRelu':
          return tf.leakyRelu(x, layer.alpha ?? DEFAULT_LEAKY_ALPHA);
        case 'tanh':
          return tf.tanh(x);
        case 'sigmoid':
          return tf.sigmoid(x);
      }
      throw new Error(`unknown activation ${String(layer.fn)}`);
    case 'residual':
      return tf.add(x, applyLayers(net, layer.body, x));
    case 'dense': {
      let y: tf.Tensor = tf.matMul(x as tf.Tensor2D, param(net, `${layer.name}.w`) as tf.Tensor2D);
      if (layer.bias) y = tf.add(y, param(net, `${layer.name}.b`));
      return y;
    }
    case 'flatten':
      return tf.reshape(x, [x.shape[0], -1]);
    case 'reshape':
      return tf.reshape(x, [x.shape[0], layer.height, layer.width, layer.channels]);
  }
}

/** Copies of the parameter values (for checkpoints and export). */
export async function readParams(net: Net): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, v] of net.params) out.set(name, { shape: v.shape.slice(), values: (await v.data()) as Float32Array });
  return out;
}
