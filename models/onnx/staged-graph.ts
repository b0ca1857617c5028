// What staged translation (staged-plan.ts, staged-run.ts) needs to know of an image-to-image ONNX graph: for
// every tensor, its scale against the photo and its channel count; the instance norms; the tensors every path
// from the photo passes through (cuts); and, for any part of the graph, how far its outputs reach into its
// inputs, so that a tile of that part can be given enough surrounding pixels to come out exactly as the whole.
// A graph with an operator whose geometry is not known here is not staged (analyseGraph returns null).
import { floatValueInfo, floatValues, makeNode, onnx, toNumber, type AttributeProto, type NodeProto, type TensorProto } from './proto.js';

type ModelProto = Parameters<typeof onnx.ModelProto.encode>[0];

/** A tensor's place: one of its pixels spans `scale` photo pixels per axis (1/2 after a 2× upsampling). */
export interface TensorSite {
  scale: number;
  channels: number;
  /**
   * Whether it is exactly the photo's size over `scale` (not a padded tensor, say): only those are kept whole and
   * cut into tiles.
   */
  aligned: boolean;
}

export interface StagedNorm {
  node: NodeProto;
  /** The tensor normalised: its statistics over the whole photo are what a tile cannot see. */
  input: string;
  channels: number;
  scale: Float32Array;
  bias: Float32Array;
  epsilon: number;
}

/** Per axis, the photo positions an output pixel t depends on: [t·scale + low, t·scale + high]. */
export interface Reach {
  low: number;
  high: number;
}

export interface StageGraph {
  bytes: Uint8Array;
  /** Nodes of the part, by index into StagedGraph.nodes. */
  nodes: number[];
  /** Norm indices the part normalises with given statistics: fed as inputs normAffineNames(k). */
  frozenNorms: number[];
  /** For each output, how far it reaches into the part's inputs (photo pixels). */
  reach: Map<string, Reach>;
}

export interface StagedGraph {
  readonly input: string;
  readonly output: string;
  readonly nodes: readonly NodeProto[];
  readonly sites: ReadonlyMap<string, TensorSite>;
  readonly norms: readonly StagedNorm[];
  /** Tensors that every path from the photo to the output passes through, in graph order. */
  readonly cuts: readonly string[];
  /**
   * Work per photo pixel of each node: a convolution's multiply-adds, weighted up where each output sums few input
   * channels (a 3-channel stem, a depthwise blur), which ONNX Runtime runs at a fraction of its usual rate.
   */
  readonly workPerPixel: readonly number[];
  producer(tensor: string): number | undefined;
  consumers(tensor: string): readonly number[];
  /** The nodes computing `outputs` from `inputs` (and constants), in graph order. Throws if they do not suffice. */
  closure(outputs: readonly string[], inputs: ReadonlySet<string>): number[];
  /** The part computing `outputs` from `inputs` as a model of its own, its norms fed their statistics. */
  stageGraph(outputs: readonly string[], inputs: readonly string[]): StageGraph;
}

/** The two inputs a frozen norm's affine map (x · a + b, per channel) is fed through. */
export const normAffineNames = (k: number): [string, string] => [`darkroom_norm_${k}.a`, `darkroom_norm_${k}.b`];

const UNARY = new Set(['Relu', 'LeakyRelu', 'Tanh', 'Sigmoid', 'Identity', 'Elu', 'Selu', 'HardSigmoid', 'Softplus', 'Abs', 'Neg', 'Clip', 'Dropout', 'PRelu', 'BatchNormalization']);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum']);

function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}
const ints = (node: NodeProto, name: string, fallback: number[]): number[] => attr(node, name)?.ints?.map(toNumber) ?? fallback;

/** One axis of a Conv or ConvTranspose; null when the two spatial axes differ (not staged). */
interface Window {
  kernel: number;
  stride: number;
  dilation: number;
  padBegin: number;
  padEnd: number;
  outputPadding: number;
}

function windowOf(node: NodeProto, weightDims: number[]): Window | null {
  const autoPad = attr(node, 'auto_pad')?.s;
  const autoPadText = autoPad ? new TextDecoder().decode(autoPad) : 'NOTSET';
  if (autoPadText !== 'NOTSET' && autoPadText !== 'VALID') return null;
  if (node.opType === 'ConvTranspose' && attr(node, 'output_shape')) return null;
  const [kh, kw] = ints(node, 'kernel_shape', weightDims.slice(2));
  const [sh, sw] = ints(node, 'strides', [1, 1]);
  const [dh, dw] = ints(node, 'dilations', [1, 1]);
  const [ph, pw, peh, pew] = ints(node, 'pads', [0, 0, 0, 0]);
  const [oph, opw] = ints(node, 'output_padding', [0, 0]);
  if (kh !== kw || sh !== sw || dh !== dw || ph !== pw || peh !== pew || oph !== opw || weightDims.length !== 4) return null;
  return { kernel: kh, stride: sh, dilation: dh, padBegin: ph, padEnd: peh, outputPadding: oph };
}

