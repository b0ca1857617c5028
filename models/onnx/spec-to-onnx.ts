// The ONNX interpreter of the layer spec (nets/spec.ts): a net's layers and weights → an ONNX model (opset 17, NCHW).
// nets/net.ts runs the same spec with TensorFlow.js in NHWC; onnx/*.test.ts check that the two agree. No
// TensorFlow.js here: export.ts reads a trained Net's weights and calls this; the importer (models/import) gives
// weights read from a checkpoint.
import { convTransposeSamePadding, DEFAULT_LEAKY_ALPHA, isFullyConvolutional, netOutputShape, type FeatureShape, type LayerSpec, type NetSpec, type NetInput } from '../nets/spec.js';
import { IR_VERSION, OPSET, floatTensor, floatValueInfo, int64Tensor, makeNode, onnx, type AttributeValue, type Dim, type NodeProto, type TensorProto } from './proto.js';

const INPUT_NAME = 'input';
const OUTPUT_NAME = 'output';
const PRODUCER_NAME = 'darkroom';

export interface ExportNetOptions {
  /** Written as the model's metadata_props, e.g. darkroom.family, darkroom.range. */
  metadata: Record<string, string>;
  /** Defaults to the spec's name. */
  graphName?: string;
  /** The model's doc_string (what this graph is). */
  description?: string;
}

/** A net's weights by parameter name (netParams), in TensorFlow.js layout (nets/spec.ts). */
export type ParamValues = Map<string, { shape: number[]; values: Float32Array }>;

/** Builds the ONNX model of `spec` with weights `params`. Input `input`, output `output`, float32 NCHW. */
export function specToOnnx(spec: NetSpec, params: ParamValues, options: ExportNetOptions): Uint8Array {
  const graph = new GraphBuilder(params, spec.name);
  const result = graph.layers(spec.layers, INPUT_NAME, featureShapeOf(spec.input));
  graph.nameOutput(result, OUTPUT_NAME);

  const fullyConvolutional = isFullyConvolutional(spec);
  const model: onnxProtoModel = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: PRODUCER_NAME,
    producerVersion: options.metadata['darkroom.version'] ?? '',
    docString: options.description ?? '',
    graph: {
      name: options.graphName ?? spec.name,
      node: graph.nodes,
      initializer: graph.initializers,
      input: [floatValueInfo(INPUT_NAME, inputDims(spec.input, fullyConvolutional))],
      output: [floatValueInfo(OUTPUT_NAME, outputDims(netOutputShape(spec)))],
    },
    metadataProps: Object.entries(options.metadata).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(model).finish();
}

type onnxProtoModel = Parameters<typeof onnx.ModelProto.encode>[0];

function featureShapeOf(input: NetInput): FeatureShape {
  return input.kind === 'vector'
    ? { kind: 'vector', size: input.size }
    : { kind: 'image', height: input.height ?? null, width: input.width ?? null, channels: input.channels };
}

function netInputOf(shape: FeatureShape): NetInput {
  return shape.kind === 'vector'
    ? shape
    : { kind: 'image', channels: shape.channels, height: shape.height ?? undefined, width: shape.width ?? undefined };
}

function inputDims(input: NetInput, fullyConvolutional: boolean): Dim[] {
  if (input.kind === 'vector') return ['N', input.size];
  if (fullyConvolutional) return ['N', input.channels, 'H', 'W'];
  return ['N', input.channels, input.height ?? 'H', input.width ?? 'W'];
}

// Output sizes of a fully convolutional net follow the input's but need not equal them (e.g. sizes that are
// not multiples of the stride), so they get their own symbols.
function outputDims(shape: FeatureShape): Dim[] {
  if (shape.kind === 'vector') return ['N', shape.size];
  return ['N', shape.channels, shape.height ?? 'H_out', shape.width ?? 'W_out'];
}

