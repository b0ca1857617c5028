// Records an objective (objective.ts) as a Graph in NCHW: the layer spec of each net expanded into graph
// operations, exactly as nets/net.ts runs it in TensorFlow.js (the third reader of the spec, beside the exporter).
// Weights enter in TensorFlow.js layout, named "<net>/<param>", and are transposed inside the graph, so the
// gradients come out in the layout the checkpoints keep.
import { convTransposeSamePadding, DEFAULT_LEAKY_ALPHA, type LayerSpec } from '../nets/spec.js';
import type { Net } from '../nets/net.js';
import { Graph, type Sym } from './graph.js';
import type { Ops, UnaryFn } from './objective.js';

export class GraphOps implements Ops<Sym> {
  /** Weight inputs created so far, by "<net>/<param>", with the Net and parameter they feed. */
  readonly params = new Map<string, { sym: Sym; net: Net; param: string }>();

  constructor(readonly g: Graph) {}

  net(net: Net, x: Sym): Sym {
    return this.layers(net, net.spec.layers, x);
  }

  /** The net's output of each top-level layer at `taps` (−1: its input), as nets/net.ts tapNet. */
  taps(net: Net, x: Sym, taps: readonly number[]): Sym[] {
    const outputs = new Map<number, Sym>([[-1, x]]);
    const layers = net.spec.layers;
    const last = Math.max(...taps);
    for (let i = 0; i <= last; i++) {
      x = this.layer(net, layers[i], x, layers[i + 1]?.op === 'instanceNorm');
      outputs.set(i, x);
    }
    return taps.map((t) => outputs.get(t)!);
  }

  concat = (xs: readonly Sym[]) => this.g.concat(xs, 0);
  split = (x: Sym, sizes: readonly number[]) => this.parts(x, 0, sizes);
  batchSize = (x: Sym) => x.shape[0];
  flipWidth = (x: Sym) => this.g.slice(x, 3, x.shape[3] - 1, -1, -1);

  atLocations(maps: Sym, locations: Sym): Sym {
    const g = this.g;
    const [b, c, h, w] = maps.shape;
    // Locations first, so one row gather serves the whole batch: [H·W, B·C].
    const byLocation = g.reshape(g.transpose(g.reshape(maps, [b, c, h * w]), [2, 0, 1]), [h * w, b * c]);
    const picked = g.gatherRows(byLocation, locations);
    return g.transpose(g.reshape(picked, [locations.shape[0], b, c]), [1, 0, 2]);
  }

  add = (a: Sym, b: Sym) => this.g.addT(a, b);
  sub = (a: Sym, b: Sym) => this.g.sub(a, b);
  mul = (a: Sym, b: Sym) => this.g.mul(a, b);
  div = (a: Sym, b: Sym) => this.g.div(a, b);
  scale = (x: Sym, k: number) => this.g.scale(x, k);
  scalar = (k: number) => this.g.scalar(k);
  unary = (fn: UnaryFn, x: Sym) => this.g.unary(fn, x);
  mean = (x: Sym) => this.g.mean(x);
  sumPerItem = (x: Sym) => this.g.sum(x, x.shape.slice(1).map((_, i) => i + 1));
  sumLast = (x: Sym, keepDims = false) => this.g.sum(x, [x.shape.length - 1], keepDims);
  splitLast = (x: Sym, sizes: readonly number[]) => this.parts(x, x.shape.length - 1, sizes);

  /** Consecutive slices of `x` along `axis` of the given sizes. */
  private parts(x: Sym, axis: number, sizes: readonly number[]): Sym[] {
    let at = 0;
    return sizes.map((n) => this.g.slice(x, axis, at, (at += n)));
  }
  reshape = (x: Sym, shape: readonly number[]) => this.g.reshape(x, shape);
  matmul(a: Sym, b: Sym, transposeB = false): Sym {
    return this.g.matmul(a, transposeB ? this.g.transpose(b, b.shape.length === 2 ? [1, 0] : [0, 2, 1]) : b);
  }

  private weight(net: Net, param: string): Sym {
    const key = `${net.spec.name}/${param}`;
    let entry = this.params.get(key);
    if (!entry) {
      const v = net.params.get(param);
      if (!v) throw new Error(`${net.spec.name}: missing parameter ${param}`);
      entry = { sym: this.g.input(key, v.shape), net, param };
      this.params.set(key, entry);
    }
    return entry.sym;
  }

  private layers(net: Net, layers: readonly LayerSpec[], x: Sym): Sym {
    layers.forEach((layer, i) => (x = this.layer(net, layer, x, layers[i + 1]?.op === 'instanceNorm')));
    return x;
  }