/** A Pad's begin and end padding on H and W, from its pads input (opset ≥ 11) or attribute; null when not spatial only. */
function padsOf(node: NodeProto, constants: Map<string, TensorProto>): [number, number] | null {
  let pads: number[] | undefined = attr(node, 'pads')?.ints?.map(toNumber);
  if (!pads && node.input?.[1]) pads = int64Values(constants.get(node.input[1]));
  if (!pads || pads.length !== 8) return null;
  const [n0, c0, h0, w0, n1, c1, h1, w1] = pads;
  if (n0 || c0 || n1 || c1 || h0 !== w0 || h1 !== w1 || h0 < 0 || h1 < 0) return null;
  return [h0, h1];
}

/** An axis of `length` pixels after a Conv, ConvTranspose or Pad (ONNX's shape rules). */
function lengthAfter(node: NodeProto, length: number, constants: Map<string, TensorProto>): number {
  if (node.opType === 'Pad') {
    const [begin, end] = padsOf(node, constants)!;
    return length + begin + end;
  }
  const w = windowOf(node, (constants.get(node.input![1])?.dims ?? []).map(toNumber))!;
  const span = (w.kernel - 1) * w.dilation + 1;
  if (node.opType === 'Conv') return Math.floor((length + w.padBegin + w.padEnd - span) / w.stride) + 1;
  return w.stride * (length - 1) + w.outputPadding + span - w.padBegin - w.padEnd;
}

function int64Values(tensor: TensorProto | undefined): number[] | undefined {
  if (!tensor) return undefined;
  if (tensor.int64Data && tensor.int64Data.length > 0) return tensor.int64Data.map(toNumber);
  const raw = tensor.rawData;
  if (!raw || raw.length % 8 !== 0) return undefined;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: raw.length / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
}

/** True when a constant could broadcast against an image tensor without varying across its pixels. */
function isPerChannel(tensor: TensorProto | undefined): boolean {
  const dims = (tensor?.dims ?? []).map(toNumber);
  return dims.length < 2 || dims.slice(-2).every((d) => d === 1);
}

