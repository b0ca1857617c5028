// The layer description shared by training (TensorFlow.js forward pass, nets/net.ts) and export
// (ONNX graph, onnx/export.ts). One description, two interpreters: that is what keeps them in step.
//
// Layout conventions: TensorFlow.js tensors are NHWC; weights are stored in TensorFlow.js layout
// (conv [kh, kw, in, out], convTranspose [kh, kw, out, in], dense [in, out]); the exporter transposes.

export type Activation = 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid';

export type LayerSpec =
  /** Convolution with symmetric zero padding `pad` on each side (ONNX Conv pads [pad, pad, pad, pad]). */
  | { op: 'conv'; name: string; filters: number; kernel: number; stride: number; pad: number; bias: boolean }
  /**
   * Transposed convolution with output size = input size × stride (TensorFlow 'same' semantics:
   * of the k − s extra border, floor((k − s) / 2) is cropped at the start and the rest at the end).
   */
  | { op: 'convTranspose'; name: string; filters: number; kernel: number; stride: number; bias: boolean }
  /**
   * Transposed convolution that keeps (in − 1)·stride + kernel − crop[0] − crop[1] of its full output, cropping
   * crop[0] at the start (PyTorch's padding p and output_padding q: crop [p, p − q]). Imported generators use it,
   * and so do generators fine-tuned from them (their weights expect PyTorch's alignment, one pixel off ours).
   */
  | { op: 'convTransposeCropped'; name: string; filters: number; kernel: number; stride: number; bias: boolean; crop: [number, number] }
  | { op: 'reflectPad'; pad: number }
  /** Pads by repeating the border pixels (ONNX Pad mode edge; PyTorch ReplicationPad2d). */
  | { op: 'replicatePad'; pad: number }
  /**
   * CUT's anti-aliased resampling (Zhang 2019, "Making convolutional networks shift-invariant again"), a fixed filter
   * with no parameters. blurDown: the same size×size filter (row-major `kernel`) on every channel, unpadded, at
   * `stride` — a blur before subsampling.
   */
  | { op: 'blurDown'; size: number; kernel: number[]; stride: number }
  /** The same filter on every channel as a transposed convolution at `stride`, cropped as convTransposeCropped. */
  | { op: 'blurUp'; size: number; kernel: number[]; stride: number; crop: [number, number] }
  /** Per-sample, per-channel normalisation over H and W; affine adds learnt scale and shift. */
  | { op: 'instanceNorm'; name: string; affine: boolean; epsilon: number }
  | { op: 'act'; fn: Activation; alpha?: number }
  /** x + body(x); body must keep the shape. */
  | { op: 'residual'; body: LayerSpec[] }
  | { op: 'dense'; name: string; units: number; bias: boolean }
  /** NHWC → [N, H·W·C] in NHWC order (the exporter transposes before flattening). */
  | { op: 'flatten' }
  /** [N, H·W·C] → NHWC [N, H, W, C]. */
  | { op: 'reshape'; height: number; width: number; channels: number };

/** The slope of a leakyRelu layer that names no alpha. */
export const DEFAULT_LEAKY_ALPHA = 0.2;

/**
 * A convTranspose layer in ONNX terms: TensorFlow 'same' makes the output input × stride; the full transposed conv
 * is (in − 1)·s + k long, so k − s is cropped, floor((k − s)/2) at the start; when k < s the output is instead
 * extended at the end (output_padding).
 */
export function convTransposeSamePadding(kernel: number, stride: number): { pads: [number, number, number, number]; outputPadding: [number, number] } {
  const extra = kernel - stride;
  const begin = Math.max(0, Math.floor(extra / 2));
  const end = Math.max(0, extra - begin);
  const grow = Math.max(0, -extra);
  return { pads: [begin, begin, end, end], outputPadding: [grow, grow] };
}

export type NetInput =
  | { kind: 'image'; channels: number; height?: number; width?: number } // no height/width: any size
  | { kind: 'vector'; size: number };

export interface NetSpec {
  name: string;
  input: NetInput;
  layers: LayerSpec[];
}

/** The shape flowing between layers, without the batch dimension. */
export type FeatureShape = { kind: 'image'; height: number | null; width: number | null; channels: number } | { kind: 'vector'; size: number };

export interface ParamInfo {
  name: string;
  shape: number[];
  init: 'normal' | 'zeros' | 'ones';
}

/** The parameters a net owns, in a stable order, with shapes inferred from the input. */
export function netParams(spec: NetSpec): ParamInfo[] {
  const params: ParamInfo[] = [];
  walk(spec.layers, inputShape(spec.input), params, spec.name);
  return params;
}

/** The output shape of a net (null height/width when they follow the input's). */
export function netOutputShape(spec: NetSpec): FeatureShape {
  return walk(spec.layers, inputShape(spec.input), [], spec.name);
}

/** Total spatial downsampling of a fully convolutional net: inputs should be multiples of it. */
export function netStride(spec: NetSpec): number {
  let stride = 1;
  const visit = (layers: LayerSpec[]) => {
    for (const layer of layers) {
      if (layer.op === 'conv' || layer.op === 'blurDown') stride *= layer.stride;
      else if (layer.op === 'residual') visit(layer.body);
    }
  };
  visit(spec.layers);
  return stride;
}

export function isFullyConvolutional(spec: NetSpec): boolean {
  const hasDense = (layers: LayerSpec[]): boolean =>
    layers.some((l) => l.op === 'dense' || l.op === 'flatten' || l.op === 'reshape' || (l.op === 'residual' && hasDense(l.body)));
  return spec.input.kind === 'image' && spec.input.height === undefined && !hasDense(spec.layers);
}

