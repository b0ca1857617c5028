// Small, typed helpers over onnx-proto (the protobufjs-generated ONNX schema): building graph pieces for
// the exporter and reading a model's header (opsets, producer, metadata_props) for the runtime, which
// onnxruntime-node does not expose. No TensorFlow.js here: the runtime side imports this file.
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

/** Opset 17 with IR version 8 (ONNX 1.12): new enough for every op we emit, old enough for common checkers. */
export const OPSET = 17;
export const IR_VERSION = 8;

/** A dimension: a fixed size, or a symbolic name such as "N" or "H". */
export type Dim = number | string;

export type AttributeValue = number | number[] | string | { float: number };

/** Attributes by name; integers are emitted as INT(S), `{ float }` as FLOAT, strings as STRING. */
export function attributes(values: Record<string, AttributeValue>): AttributeProto[] {
  const { AttributeType } = onnx.AttributeProto;
  return Object.entries(values).map(([name, value]) => {
    if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
    if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
    if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
    return { name, type: AttributeType.FLOAT, f: value.float };
  });
}

export function makeNode(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttributeValue> = {}, name?: string): NodeProto {
  return { opType, input: inputs, output: outputs, name: name ?? outputs[0], attribute: attributes(attrs) };
}

/** A float32 initializer, stored little-endian in raw_data as the ONNX spec requires. */
export function floatTensor(name: string, dims: number[], values: Float32Array): TensorProto {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== values.length) throw new Error(`initializer ${name}: ${values.length} values for shape [${dims.join(', ')}]`);
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

/** An int64 initializer (shapes and pads), in int64_data so small numbers need no Long handling. */
export function int64Tensor(name: string, values: number[]): TensorProto {
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values };
}

export function floatValueInfo(name: string, dims: Dim[], elemType: 'float32' | 'int64' = 'float32'): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: elemType === 'int64' ? onnx.TensorProto.DataType.INT64 : onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** What a model file says about itself, apart from its graph. */
export interface ModelHeader {
  irVersion: number;
  /** Operator set versions by domain ("" is the default ONNX domain). */
  opsets: Record<string, number>;
  producerName: string;
  producerVersion: string;
  graphName: string;
  docString: string;
  metadata: Record<string, string>;
  /** false for bytes that decode but hold no graph (an empty file decodes so). */
  hasGraph: boolean;
  /** The operator (default domain) whose result is the graph's first output, e.g. "Tanh"; null when none is. */
  outputOp: string | null;
}

/** An int64 field as protobufjs decodes it (a number or a Long) as a number. */
export const toNumber = (v: number | { toNumber(): number } | null | undefined): number =>
  v == null ? 0 : typeof v === 'number' ? v : v.toNumber();

/** A float32 initializer's values, from float_data or little-endian raw_data; null for other element types. */
export function floatValues(tensor: TensorProto | undefined): Float32Array | null {
  if (!tensor || tensor.dataType !== onnx.TensorProto.DataType.FLOAT) return null;
  if (tensor.floatData && tensor.floatData.length > 0) return Float32Array.from(tensor.floatData);
  const raw = tensor.rawData;
  if (!raw || raw.length % 4 !== 0) return null;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Float32Array.from({ length: raw.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

/** Decodes a model's bytes and returns its header. Throws protobufjs's error for bytes that are not a model. */
export function readModelHeader(bytes: Uint8Array): ModelHeader {
  const model = onnx.ModelProto.decode(bytes);
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport) opsets[o.domain ?? ''] = toNumber(o.version);
  const metadata: Record<string, string> = {};
  for (const p of model.metadataProps) if (p.key) metadata[p.key] = p.value ?? '';
  return {
    irVersion: toNumber(model.irVersion),
    opsets,
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    graphName: model.graph?.name ?? '',
    docString: model.docString,
    metadata,
    hasGraph: model.graph != null,
    outputOp: outputOpOf(model.graph),
  };
}

function outputOpOf(graph: onnxProto.onnx.IGraphProto | null | undefined): string | null {
  const output = graph?.output?.[0]?.name;
  const producer = output ? graph?.node?.find((node) => node.output?.includes(output)) : undefined;
  return producer && !producer.domain ? (producer.opType ?? null) : null;
}
