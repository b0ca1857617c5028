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
  const constants = initializerCache(initializers);
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
    nodes.push(...[lowerNode(node, node.inputs.map(name), out, constants, options.threads ?? 1)].flat());
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

/** Constant initializers by value, each added once: int64 vectors (shapes, axes), float zero, identity matrices. */
interface Constants {
  ints(values: readonly number[]): string;
  zero(): string;
  eye(n: number): string;
}

function initializerCache(initializers: TensorProto[]): Constants {
  const names = new Map<string, string>();
  const once = (key: string, make: (name: string) => TensorProto) => {
    let name = names.get(key);
    if (!name) {
      name = `c.${names.size}`;
      names.set(key, name);
      initializers.push(make(name));
    }
    return name;
  };
  return {
    ints: (values) => once(`i64:${values.join(',')}`, (n) => int64Tensor(n, [...values])),
    zero: () => once('f32:0', (n) => floatTensor(n, [], new Float32Array(1))),
    eye: (size) =>
      once(`eye:${size}`, (n) => {
        const v = new Float32Array(size * size);
        for (let i = 0; i < size; i++) v[i * size + i] = 1;
        return floatTensor(n, [size, size], v);
      }),
  };
}

export function liveNodes(g: Graph, roots: readonly Sym[]): GraphNode[] {
  const live = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const s = stack.pop()!;
    if (live.has(s.id)) continue;
    live.add(s.id);
    stack.push(...g.producer(s).inputs);
  }
  return g.nodes.filter((n) => live.has(n.output.id));
}

/**
 * The input's axes in runs that stay together and in order through `perm` (size-1 axes dropped): their sizes, and
 * the permutation of the runs. A tfjs kernel [kh, kw, in, out] to ONNX's [out, in, kh, kw] is [9·… runs] (2, 1, 0).
 */
function mergedTranspose(shape: readonly number[], perm: readonly number[]): { sizes: number[]; perm: number[] } {
  const kept = perm.filter((axis) => shape[axis] !== 1);
  const inputOrder = [...kept].sort((x, y) => x - y);
  const runs: number[][] = [];
  for (const axis of kept) {
    const last = runs.at(-1);
    if (last && inputOrder.indexOf(last.at(-1)!) + 1 === inputOrder.indexOf(axis)) last.push(axis);
    else runs.push([axis]);
  }
  const inInputOrder = [...runs].sort((x, y) => x[0] - y[0]);
  return {
    sizes: inInputOrder.map((run) => run.reduce((n, axis) => n * shape[axis], 1)),
    perm: runs.map((run) => inInputOrder.indexOf(run)),
  };
}

/**
 * ONNX Runtime's CPU Transpose is slow where the output's innermost run is short (a kernel's taps): there the
 * swap [A, B] → [B, A] is a product with the identity (exact; A·A multiplications per value, A ≤ 16), and the
 * reversal of three runs [A, B, C] → [C, B, A] (the kernel layout change) is [A, C, B] by a Transpose, then that
 * swap (as a Transpose, its optimizer would merge the two back into the slow one). A 2.4 MB kernel, measured:
 * 11.6 against 1.4 ms for the reversal, 4.8 against 0.8 ms for the swap.
 */
function lowerTranspose(shape: readonly number[], perm: number[], input: string, out: string, constants: Constants): NodeProto | NodeProto[] {
  const merged = mergedTranspose(shape, perm);
  const { ints } = constants;
  const outShape = ints(perm.map((p) => shape[p]));
  if (merged.perm.join() === '1,0' && merged.sizes[0] <= 16) {
    const [a, b] = merged.sizes;
    return [
      makeNode('Reshape', [input, ints([a, b])], [`${out}.ab`]),
      makeNode('Gemm', [`${out}.ab`, constants.eye(a)], [`${out}.ba`], { transA: 1 }),
      makeNode('Reshape', [`${out}.ba`, outShape], [out]),
    ];
  }
  if (merged.perm.join() !== '2,1,0') return makeNode('Transpose', [input], [out], { perm });
  const [a, b, c] = merged.sizes;
  return [
    makeNode('Reshape', [input, ints([a, b, c])], [`${out}.abc`]),
    makeNode('Transpose', [`${out}.abc`], [`${out}.acb`], { perm: [0, 2, 1] }),
    makeNode('Reshape', [`${out}.acb`, ints([a, c * b])], [`${out}.a_cb`]),
    makeNode('Gemm', [`${out}.a_cb`, constants.eye(a)], [`${out}.cb_a`], { transA: 1 }),
    makeNode('Reshape', [`${out}.cb_a`, outShape], [out]),
  ];
}

function lowerNode(node: GraphNode, inputs: string[], out: string, constants: Constants, threads: number): NodeProto | NodeProto[] {
  const a = node.attrs;
  const { ints, zero: floats0 } = constants;
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
      return lowerTranspose(node.inputs[0].shape, a.perm as number[], inputs[0], out, constants);
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