function inputShape(input: NetInput): FeatureShape {
  return input.kind === 'vector'
    ? { kind: 'vector', size: input.size }
    : { kind: 'image', height: input.height ?? null, width: input.width ?? null, channels: input.channels };
}

function needImage(shape: FeatureShape, layer: LayerSpec, net: string) {
  if (shape.kind !== 'image') throw new Error(`${net}: layer ${layer.op} needs an image input, got a vector`);
  return shape;
}

const scaled = (n: number | null, f: (v: number) => number) => (n === null ? null : f(n));

/**
 * The most values one image's feature map holds anywhere in the net (input included) at a square input of
 * `size` pixels (ignored by nets of a fixed size). On a GPU each such map is one buffer.
 */
export function largestFeatureMap(spec: NetSpec, size: number): number {
  const given = inputShape(spec.input);
  const start: FeatureShape = given.kind === 'image' && given.height === null ? { ...given, height: size, width: size } : given;
  const values = (s: FeatureShape) => (s.kind === 'vector' ? s.size : (s.height ?? size) * (s.width ?? size) * s.channels);
  let most = values(start);
  walk(spec.layers, start, [], spec.name, (s) => (most = Math.max(most, values(s))));
  return most;
}

function walk(layers: LayerSpec[], shape: FeatureShape, params: ParamInfo[], net: string, onShape?: (s: FeatureShape) => void): FeatureShape {
  for (const layer of layers) {
    switch (layer.op) {
      case 'conv': {
        const s = needImage(shape, layer, net);
        params.push({ name: `${layer.name}.w`, shape: [layer.kernel, layer.kernel, s.channels, layer.filters], init: 'normal' });
        if (layer.bias) params.push({ name: `${layer.name}.b`, shape: [layer.filters], init: 'zeros' });
        const out = (v: number) => Math.floor((v + 2 * layer.pad - layer.kernel) / layer.stride) + 1;
        shape = { kind: 'image', height: scaled(s.height, out), width: scaled(s.width, out), channels: layer.filters };
        break;
      }
      case 'convTranspose': {
        const s = needImage(shape, layer, net);
        params.push({ name: `${layer.name}.w`, shape: [layer.kernel, layer.kernel, layer.filters, s.channels], init: 'normal' });
        if (layer.bias) params.push({ name: `${layer.name}.b`, shape: [layer.filters], init: 'zeros' });
        const out = (v: number) => v * layer.stride;
        shape = { kind: 'image', height: scaled(s.height, out), width: scaled(s.width, out), channels: layer.filters };
        break;
      }
      case 'convTransposeCropped': {
        const s = needImage(shape, layer, net);
        params.push({ name: `${layer.name}.w`, shape: [layer.kernel, layer.kernel, layer.filters, s.channels], init: 'normal' });
        if (layer.bias) params.push({ name: `${layer.name}.b`, shape: [layer.filters], init: 'zeros' });
        const out = (v: number) => (v - 1) * layer.stride + layer.kernel - layer.crop[0] - layer.crop[1];
        shape = { kind: 'image', height: scaled(s.height, out), width: scaled(s.width, out), channels: layer.filters };
        break;
      }
      case 'blurDown': {
        const s = needImage(shape, layer, net);
        const out = (v: number) => Math.floor((v - layer.size) / layer.stride) + 1;
        shape = { ...s, height: scaled(s.height, out), width: scaled(s.width, out) };
        break;
      }
      case 'blurUp': {
        const s = needImage(shape, layer, net);
        const out = (v: number) => (v - 1) * layer.stride + layer.size - layer.crop[0] - layer.crop[1];
        shape = { ...s, height: scaled(s.height, out), width: scaled(s.width, out) };
        break;
      }
      case 'replicatePad':
      case 'reflectPad': {
        const s = needImage(shape, layer, net);
        const out = (v: number) => v + 2 * layer.pad;
        shape = { ...s, height: scaled(s.height, out), width: scaled(s.width, out) };
        break;
      }
      case 'instanceNorm': {
        const s = needImage(shape, layer, net);
        if (layer.affine) {
          params.push({ name: `${layer.name}.gamma`, shape: [s.channels], init: 'ones' });
          params.push({ name: `${layer.name}.beta`, shape: [s.channels], init: 'zeros' });
        }
        break;
      }
      case 'act':
        break;
      case 'residual': {
        const after = walk(layer.body, shape, params, net, onShape);
        if (JSON.stringify(after) !== JSON.stringify(shape)) throw new Error(`${net}: a residual body must keep its input shape`);
        break;
      }
      case 'dense': {
        if (shape.kind !== 'vector') throw new Error(`${net}: dense layer ${layer.name} needs a vector; add a flatten layer`);
        params.push({ name: `${layer.name}.w`, shape: [shape.size, layer.units], init: 'normal' });
        if (layer.bias) params.push({ name: `${layer.name}.b`, shape: [layer.units], init: 'zeros' });
        shape = { kind: 'vector', size: layer.units };
        break;
      }
      case 'flatten': {
        const s = needImage(shape, layer, net);
        if (s.height === null || s.width === null) throw new Error(`${net}: flatten needs a fixed input size`);
        shape = { kind: 'vector', size: s.height * s.width * s.channels };
        break;
      }
      case 'reshape': {
        if (shape.kind !== 'vector' || shape.size !== layer.height * layer.width * layer.channels)
          throw new Error(`${net}: reshape to ${layer.height}×${layer.width}×${layer.channels} does not match its input`);
        shape = { kind: 'image', height: layer.height, width: layer.width, channels: layer.channels };
        break;
      }
    }
    onShape?.(shape);
  }
  return shape;
}
