// Lowers a Graph to an ONNX model (opset 17, standard operators only, so every execution provider can take it).
import { IR_VERSION, OPSET, floatTensor, floatValueInfo, int64Tensor, makeNode, onnx, type NodeProto, type TensorProto } from '../onnx/proto.js';
import type { Graph, GraphNode, Sym } from './graph.js';

const ONNX_OP: Record<string, string> = {
  add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', neg: 'Neg', relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid', abs: 'Abs',
  sign: 'Sign', exp: 'Exp', log: 'Log', sqrt: 'Sqrt', reciprocal: 'Reciprocal', softplus: 'Softplus', identity: 'Identity', detach: 'Identity', matmul: 'MatMul',
};

export interface LoweredModel {
  bytes: Uint8Array;
  /** Graph input names in feed order, with shapes (and int64 for index inputs). */
  inputs: { name: string; shape: number[]; dtype: 'float32' | 'int64' }[];
  outputs: { name: string; shape: number[] }[];
}

export interface LoweringOptions {
  /**
   * The CPU threads the graph will run on. ONNX Runtime's CPU Conv spreads a batch over its threads one image each
   * when there are at least as many images as threads, so 3 images on 2 threads take as long as 4; a batch that does
   * not divide evenly is cut in two convolutions, one of a multiple of the threads and one of the rest, which is
   * threaded inside (measured, 256-channel 3×3 at 64²: 94–100 ms for 3 images, 73–80 ms cut as 2 + 1).
   */
  threads?: number;
}

/** The model computing `outputs` (by name) of `g` from its inputs; nodes nothing needs are left out. */
export function toOnnx(g: Graph, outputs: Record<string, Sym>, graphName: string, options: LoweringOptions = {}): LoweredModel {
  const live = liveNodes(g, Object.values(outputs));
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  const intConsts = new Map<string, string>();
  const ints = (values: readonly number[]) => {
    const key = values.join(',');
    let name = intConsts.get(key);
    if (!name) {
      name = `i64.${intConsts.size}`;
      intConsts.set(key, name);
      initializers.push(int64Tensor(name, [...values]));
    }
    return name;
  };
  let zeroName: string | null = null;
  const zero = () => {
    if (zeroName === null) {
      zeroName = 'f32.zero';
      initializers.push(floatTensor(zeroName, [], new Float32Array(1)));
    }
    return zeroName;
  };
  const inputs: LoweredModel['inputs'] = [];
  const name = (s: Sym) => valueName.get(s.id)!;
  const valueName = new Map<number, string>();
  for (const node of live) {
    const out = node.op === 'input' ? node.name! : `v${node.output.id}`;
    valueName.set(node.output.id, out);
    if (node.op === 'input') {
      inputs.push({ name: out, shape: [...node.output.shape], dtype: node.attrs.dtype === 'int64' ? 'int64' : 'float32' });
      continue;
    }
    if (node.op === 'const') {
      initializers.push(floatTensor(out, [...node.output.shape], node.values!));
      continue;
    }
    nodes.push(...[lowerNode(node, node.inputs.map(name), out, ints, zero, options.threads ?? 1)].flat());
  }
  const outputList = Object.entries(outputs).map(([outName, s]) => {
    nodes.push(makeNode('Identity', [name(s)], [outName]));
    return { name: outName, shape: [...s.shape] };
  });
  const model = onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'darkroom-train',
    graph: {
      name: graphName,
      node: nodes,
      initializer: initializers,
      input: inputs.map((i) => floatValueInfo(i.name, i.shape, i.dtype)),
      output: outputList.map((o) => floatValueInfo(o.name, o.shape)),
    },
  }).finish();
  return { bytes: model, inputs, outputs: outputList };
}

export function liveNodes(g: Graph, roots: readonly Sym[]): GraphNode[] {
  const byId = new Map(g.nodes.map((n) => [n.output.id, n]));
  const live = new Set<number>();
  const stack = roots.map((r) => r.id);
  while (stack.length) {
    const id = stack.pop()!;
    if (live.has(id)) continue;
    live.add(id);
    for (const x of byId.get(id)!.inputs) stack.push(x.id);
  }
  return g.nodes.filter((n) => live.has(n.output.id));
}

