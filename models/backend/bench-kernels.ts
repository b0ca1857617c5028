// Times the convolution gradients: wasm with 1 and 2 threads (and all cores, if more), the stock scalar
// Conv2DBackpropInput, and the pure-JS cpu backend; then both ways of computing the weight gradient on the
// layer shapes of a light CycleGAN at 64×64 (to check the shape heuristic in wasm-kernels.ts).
// Run: npx tsx models/backend/bench-kernels.ts [--quick] [--main-only]

import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { initBackend } from './index.js';
import { setFilterGradMethod, useStockConv2DBackpropInput } from './wasm-kernels.js';

const QUICK = process.argv.includes('--quick');

interface Layer {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  pad: 'same' | 'valid';
}

// The measurement asked for: a 3×3 conv on 64×64×32, 32 → 32 channels.
const MAIN: Layer = { name: '64×64×32 3×3 s1 same', x: [1, 64, 64, 32], filter: [3, 3, 32, 32], stride: 1, pad: 'same' };

// Weight-gradient shapes of a light CycleGAN (ngf 32) at 64×64, with conv2dTranspose's weight gradient written
// as the Conv2DBackpropFilter it becomes (x = upstream gradient, dy = layer input).
const CYCLEGAN: Layer[] = [
  { name: 'stem 7×7 3→32', x: [1, 70, 70, 3], filter: [7, 7, 3, 32], stride: 1, pad: 'valid' },
  { name: 'down 3×3 s2 32→64', x: [1, 64, 64, 32], filter: [3, 3, 32, 64], stride: 2, pad: 'same' },
  { name: 'down 3×3 s2 64→128', x: [1, 32, 32, 64], filter: [3, 3, 64, 128], stride: 2, pad: 'same' },
  { name: 'res 3×3 128→128', x: [1, 18, 18, 128], filter: [3, 3, 128, 128], stride: 1, pad: 'valid' },
  { name: 'up (transpose) 128→64', x: [1, 32, 32, 64], filter: [3, 3, 64, 128], stride: 2, pad: 'same' },
  { name: 'head 7×7 32→3', x: [1, 70, 70, 32], filter: [7, 7, 32, 3], stride: 1, pad: 'valid' },
  { name: 'D 4×4 s2 3→32', x: [1, 64, 64, 3], filter: [4, 4, 3, 32], stride: 2, pad: 'same' },
  { name: 'D 4×4 s2 64→128', x: [1, 16, 16, 64], filter: [4, 4, 64, 128], stride: 2, pad: 'same' },
  { name: 'D 4×4 s1 128→256', x: [1, 8, 8, 128], filter: [4, 4, 128, 256], stride: 1, pad: 'same' },
];

function outShape(l: Layer): [number, number, number, number] {
  const [n, h, w] = l.x;
  const [kh, kw, , o] = l.filter;
  const size = (i: number, k: number) => (l.pad === 'same' ? Math.ceil(i / l.stride) : Math.ceil((i - k + 1) / l.stride));
  return [n, size(h, kh), size(w, kw), o];
}

interface Timing {
  best: number;
  median: number;
}

/** Milliseconds per call of `fn` (which returns a tensor to read back, so the work is really done). */
function time(fn: () => tf.Tensor, minMs: number): Timing {
  fn().dispose(); // warm-up
  const samples: number[] = [];
  const started = performance.now();
  while (samples.length < 3 || (performance.now() - started < minMs && samples.length < 50)) {
    const t0 = performance.now();
    const out = fn();
    out.dataSync();
    out.dispose();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { best: samples[0], median: samples[Math.floor(samples.length / 2)] };
}

/** Over several rounds: the best sample, and the lowest round median (other load on the machine only adds). */
function merge(a: Timing | undefined, b: Timing): Timing {
  return a === undefined ? b : { best: Math.min(a.best, b.best), median: Math.min(a.median, b.median) };
}

/** The weight gradient as the engine runs it for conv2d's backward pass (tfjs has no public op for it). */
function filterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, l: Layer): tf.Tensor {
  const attrs = { strides: l.stride, pad: l.pad, dataFormat: 'NHWC', filterShape: l.filter };
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

function grads(l: Layer, minMs: number): { dx: Timing; dw: Timing } {
  const x = tf.randomNormal(l.x) as tf.Tensor4D;
  const w = tf.randomNormal(l.filter) as tf.Tensor4D;
  const dy = tf.randomNormal(outShape(l)) as tf.Tensor4D;
  const dx = time(() => tf.conv2dTranspose(dy, w, l.x, l.stride, l.pad), minMs);
  const dw = time(() => filterGrad(x, dy, l), minMs);
  tf.dispose([x, w, dy]);
  return { dx, dw };
}

function cell(t: Timing | undefined): string {
  return t === undefined ? '—'.padStart(20) : `${t.best.toFixed(2)} (${t.median.toFixed(2)})`.padStart(20);
}

function row(label: string, r: { dx?: Timing; dw?: Timing }): void {
  console.log(`${label.padEnd(46)} dx ${cell(r.dx)}   dW ${cell(r.dw)}`);
}

async function main(): Promise<void> {
  const minMs = QUICK ? 200 : 1000;
  const rounds = QUICK ? 2 : 3;
  console.log(`conv gradients, ${MAIN.name}: ms per call, best (lowest median), ${rounds} interleaved rounds, ` + `${availableParallelism()} logical cores`);
  const threadCounts = [...new Set([1, 2, availableParallelism()])].filter((t) => t <= 8);
  const results = new Map<string, { dx?: Timing; dw?: Timing }>();
  const add = (label: string, r: { dx?: Timing; dw?: Timing }) => {
    const old = results.get(label) ?? {};
    results.set(label, { dx: r.dx && merge(old.dx, r.dx), dw: r.dw && merge(old.dw, r.dw) });
  };
  for (let round = 0; round < rounds; round++) {
    for (const threads of threadCounts) {
      const report = await initBackend('wasm', { threads });
      add(report.detail, grads(MAIN, minMs));
    }
    await initBackend('wasm', { threads: 1 });
    useStockConv2DBackpropInput(true);
    add('wasm 1 thread, stock scalar Conv2DBackpropInput', { dx: grads(MAIN, minMs).dx });
    useStockConv2DBackpropInput(false);
  }
  await initBackend('cpu');
  add('cpu (pure JS)', grads(MAIN, 0));
  for (const [label, r] of results) row(label, r);
  if (process.argv.includes('--main-only')) return;

  for (const threads of [1, 2]) {
    await initBackend('wasm', { threads });
    console.log(`\nweight gradient by method, wasm ${threads} thread(s), ms per call`);
    for (const l of CYCLEGAN) {
      const x = tf.randomNormal(l.x) as tf.Tensor4D;
      const dy = tf.randomNormal(outShape(l)) as tf.Tensor4D;
      const ms: Record<string, number> = {};
      for (const method of ['im2col', 'columns', 'dy-columns', 'dilated-conv', 'auto'] as const) {
        setFilterGradMethod(method);
        ms[method] = time(() => filterGrad(x, dy, l), minMs / 2).median;
      }
      setFilterGradMethod('auto');
      tf.dispose([x, dy]);
      console.log(`${l.name.padEnd(26)} ${Object.entries(ms).map(([m, t]) => `${m} ${t.toFixed(2).padStart(7)}`).join('   ')}`);
    }
  }
}

await main();