/** Reorders a 4-D row-major array: result dimension i is source dimension perm[i]. */
export function permute4(values: Float32Array, shape: number[], perm: number[]): { shape: number[]; values: Float32Array } {
  const outShape = perm.map((p) => shape[p]);
  const srcStrides = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  const step = perm.map((p) => srcStrides[p]);
  const out = new Float32Array(values.length);
  let o = 0;
  for (let a = 0; a < outShape[0]; a++)
    for (let b = 0; b < outShape[1]; b++)
      for (let c = 0; c < outShape[2]; c++) {
        let src = a * step[0] + b * step[1] + c * step[2];
        for (let d = 0; d < outShape[3]; d++, src += step[3]) out[o++] = values[src];
      }
  return { shape: outShape, values: out };
}

/** Collects nodes and initializers while walking the spec; value names are unique and readable. */
class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly constants = new Set<string>();
  private counter = 0;

  constructor(
    private readonly params: ParamValues,
    private readonly netName: string,
  ) {}

  /** Emits `layers` applied to value `x` of shape `shape`; returns the resulting value's name. */
  layers(layers: LayerSpec[], x: string, shape: FeatureShape): string {
    for (const layer of layers) {
      x = this.layer(layer, x, shape);
      shape = netOutputShape({ name: this.netName, input: netInputOf(shape), layers: [layer] });
    }
    return x;
  }

  /** Renames the value that ends the graph (an Identity when the graph is empty). */
  nameOutput(value: string, name: string): void {
    const producer = this.nodes.find((n) => n.output?.[0] === value);
    if (producer && producer.output) producer.output[0] = name;
    else this.nodes.push(makeNode('Identity', [value], [name]));
  }

  private layer(layer: LayerSpec, x: string, shape: FeatureShape): string {
    switch (layer.op) {
      case 'conv': {
        const k = layer.kernel;
        const p = layer.pad;
        const inputs = [x, this.weight(`${layer.name}.w`, [3, 2, 0, 1])]; // [kh,kw,in,out] → [out,in,kh,kw]
        if (layer.bias) inputs.push(this.weight(`${layer.name}.b`));
        return this.node('Conv', inputs, layer.name, { kernel_shape: [k, k], strides: [layer.stride, layer.stride], pads: [p, p, p, p] });
      }
      case 'convTranspose': {
        const { kernel: k, stride: s } = layer;
        const inputs = [x, this.weight(`${layer.name}.w`, [3, 2, 0, 1])]; // [kh,kw,out,in] → [in,out,kh,kw]
        if (layer.bias) inputs.push(this.weight(`${layer.name}.b`));
        const { pads, outputPadding } = convTransposeSamePadding(k, s);
        const attrs: Record<string, AttributeValue> = { kernel_shape: [k, k], strides: [s, s], pads };
        if (outputPadding[0] > 0) attrs.output_padding = outputPadding;
        return this.node('ConvTranspose', inputs, layer.name, attrs);
      }
      case 'reflectPad':
      case 'replicatePad': {
        const p = layer.pad;
        const pads = this.int64Constant(`pads_${p}`, [0, 0, p, p, 0, 0, p, p]); // [begins N,C,H,W, ends N,C,H,W]
        return layer.op === 'reflectPad' ? this.node('Pad', [x, pads], 'reflect_pad', { mode: 'reflect' }) : this.node('Pad', [x, pads], 'replicate_pad', { mode: 'edge' });
      }
      case 'convTransposeCropped': {
        const { kernel: k, stride: s, crop } = layer;
        const inputs = [x, this.weight(`${layer.name}.w`, [3, 2, 0, 1])]; // [kh,kw,out,in] → [in,out,kh,kw]
        if (layer.bias) inputs.push(this.weight(`${layer.name}.b`));
        return this.node('ConvTranspose', inputs, layer.name, { kernel_shape: [k, k], strides: [s, s], pads: [crop[0], crop[0], crop[1], crop[1]] });
      }
      case 'blurDown':
      case 'blurUp': {
        // One filter repeated per channel, as a grouped (depthwise) conv: weight [C, 1, k, k] either way.
        const channels = shape.kind === 'image' ? shape.channels : 0;
        const { size: k, stride: s } = layer;
        const filter = this.blurFilter(layer.kernel, channels, k);
        if (layer.op === 'blurDown') return this.node('Conv', [x, filter], 'blur_down', { kernel_shape: [k, k], strides: [s, s], pads: [0, 0, 0, 0], group: channels });
        const [begin, end] = layer.crop;
        return this.node('ConvTranspose', [x, filter], 'blur_up', { kernel_shape: [k, k], strides: [s, s], pads: [begin, begin, end, end], group: channels });
      }
      case 'instanceNorm': {
        const channels = shape.kind === 'image' ? shape.channels : 0;
        const scale = layer.affine ? this.weight(`${layer.name}.gamma`) : this.floatConstant(`ones_${channels}`, new Float32Array(channels).fill(1));
        const bias = layer.affine ? this.weight(`${layer.name}.beta`) : this.floatConstant(`zeros_${channels}`, new Float32Array(channels));
        return this.node('InstanceNormalization', [x, scale, bias], layer.name, { epsilon: { float: layer.epsilon } });
      }
      case 'act':
        switch (layer.fn) {
          case 'relu':
            return this.node('Relu', [x], 'relu');
          case 'leakyRelu':
            return this.node('LeakyRelu', [x], 'leaky_relu', { alpha: { float: layer.alpha ?? DEFAULT_LEAKY_ALPHA } });
          case 'tanh':
            return this.node('Tanh', [x], 'tanh');
          case 'sigmoid':
            return this.node('Sigmoid', [x], 'sigmoid');
        }
        throw new Error(`${this.netName}: activation ${String(layer.fn)} has no ONNX export`);
      case 'residual':
        return this.node('Add', [x, this.layers(layer.body, x, shape)], 'residual');
      case 'dense': {
        const inputs = [x, this.weight(`${layer.name}.w`)]; // [in, out]: Gemm computes A·B + C
        if (layer.bias) inputs.push(this.weight(`${layer.name}.b`));
        return this.node('Gemm', inputs, layer.name);
      }
      case 'flatten': {
        // TensorFlow.js flattens NHWC, so go back to NHWC before flattening to keep the dense weights' order.
        const nhwc = this.node('Transpose', [x], 'to_nhwc', { perm: [0, 2, 3, 1] });
        return this.node('Flatten', [nhwc], 'flatten', { axis: 1 });
      }
      case 'reshape': {
        // 0 copies the batch size from the input.
        const target = this.int64Constant(`shape_${layer.height}x${layer.width}x${layer.channels}`, [0, layer.height, layer.width, layer.channels]);
        const nhwc = this.node('Reshape', [x, target], 'reshape');
        return this.node('Transpose', [nhwc], 'to_nchw', { perm: [0, 3, 1, 2] });
      }
    }
  }

  private node(op: string, inputs: string[], hint: string, attrs: Record<string, AttributeValue> = {}): string {
    const output = `${hint}_${this.counter++}`;
    this.nodes.push(makeNode(op, inputs, [output], attrs));
    return output;
  }

  /** A net parameter as an initializer, optionally transposed from TensorFlow.js layout. */
  private weight(name: string, perm?: number[]): string {
    const param = this.params.get(name);
    if (!param) throw new Error(`${this.netName}: missing parameter ${name}`);
    const { shape, values } = perm ? permute4(param.values, param.shape, perm) : param;
    this.initializers.push(floatTensor(name, shape, values));
    return name;
  }

  /** A blur filter repeated for `channels` channels, shared by the layers with the same filter and width. */
  private blurFilter(kernel: number[], channels: number, size: number): string {
    const key = `blur_${size}x${size}_${channels}_${kernel.map((v) => v.toPrecision(6)).join('_')}`;
    return this.constant(key, (name) => {
      const values = new Float32Array(channels * size * size);
      for (let c = 0; c < channels; c++) values.set(kernel, c * size * size);
      return floatTensor(name, [channels, 1, size, size], values);
    });
  }

  private floatConstant(key: string, values: Float32Array): string {
    return this.constant(key, (name) => floatTensor(name, [values.length], values));
  }

  private int64Constant(key: string, values: number[]): string {
    return this.constant(key, (name) => int64Tensor(name, values));
  }

  /** Shared constants are emitted once; the "const." prefix keeps them apart from parameter and node names. */
  private constant(key: string, make: (name: string) => TensorProto): string {
    const name = `const.${key}`;
    if (!this.constants.has(name)) {
      this.initializers.push(make(name));
      this.constants.add(name);
    }
    return name;
  }
}
