// Instance normalisation and tiling do not mix: each tile would be normalised with its own mean and variance,
// and neighbouring tiles would come out in visibly different tones. So before tiling a photo we measure every
// InstanceNormalization layer's per-channel statistics on the whole photo (statsModel: the same graph, giving
// the statistics as its one output), then run the tiles through a copy of the graph where each of those layers
// is a fixed per-channel affine map built from the measured statistics (frozenModel). With the statistics of the
// whole photo, the tiled result matches an untiled pass up to the tiles' borders, which the overlap blends away.
// This is graph surgery on the ONNX file, so it works for any model that uses the standard operator.
import { floatTensor, floatValues, int64Tensor, makeNode, onnx, toNumber, type NodeProto, type TensorProto } from './proto.js';

type ModelProto = Parameters<typeof onnx.ModelProto.encode>[0];

const STATS_OUTPUT = 'darkroom_norm_stats';

interface NormLayer {
  node: NodeProto;
  channels: number;
  scale: Float32Array;
  bias: Float32Array;
  epsilon: number;
}

export interface NormSurgery {
  /** InstanceNormalization layers found (in graph order). */
  readonly layers: number;
  /** Length of the statistics vector: mean then variance of every channel of every layer. */
  readonly statsLength: number;
  /** Channels of the first layer: in the generators here, the network's width at full resolution (ngf). */
  readonly firstChannels: number;
  /**
   * The model with one output [1, statsLength]: each layer's channel means and variances for the input it is run
   * on. With `frozen`, the layers themselves normalise with those statistics rather than their own.
   */
  statsModel(frozen?: Float32Array): Uint8Array;
  /** The model with every InstanceNormalization replaced by the affine map the given statistics define. */
  frozenModel(stats: Float32Array): Uint8Array;
}

/**
 * Prepares the surgery for a model's bytes, or returns null when the model has no InstanceNormalization layer
 * (nothing to freeze) or one whose scale and bias are computed rather than stored (nothing we can fold).
 */
export function prepareNormSurgery(bytes: Uint8Array): NormSurgery | null {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph) return null;
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const layers: NormLayer[] = [];
  for (const node of graph.node ?? []) {
    if (node.opType !== 'InstanceNormalization' || (node.domain ?? '') !== '') continue;
    const scaleTensor = initializers.get(node.input?.[1] ?? '');
    const biasTensor = initializers.get(node.input?.[2] ?? '');
    if (!scaleTensor || !biasTensor) return null;
    const scale = floatValues(scaleTensor);
    const bias = floatValues(biasTensor);
    if (!scale || !bias || scale.length !== bias.length) return null;
    const epsilonAttr = node.attribute?.find((a) => a.name === 'epsilon');
    layers.push({ node, channels: scale.length, scale, bias, epsilon: epsilonAttr?.f ?? 1e-5 });
  }
  if (layers.length === 0) return null;
  const opset = toNumber(model.opsetImport.find((o) => (o.domain ?? '') === '')?.version);
  const statsLength = layers.reduce((sum, l) => sum + 2 * l.channels, 0);
  return {
    layers: layers.length,
    statsLength,
    firstChannels: layers[0].channels,
    statsModel: (frozen) => encodeStatsModel(frozen ? freeze(model, layers, frozen, statsLength) : model, layers, opset, statsLength),
    frozenModel: (stats) => onnx.ModelProto.encode(freeze(model, layers, stats, statsLength)).finish(),
  };
}

function encodeStatsModel(model: ModelProto, layers: NormLayer[], opset: number, statsLength: number): Uint8Array {
  const graph = model.graph!;
  const nodes: NodeProto[] = [...(graph.node ?? [])];
  const extra: TensorProto[] = [];
  // ReduceMean took its axes as an attribute up to opset 17 and as an input from opset 18.
  const axesName = 'darkroom_stats.axes';
  if (opset >= 18) extra.push(int64Tensor(axesName, [2, 3]));
  const reduceMean = (input: string, output: string) =>
    opset >= 18 ? makeNode('ReduceMean', [input, axesName], [output], { keepdims: 1 }) : makeNode('ReduceMean', [input], [output], { axes: [2, 3], keepdims: 1 });
  const pieces: string[] = [];
  layers.forEach((layer, k) => {
    const x = layer.node.input![0];
    const p = `darkroom_stats.${k}`;
    nodes.push(
      reduceMean(x, `${p}.mean`),
      makeNode('Sub', [x, `${p}.mean`], [`${p}.centred`]),
      makeNode('Mul', [`${p}.centred`, `${p}.centred`], [`${p}.squared`]),
      reduceMean(`${p}.squared`, `${p}.var`),
      makeNode('Flatten', [`${p}.mean`], [`${p}.mean_flat`], { axis: 1 }),
      makeNode('Flatten', [`${p}.var`], [`${p}.var_flat`], { axis: 1 }),
    );
    pieces.push(`${p}.mean_flat`, `${p}.var_flat`);
  });
  nodes.push(makeNode('Concat', pieces, [STATS_OUTPUT], { axis: 1 }));
  const output = {
    name: STATS_OUTPUT,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: statsLength }] } } },
  };
  // Only the statistics are asked for, so ONNX Runtime skips whatever follows the last normalisation.
  return onnx.ModelProto.encode({ ...model, graph: { ...graph, node: nodes, initializer: [...(graph.initializer ?? []), ...extra], output: [output] } }).finish();
}

function freeze(model: ModelProto, layers: NormLayer[], stats: Float32Array, statsLength: number): ModelProto {
  if (stats.length !== statsLength) throw new Error(`frozenModel: expected ${statsLength} statistics, got ${stats.length}`);
  const graph = model.graph!;
  const replaced = new Map<NodeProto, NodeProto[]>();
  const extra: TensorProto[] = [];
  let offset = 0;
  layers.forEach((layer, k) => {
    const { channels } = layer;
    const mean = stats.subarray(offset, offset + channels);
    const variance = stats.subarray(offset + channels, offset + 2 * channels);
    offset += 2 * channels;
    // (x − mean) / √(var + ε) · scale + bias  =  x · a + b
    const a = new Float32Array(channels);
    const b = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      a[c] = layer.scale[c] / Math.sqrt(variance[c] + layer.epsilon);
      b[c] = layer.bias[c] - mean[c] * a[c];
    }
    const p = `darkroom_frozen.${k}`;
    extra.push(floatTensor(`${p}.a`, [channels, 1, 1], a), floatTensor(`${p}.b`, [channels, 1, 1], b));
    replaced.set(layer.node, [
      makeNode('Mul', [layer.node.input![0], `${p}.a`], [`${p}.scaled`]),
      makeNode('Add', [`${p}.scaled`, `${p}.b`], [layer.node.output![0]]),
    ]);
  });
  const nodes = (graph.node ?? []).flatMap((n) => replaced.get(n) ?? [n]);
  return { ...model, graph: { ...graph, node: nodes, initializer: [...(graph.initializer ?? []), ...extra] } };
}