  /** `normalizedNext`: as applyLayer, a conv bias that an instance norm cancels is left out (it has no gradient). */
  private layer(net: Net, layer: LayerSpec, x: Sym, normalizedNext: boolean): Sym {
    const g = this.g;
    const bias = (y: Sym, name: string) => g.addT(y, g.reshape(this.weight(net, name), [1, y.shape[1], 1, 1]));
    switch (layer.op) {
      case 'conv': {
        const w = g.transpose(this.weight(net, `${layer.name}.w`), [3, 2, 0, 1]); // [kh,kw,in,out] → [out,in,kh,kw]
        const p = layer.pad;
        const y = g.conv(x, w, { strides: [layer.stride, layer.stride], pads: [p, p, p, p] });
        return layer.bias && !normalizedNext ? bias(y, `${layer.name}.b`) : y;
      }
      case 'convTranspose': {
        const { kernel: k, stride: s } = layer;
        const w = g.transpose(this.weight(net, `${layer.name}.w`), [3, 2, 0, 1]); // [kh,kw,out,in] → [in,out,kh,kw]
        const y = g.convTranspose(x, w, { strides: [s, s], ...convTransposeSamePadding(k, s) });
        return layer.bias && !normalizedNext ? bias(y, `${layer.name}.b`) : y;
      }
      case 'convTransposeCropped': {
        const { kernel: k, stride: s, crop } = layer;
        const w = g.transpose(this.weight(net, `${layer.name}.w`), [3, 2, 0, 1]); // [kh,kw,out,in] → [in,out,kh,kw]
        const y = g.convTranspose(x, w, { strides: [s, s], pads: [crop[0], crop[0], crop[1], crop[1]], outputPadding: [0, 0] });
        return layer.bias && !normalizedNext ? bias(y, `${layer.name}.b`) : y;
      }
      case 'reflectPad': {
        const p = layer.pad;
        return g.pad(x, [0, 0, p, p, 0, 0, p, p], 'reflect');
      }
      case 'replicatePad': {
        const p = layer.pad;
        return g.pad(x, [0, 0, p, p, 0, 0, p, p], 'edge');
      }
      case 'blurDown': {
        const { size: k, stride: s } = layer;
        return perChannel(g, x, (images) => g.conv(images, g.constant(layer.kernel, [1, 1, k, k]), { strides: [s, s], pads: [0, 0, 0, 0] }));
      }
      case 'blurUp': {
        const { size: k, stride: s, crop } = layer;
        const filter = g.constant(layer.kernel, [1, 1, k, k]);
        return perChannel(g, x, (images) => g.convTranspose(images, filter, { strides: [s, s], pads: [crop[0], crop[0], crop[1], crop[1]], outputPadding: [0, 0] }));
      }
      case 'instanceNorm': {
        let y = instanceNorm(g, x, layer.epsilon);
        if (layer.affine) {
          const c = x.shape[1];
          y = g.addT(g.mul(y, g.reshape(this.weight(net, `${layer.name}.gamma`), [1, c, 1, 1])), g.reshape(this.weight(net, `${layer.name}.beta`), [1, c, 1, 1]));
        }
        return y;
      }
      case 'act':
        switch (layer.fn) {
          case 'relu':
            return g.unary('relu', x);
          case 'leakyRelu':
            return g.leakyRelu(x, layer.alpha ?? DEFAULT_LEAKY_ALPHA);
          case 'tanh':
            return g.unary('tanh', x);
          case 'sigmoid':
            return g.unary('sigmoid', x);
        }
        throw new Error(`unknown activation ${String(layer.fn)}`);
      case 'residual':
        return g.addT(x, this.layers(net, layer.body, x));
      case 'dense': {
        const y = g.matmul(x, this.weight(net, `${layer.name}.w`));
        return layer.bias ? g.addT(y, this.weight(net, `${layer.name}.b`)) : y;
      }
      case 'flatten': // TensorFlow.js flattens NHWC: go back to it first, to keep the dense weights' order
        return g.reshape(g.transpose(x, [0, 2, 3, 1]), [x.shape[0], x.shape[1] * x.shape[2] * x.shape[3]]);
      case 'reshape':
        return g.transpose(g.reshape(x, [x.shape[0], layer.height, layer.width, layer.channels]), [0, 3, 1, 2]);
    }
  }
}

/**
 * `f` (a one-channel Conv or ConvTranspose with a constant filter) on every channel alike: NCHW [N, C, H, W] is
 * already the batch of one-channel images [N·C, 1, H, W], so both reshapes are free. Plain convolutions rather than
 * grouped ones, whose gradients the engine has no rule for.
 */
export function perChannel(g: Graph, x: Sym, f: (images: Sym) => Sym): Sym {
  const [n, c, h, w] = x.shape;
  const y = f(g.reshape(x, [n * c, 1, h, w]));
  return g.reshape(y, [n, c, y.shape[2], y.shape[3]]);
}

/**
 * (x − mean) / √(variance + ε) per image and channel, with its gradient written out as nets/net.ts does:
 * dx = (dy − mean(dy) − y·mean(dy·y)) / √(variance + ε).
 */
export function instanceNorm(g: Graph, x: Sym, epsilon: number): Sym {
  const centred = g.sub(x, g.mean(x, [2, 3], true));
  const invStd = g.div(g.scalar(1), g.unary('sqrt', g.addT(g.mean(g.mul(centred, centred), [2, 3], true), g.scalar(epsilon))));
  const y = g.mul(centred, invStd);
  return g.custom([x], y, (dy) => {
    const dyCentred = g.sub(dy, g.mean(dy, [2, 3], true));
    return [g.mul(g.sub(dyCentred, g.mul(y, g.mean(g.mul(dy, y), [2, 3], true))), invStd)];
  });
}
