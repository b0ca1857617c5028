// A small graph of tensor operations with static shapes: what the ONNX training engine builds from a family's
// objective (diff/graph-ops.ts), differentiates (diff/vjp.ts) and lowers to ONNX (diff/to-onnx.ts).
// Images are NCHW here, as in ONNX. Every value is float32 (masks are 0/1 floats) but for index inputs, which only
// Gather and its gradient's ScatterND read.

export type Shape = readonly number[];

export interface Sym {
  readonly id: number;
  readonly shape: Shape;
}

export type Attrs = Record<string, number | readonly number[] | string>;

export interface GraphNode {
  readonly op: string;
  readonly inputs: readonly Sym[];
  readonly attrs: Attrs;
  readonly output: Sym;
  /** For inputs: the feed's name. For constants: the values. */
  readonly name?: string;
  readonly values?: Float32Array;
  /**
   * A composite whose gradient is written out (instance norm): the nodes from `inner` up to this one are its
   * forward; `vjp` gives the gradients of `of` from this node's gradient, in place of differentiating them.
   */
  readonly custom?: { of: readonly Sym[]; vjp: (g: Sym) => Sym[] };
}

export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

/** Numpy broadcasting of two shapes. */
export function broadcastShape(a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

const convOut = (size: number, k: number, stride: number, padBegin: number, padEnd: number, dilation = 1) =>
  Math.floor((size + padBegin + padEnd - dilation * (k - 1) - 1) / stride) + 1;

export class Graph {
  readonly nodes: GraphNode[] = [];
  private readonly byOutput = new Map<number, GraphNode>();
  private next = 0;
  private readonly inputNames = new Set<string>();

  private add(op: string, inputs: Sym[], shape: Shape, attrs: Attrs = {}, extra: Partial<GraphNode> = {}): Sym {
    if (shape.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`${op}: invalid output shape [${shape}]`);
    const output = { id: this.next++, shape: [...shape] };
    const node = { op, inputs, attrs, output, ...extra };
    this.nodes.push(node);
    this.byOutput.set(output.id, node);
    return output;
  }

  producer(s: Sym): GraphNode {
    const node = this.byOutput.get(s.id);
    if (!node) throw new Error(`value ${s.id} is not in this graph`);
    return node;
  }

  input(name: string, shape: Shape, dtype: 'float32' | 'int64' = 'float32'): Sym {
    if (this.inputNames.has(name)) throw new Error(`graph input ${name} declared twice`);
    this.inputNames.add(name);
    return this.add('input', [], shape, dtype === 'int64' ? { dtype } : {}, { name });
  }

  /** An int64 input of indices: only gatherRows (and its gradient) reads it. */
  indexInput = (name: string, shape: Shape) => this.input(name, shape, 'int64');

  isIndex(s: Sym): boolean {
    return this.producer(s).attrs.dtype === 'int64';
  }

  constant(values: Float32Array | number[], shape: Shape = []): Sym {
    const v = values instanceof Float32Array ? values : Float32Array.from(values);
    if (v.length !== sizeOf(shape)) throw new Error(`constant: ${v.length} values for shape [${shape}]`);
    return this.add('const', [], shape, {}, { values: v });
  }

  scalar(value: number): Sym {
    return this.constant([value], []);
  }

  // Elementwise, with broadcasting.
  binary(op: 'add' | 'sub' | 'mul' | 'div', a: Sym, b: Sym): Sym {
    return this.add(op, [a, b], broadcastShape(a.shape, b.shape));
  }
  addT = (a: Sym, b: Sym) => this.binary('add', a, b);
  sub = (a: Sym, b: Sym) => this.binary('sub', a, b);
  mul = (a: Sym, b: Sym) => this.binary('mul', a, b);
  div = (a: Sym, b: Sym) => this.binary('div', a, b);
  scale = (a: Sym, k: number) => (k === 1 ? a : this.mul(a, this.scalar(k)));

  unary(op: 'neg' | 'relu' | 'tanh' | 'sigmoid' | 'abs' | 'sign' | 'exp' | 'log' | 'sqrt' | 'reciprocal' | 'softplus', x: Sym): Sym {
    return this.add(op, [x], x.shape);
  }
  /** x, through which no gradient flows. */
  detach(x: Sym): Sym {
    return this.add('detach', [x], x.shape);
  }
  /**
   * Where cond > 0, a; elsewhere b (ONNX Greater and Where): the masks of relu, leaky relu and abs gradients.
   * (Sign would do it in floats, but ONNX Runtime's WebGPU provider has no Sign and would run it on the CPU.)
   */
  wherePositive(cond: Sym, a: Sym, b: Sym): Sym {
    return this.add('wherePositive', [cond, a, b], broadcastShape(cond.shape, broadcastShape(a.shape, b.shape)));
  }
  leakyRelu(x: Sym, alpha: number): Sym {
    return this.add('leakyRelu', [x], x.shape, { alpha });
  }

  reduce(op: 'reduceMean' | 'reduceSum', x: Sym, axes: readonly number[] | null, keepdims: boolean): Sym {
    const all = axes ?? x.shape.map((_, i) => i);
    const norm = all.map((a) => (a < 0 ? a + x.shape.length : a));
    const shape = keepdims ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !norm.includes(i));
    return this.add(op, [x], shape, { axes: norm, keepdims: keepdims ? 1 : 0 });
  }
  mean = (x: Sym, axes: readonly number[] | null = null, keepdims = false) => this.reduce('reduceMean', x, axes, keepdims);
  sum = (x: Sym, axes: readonly number[] | null = null, keepdims = false) => this.reduce('reduceSum', x, axes, keepdims);

  /**
   * A transpose of a transpose is one transpose of the first's input (so a weight's layout change and the
   * gradient's change back cancel, and a kernel swapped after its layout change is one copy, not two).
   */
  transpose(x: Sym, perm: readonly number[]): Sym {
    const inner = this.byOutput.get(x.id)!;
    if (inner.op === 'transpose') {
      const first = inner.attrs.perm as number[];
      return this.transpose(inner.inputs[0], perm.map((p) => first[p]));
    }
    if (perm.every((p, i) => p === i)) return x;
    return this.add('transpose', [x], perm.map((p) => x.shape[p]), { perm: [...perm] });
  }
  reshape(x: Sym, shape: Shape): Sym {
    if (sizeOf(shape) !== sizeOf(x.shape)) throw new Error(`reshape [${x.shape}] → [${shape}]: sizes differ`);
    if (shape.join() === x.shape.join()) return x;
    return this.add('reshape', [x], shape, { shape: [...shape] });
  }
  expand(x: Sym, shape: Shape): Sym {
    if (shape.join() === x.shape.join()) return x;
    return this.add('expand', [x], broadcastShape(x.shape, shape), { shape: [...shape] });
  }
  concat(xs: readonly Sym[], axis: number): Sym {
    if (xs.length === 1) return xs[0];
    const shape = [...xs[0].shape];
    shape[axis] = xs.reduce((n, x) => n + x.shape[axis], 0);
    return this.add('concat', [...xs], shape, { axis });
  }
  /** x[start:end] along `axis` (step 1), or reversed with step −1 (start > end; end −1 for "through index 0"). */
  slice(x: Sym, axis: number, start: number, end: number, step = 1): Sym {
    const shape = [...x.shape];
    shape[axis] = step === 1 ? end - start : start - end;
    if (step === 1 && start === 0 && end === x.shape[axis]) return x;
    const inner = this.byOutput.get(x.id)!;
    // Reversing an axis of a transpose reverses the input's axis it came from: a flipped kernel is then flipped
    // along its outer axes (tfjs layout), whole rows at a time, instead of element by element.
    if (step === -1 && start === x.shape[axis] - 1 && end === -1 && inner.op === 'transpose') {
      const perm = inner.attrs.perm as number[];
      return this.transpose(this.slice(inner.inputs[0], perm[axis], start, end, step), perm);
    }
    return this.add('slice', [x], shape, { axis, start, end, step });
  }
  /** x[start:end:step] along several axes at once (steps ≥ 1). No gradient rule: the backward passes use it. */
  window(x: Sym, o: { axes: readonly number[]; starts: readonly number[]; steps: readonly number[]; sizes: readonly number[] }): Sym {
    const shape = [...x.shape];
    o.axes.forEach((axis, i) => {
      if (o.starts[i] + o.steps[i] * (o.sizes[i] - 1) >= x.shape[axis]) throw new Error(`window: axis ${axis} of [${x.shape}] is too short`);
      shape[axis] = o.sizes[i];
    });
    return this.add('window', [x], shape, { axes: [...o.axes], starts: [...o.starts], steps: [...o.steps], sizes: [...o.sizes] });
  }
  /** a · bᵀ for 2-D a [M, K] and b [N, K] (ONNX Gemm with transB). No gradient rule. */
  matmulTransB(a: Sym, b: Sym): Sym {
    if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[1]) throw new Error(`matmulTransB [${a.shape}] × [${b.shape}]ᵀ`);
    return this.add('gemmTransB', [a, b], [a.shape[0], b.shape[0]]);
  }
  /** pads: [begin per axis…, end per axis…] as ONNX Pad (edge: the border value repeated). */
  pad(x: Sym, pads: readonly number[], mode: 'constant' | 'reflect' | 'edge'): Sym {
    const r = x.shape.length;
    if (pads.every((p) => p === 0)) return x;
    return this.add('pad', [x], x.shape.map((d, i) => d + pads[i] + pads[i + r]), { pads: [...pads], mode });
  }
  /** a · b for matrices [M, K] × [K, N], or equal batches of them ([B, M, K] × [B, K, N]). */
  matmul(a: Sym, b: Sym): Sym {
    const r = a.shape.length;
    const batch = a.shape.slice(0, -2);
    if (r < 2 || r > 3 || b.shape.length !== r || b.shape.slice(0, -2).join() !== batch.join() || a.shape[r - 1] !== b.shape[r - 2])
      throw new Error(`matmul [${a.shape}] × [${b.shape}]`);
    return this.add('matmul', [a, b], [...batch, a.shape[r - 2], b.shape[r - 1]]);
  }

  /**
   * Rows of a matrix [R, C] at `rows` (an index input [S, 1] of distinct values): [S, C]. The indices come as a
   * column because ScatterND (the gradient) reads them so: an Unsqueeze of them would run on the CPU under WebGPU.
   */
  gatherRows(x: Sym, rows: Sym): Sym {
    if (x.shape.length !== 2 || rows.shape.length !== 2 || rows.shape[1] !== 1 || !this.isIndex(rows)) throw new Error(`gatherRows [${x.shape}] at [${rows.shape}]`);
    return this.add('gatherRows', [x, rows], [rows.shape[0], x.shape[1]]);
  }

  /** A zero matrix of `shape` [R, C] with `updates` [S, C] at `rows` (distinct): gatherRows' gradient. No gradient. */
  scatterRows(updates: Sym, rows: Sym, shape: Shape): Sym {
    return this.add('scatterRows', [updates, rows], shape);
  }

  /** ONNX Conv, NCHW, weight [M, C, kh, kw]; pads [top, left, bottom, right]. */
  conv(x: Sym, w: Sym, o: { strides: readonly number[]; pads: readonly number[]; dilations?: readonly number[] }): Sym {
    const [n, c, h, wd] = x.shape;
    const [m, cw, kh, kw] = w.shape;
    if (c !== cw) throw new Error(`conv: input has ${c} channels, weight expects ${cw}`);
    const d = o.dilations ?? [1, 1];
    const shape = [n, m, convOut(h, kh, o.strides[0], o.pads[0], o.pads[2], d[0]), convOut(wd, kw, o.strides[1], o.pads[1], o.pads[3], d[1])];
    return this.add('conv', [x, w], shape, { strides: [...o.strides], pads: [...o.pads], dilations: [...d] });
  }

  /** ONNX ConvTranspose, NCHW, weight [C, M, kh, kw]. */
  convTranspose(x: Sym, w: Sym, o: { strides: readonly number[]; pads: readonly number[]; outputPadding: readonly number[] }): Sym {
    const [n, c, h, wd] = x.shape;
    const [cw, m, kh, kw] = w.shape;
    if (c !== cw) throw new Error(`convTranspose: input has ${c} channels, weight expects ${cw}`);
    const out = (size: number, k: number, i: number) => o.strides[i] * (size - 1) + o.outputPadding[i] + k - o.pads[i] - o.pads[i + 2];
    return this.add('convTranspose', [x, w], [n, m, out(h, kh, 0), out(wd, kw, 1)], {
      strides: [...o.strides],
      pads: [...o.pads],
      outputPadding: [...o.outputPadding],
    });
  }

  /**
   * Marks `out` (built from `of` by the nodes added since `mark`) as one operation with a written-out gradient.
   * Returns a new value: an identity of `out` that carries the rule.
   */
  custom(of: readonly Sym[], out: Sym, vjp: (g: Sym) => Sym[]): Sym {
    return this.add('identity', [out], out.shape, {}, { custom: { of, vjp } });
  }
}