/** Reads the graph, or returns null when something in it cannot be staged (then tiles use measured statistics). */
export function analyseGraph(bytes: Uint8Array): StagedGraph | null {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph) return null;
  const constants = new Map<string, TensorProto>((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  for (const node of graph.node ?? []) if (node.opType === 'Constant' && attr(node, 'value')?.t) constants.set(node.output![0], { ...attr(node, 'value')!.t!, name: node.output![0] });
  const input = (graph.input ?? []).find((i) => !constants.has(i.name ?? ''))?.name;
  const output = graph.output?.[0]?.name;
  if (!input || !output || (graph.output?.length ?? 0) !== 1) return null;

  const nodes = (graph.node ?? []).filter((n) => n.opType !== 'Constant');
  const sites = new Map<string, TensorSite>([[input, { scale: 1, channels: 3, aligned: true }]]);
  // Each tensor's side for two photo sides, by ONNX's shape rules: aligned where both are the photo's over the scale.
  const REFERENCE = [256, 512];
  const lengths = new Map<string, number[]>([[input, REFERENCE]]);
  const workPerPixel: number[] = [];
  const norms: StagedNorm[] = [];
  const normOfNode = new Map<number, number>();
  for (const [index, node] of nodes.entries()) {
    if ((node.domain ?? '') !== '') return null;
    const ins = (node.input ?? []).filter((name) => name !== '');
    const spatial = ins.filter((name) => sites.has(name));
    const first = sites.get(ins[0]);
    if (!first || node.output?.length === 0) return null;
    let site: Omit<TensorSite, 'aligned'>;
    let work = 0;
    const op = node.opType ?? '';
    if (op === 'Conv' || op === 'ConvTranspose') {
      const weightDims = (constants.get(ins[1])?.dims ?? []).map(toNumber);
      const window = windowOf(node, weightDims);
      if (!window || spatial.length !== 1) return null;
      const group = toNumber(attr(node, 'group')?.i) || 1;
      const outChannels = op === 'Conv' ? weightDims[0] : weightDims[1] * group;
      const scale = op === 'Conv' ? first.scale * window.stride : first.scale / window.stride;
      site = { scale, channels: outChannels };
      const weightCount = weightDims.reduce((a, b) => a * b, 1);
      // Conv: every output pixel takes all weights; ConvTranspose: every input pixel does.
      const macs = op === 'Conv' ? weightCount / (scale * scale) : weightCount / (first.scale * first.scale);
      const summed = op === 'Conv' ? weightDims[1] : weightDims[0] / group;
      work = macs * (1 + 4 / summed);
    } else if (op === 'Pad') {
      if (spatial.length !== 1 || padsOf(node, constants) === null) return null;
      site = first;
    } else if (op === 'InstanceNormalization') {
      const scale = floatValues(constants.get(ins[1]));
      const bias = floatValues(constants.get(ins[2]));
      if (!scale || !bias || scale.length !== bias.length || spatial.length !== 1) return null;
      normOfNode.set(index, norms.length);
      norms.push({ node, input: ins[0], channels: scale.length, scale, bias, epsilon: attr(node, 'epsilon')?.f ?? 1e-5 });
      site = first;
    } else if (UNARY.has(op)) {
      if (spatial.length !== 1 || !ins.slice(1).every((name) => constants.has(name) && isPerChannel(constants.get(name)))) return null;
      site = first;
    } else if (BINARY.has(op)) {
      const constantsOk = ins.filter((name) => !sites.has(name)).every((name) => constants.has(name) && isPerChannel(constants.get(name)));
      const scales = new Set(spatial.map((name) => sites.get(name)!.scale));
      if (!constantsOk || scales.size !== 1 || spatial.length === 0) return null;
      site = { scale: [...scales][0], channels: Math.max(...spatial.map((name) => sites.get(name)!.channels)) };
    } else if (op === 'Concat') {
      const axis = toNumber(attr(node, 'axis')?.i);
      const scales = new Set(spatial.map((name) => sites.get(name)!.scale));
      if (axis !== 1 || spatial.length !== ins.length || scales.size !== 1) return null;
      site = { scale: first.scale, channels: spatial.reduce((sum, name) => sum + sites.get(name)!.channels, 0) };
    } else return null;
    if (node.opType === 'Dropout' && (node.output?.length ?? 0) > 1 && node.output![1] !== '') return null;
    const inLengths = spatial.map((name) => lengths.get(name)!.join());
    if (new Set(inLengths).size !== 1) return null;
    const length = op === 'Conv' || op === 'ConvTranspose' || op === 'Pad' ? lengths.get(ins[0])!.map((l) => lengthAfter(node, l, constants)) : lengths.get(spatial[0])!;
    lengths.set(node.output![0], length);
    sites.set(node.output![0], { ...site, aligned: length.every((l, i) => l * site.scale === REFERENCE[i]) });
    workPerPixel.push(work);
  }
  const outputSite = sites.get(output);
  if (!outputSite || outputSite.scale !== 1 || !outputSite.aligned || !norms.every((n) => sites.get(n.input)!.aligned)) return null;

  const producers = new Map<string, number>();
  const consumerLists = new Map<string, number[]>();
  nodes.forEach((node, i) => {
    producers.set(node.output![0], i);
    for (const name of node.input ?? []) if (sites.has(name)) consumerLists.set(name, [...(consumerLists.get(name) ?? []), i]);
  });
  const cuts = findCuts(nodes, input, output, consumerLists);

  const closure = (outs: readonly string[], ins: ReadonlySet<string>): number[] => {
    const taken = new Set<number>();
    const visit = (name: string) => {
      if (ins.has(name) || constants.has(name) || !sites.has(name)) return;
      const p = producers.get(name);
      if (p === undefined) throw new Error(`staged translation: ${name} cannot be computed from ${[...ins].join(', ')}`);
      if (taken.has(p)) return;
      taken.add(p);
      for (const i of nodes[p].input ?? []) if (i !== '') visit(i);
    };
    outs.forEach(visit);
    return [...taken].sort((a, b) => a - b);
  };

  return {
    input,
    output,
    nodes,
    sites,
    norms,
    cuts,
    workPerPixel,
    producer: (t) => producers.get(t),
    consumers: (t) => consumerLists.get(t) ?? [],
    closure,
    stageGraph(outs, ins) {
      const part = closure(outs, new Set(ins));
      const reach = reachOf(part, ins, nodes, sites, constants);
      return {
        bytes: encodeStage(model, nodes, part, ins, outs, sites, constants, normOfNode, norms),
        nodes: part,
        frozenNorms: part.filter((i) => normOfNode.has(i)).map((i) => normOfNode.get(i)!),
        reach: new Map(outs.map((o) => [o, reach.get(o)!])),
      };
    },
  };
}

/**
 * Tensors after which only they are still needed: walking the nodes in order, those that are alone in the set of
 * tensors produced so far and consumed later (constants aside).
 */
function findCuts(nodes: NodeProto[], input: string, output: string, consumers: Map<string, number[]>): string[] {
  const lastUse = (name: string) => (name === output ? Infinity : Math.max(-1, ...(consumers.get(name) ?? [])));
  const live = new Set<string>([input]);
  const cuts: string[] = [];
  nodes.forEach((node, i) => {
    const produced = node.output![0];
    live.add(produced);
    for (const name of [...live]) if (lastUse(name) <= i) live.delete(name);
    if (live.size === 1 && live.has(produced)) cuts.push(produced);
  });
  return cuts;
}

/** How far each tensor of a part reaches into the part's inputs, per axis, in photo pixels. */
function reachOf(part: number[], inputs: readonly string[], nodes: NodeProto[], sites: Map<string, TensorSite>, constants: Map<string, TensorProto>): Map<string, Reach> {
  const reach = new Map<string, Reach>(inputs.map((name) => [name, { low: 0, high: 0 }]));
  for (const index of part) {
    const node = nodes[index];
    const ins = (node.input ?? []).filter((name) => reach.has(name));
    const from = ins.map((name) => reach.get(name)!);
    let { low, high } = { low: Math.min(...from.map((r) => r.low)), high: Math.max(...from.map((r) => r.high)) };
    const s = sites.get(ins[0])!.scale;
    if (node.opType === 'Conv') {
      const w = windowOf(node, (constants.get(node.input![1])?.dims ?? []).map(toNumber))!;
      low -= w.padBegin * s;
      high += ((w.kernel - 1) * w.dilation - w.padBegin) * s;
    } else if (node.opType === 'ConvTranspose') {
      // Output o takes inputs i with i·stride − padBegin + u = o, u in [0, kernel).
      const w = windowOf(node, (constants.get(node.input![1])?.dims ?? []).map(toNumber))!;
      low += ((w.padBegin - (w.kernel - 1) * w.dilation) * s) / w.stride;
      high += (w.padBegin * s) / w.stride;
    } else if (node.opType === 'Pad') {
      const [begin] = padsOf(node, constants)!;
      low -= begin * s;
      high -= begin * s;
    }
    reach.set(node.output![0], { low, high });
  }
  return reach;
}

function encodeStage(
  model: ModelProto,
  nodes: NodeProto[],
  part: number[],
  inputs: readonly string[],
  outputs: readonly string[],
  sites: Map<string, TensorSite>,
  constants: Map<string, TensorProto>,
  normOfNode: Map<number, number>,
  norms: StagedNorm[],
): Uint8Array {
  const graphInputs = inputs.map((name, i) => floatValueInfo(name, [1, sites.get(name)!.channels, `h${i}`, `w${i}`]));
  const stageNodes: NodeProto[] = [];
  for (const index of part) {
    const node = nodes[index];
    const k = normOfNode.get(index);
    if (k === undefined) {
      stageNodes.push(node);
      continue;
    }
    const [a, b] = normAffineNames(k);
    graphInputs.push(floatValueInfo(a, [norms[k].channels, 1, 1]), floatValueInfo(b, [norms[k].channels, 1, 1]));
    stageNodes.push(makeNode('Mul', [norms[k].input, a], [`${a}.scaled`]), makeNode('Add', [`${a}.scaled`, b], [node.output![0]]));
  }
  const used = new Set(stageNodes.flatMap((n) => n.input ?? []));
  const initializer = [...constants.values()].filter((t) => used.has(t.name ?? ''));
  const graphOutputs = outputs.map((name, i) => floatValueInfo(name, [1, sites.get(name)!.channels, `oh${i}`, `ow${i}`]));
  return onnx.ModelProto.encode({
    ...model,
    metadataProps: [],
    graph: { name: 'darkroom_stage', node: stageNodes, input: graphInputs, output: graphOutputs, initializer, valueInfo: [] },
  }).finish();
}