function lowerNode(node: GraphNode, inputs: string[], out: string, ints: (v: readonly number[]) => string, floats0: () => string, threads: number): NodeProto | NodeProto[] {
  const a = node.attrs;
  switch (node.op) {
    case 'wherePositive':
      return [
        makeNode('Greater', [inputs[0], floats0()], [`${out}.positive`]),
        makeNode('Where', [`${out}.positive`, inputs[1], inputs[2]], [out]),
      ];
    case 'leakyRelu':
      return makeNode('LeakyRelu', inputs, [out], { alpha: { float: a.alpha as number } });
    case 'reduceMean':
      return makeNode('ReduceMean', inputs, [out], { axes: a.axes as number[], keepdims: a.keepdims as number });
    case 'reduceSum': // axes became an input in opset 13
      return makeNode('ReduceSum', [inputs[0], ints(a.axes as number[])], [out], { keepdims: a.keepdims as number });
    case 'transpose':
      return makeNode('Transpose', inputs, [out], { perm: a.perm as number[] });
    case 'reshape':
      return makeNode('Reshape', [inputs[0], ints(a.shape as number[])], [out]);
    case 'expand':
      return makeNode('Expand', [inputs[0], ints(a.shape as number[])], [out]);
    case 'concat':
      return makeNode('Concat', inputs, [out], { axis: a.axis as number });
    case 'slice': {
      if (a.step === -1) {
        // Reversed: a Gather of the rows in reverse order. (A Slice with step −1 gave wrong values from the second run
        // on ONNX Runtime 1.30's WebGPU provider; Gather is right on every provider.)
        const rows = Array.from({ length: (a.start as number) - (a.end as number) }, (_, i) => (a.start as number) - i);
        return makeNode('Gather', [inputs[0], ints(rows)], [out], { axis: a.axis as number });
      }
      return makeNode('Slice', [inputs[0], ints([a.start as number]), ints([a.end as number]), ints([a.axis as number]), ints([1])], [out]);
    }
    case 'window': {
      const starts = a.starts as number[];
      const steps = a.steps as number[];
      const ends = (a.sizes as number[]).map((n, i) => starts[i] + steps[i] * (n - 1) + 1);
      return makeNode('Slice', [inputs[0], ints(starts), ints(ends), ints(a.axes as number[]), ints(steps)], [out]);
    }
    case 'gatherRows': // rows [S, 1] gather [S, 1, C]
      return [makeNode('Gather', inputs, [`${out}.column`], { axis: 0 }), makeNode('Reshape', [`${out}.column`, ints(node.output.shape)], [out])];
    case 'scatterRows': // into zeros
      return [makeNode('Expand', [floats0(), ints(node.output.shape)], [`${out}.zeros`]), makeNode('ScatterND', [`${out}.zeros`, inputs[1], inputs[0]], [out])];
    case 'gemmTransB':
      return makeNode('Gemm', inputs, [out], { transB: 1 });
    case 'pad':
      return makeNode('Pad', [inputs[0], ints(a.pads as number[])], [out], { mode: a.mode as string });
    case 'conv': {
      const [, , kh, kw] = node.inputs[1].shape;
      const attrs = { kernel_shape: [kh, kw], strides: a.strides as number[], pads: a.pads as number[], dilations: a.dilations as number[] };
      const batch = node.inputs[0].shape[0];
      const rest = batch % threads;
      if (batch < threads || rest === 0) return makeNode('Conv', inputs, [out], attrs);
      const [even, odd] = [`${out}.even`, `${out}.rest`];
      return [
        makeNode('Split', [inputs[0], ints([batch - rest, rest])], [`${even}.x`, `${odd}.x`], { axis: 0 }),
        makeNode('Conv', [`${even}.x`, inputs[1]], [even], attrs),
        makeNode('Conv', [`${odd}.x`, inputs[1]], [odd], attrs),
        makeNode('Concat', [even, odd], [out], { axis: 0 }),
      ];
    }
    case 'convTranspose': {
      const [, , kh, kw] = node.inputs[1].shape;
      return makeNode('ConvTranspose', inputs, [out], {
        kernel_shape: [kh, kw],
        strides: a.strides as number[],
        pads: a.pads as number[],
        output_padding: a.outputPadding as number[],
      });
    }
  }
  const op = ONNX_OP[node.op];
  if (!op) throw new Error(`no ONNX lowering for ${node.op}`);
  return makeNode(op, inputs, [out]);
}
