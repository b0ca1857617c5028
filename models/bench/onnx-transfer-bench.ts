// npm run bench:onnx-transfer — what the ONNX engine's round trips cost. Every step feeds each graph its weights,
// Adam moments and images and takes the updated ones back (onnxruntime-node cannot keep a tensor on a device
// between runs). Timed side by side, per phase of a light CycleGAN: the training step itself, and a graph that
// only passes the same inputs through to outputs of the same sizes — the transfers alone, on the same device.
//   options: --size 128  --device cpu|webgpu|cuda|dml|coreml (default cpu)  --iterations N (default 6)
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
import { OnnxEngine } from '../diff/onnx-engine.js';
import { Graph, sizeOf, type Sym } from '../diff/graph.js';
import { toOnnx } from '../diff/to-onnx.js';
import { cyclegan } from '../families/cyclegan.js';
import { batchSource, syntheticImages } from '../families/test-support.js';
import type { DeviceChoice } from '../onnx/devices.js';
import { openTrainingSession } from '../onnx/runtime.js';
import { Rng } from '../rng.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const size = Number(flag('size', '128'));
const device = flag('device', 'cpu') as DeviceChoice;
const iterations = Number(flag('iterations', '6'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await initBackend('cpu');
const engine = new OnnxEngine({ device, threads: availableParallelism() });
const model = cyclegan.create(cyclegan.resolveConfig({ size, preset: 'light' }), new Rng(1), engine);
const source = batchSource(syntheticImages(1, 4, size), size, 1, 2, syntheticImages(2, 4, size));
const stepSeconds: number[] = [];
for (let i = 0; i < iterations + 2; i++) {
  const start = performance.now();
  await model.trainStep(() => source.next(), 1);
  if (i >= 2) stepSeconds.push((performance.now() - start) / 1000);
}

console.log(`light CycleGAN ${size} px on onnx ${engine.device?.name ?? device}: ${median(stepSeconds).toFixed(3)} s per iteration (both phases, median)`);
let transferTotal = 0;
for (const [key, io] of Object.entries(await engine.graphIO())) {
  // The same inputs in, and outputs of the same sizes out: each output a copy of an input of its shape.
  const g = new Graph();
  const inputs = new Map<string, Sym>(io.inputs.map((i) => [i.name, g.input(i.name, i.shape, i.dtype)]));
  const outputs: Record<string, Sym> = {};
  for (const o of io.outputs) {
    const from = io.inputs.find((i) => i.dtype === 'float32' && i.shape.join() === o.shape.join());
    outputs[o.name] = from ? g.mul(inputs.get(from.name)!, g.scalar(1)) : g.constant(new Float32Array(sizeOf(o.shape)), o.shape);
  }
  const session = await openTrainingSession(toOnnx(g, outputs, 'transfer').bytes, { device, label: key });
  const feeds = Object.fromEntries(
    io.inputs.map((i) => [i.name, { data: i.dtype === 'int64' ? new BigInt64Array(sizeOf(i.shape)) : new Float32Array(sizeOf(i.shape)), dims: i.shape }]),
  );
  const times: number[] = [];
  for (let i = 0; i < iterations + 2; i++) {
    const start = performance.now();
    const result = await session.run(feeds);
    // Reading back every output, as a step does when it assigns the new weights.
    for (const r of Object.values(result)) tf.tidy(() => tf.tensor(r.data, r.dims)).dispose();
    if (i >= 2) times.push((performance.now() - start) / 1000);
  }
  await session.release();
  const megabytes = (list: { shape: number[] }[]) => list.reduce((n, x) => n + sizeOf(x.shape) * 4, 0) / 1e6;
  const t = median(times);
  transferTotal += t;
  console.log(`  ${key.split(':')[0]}: ${megabytes(io.inputs).toFixed(0)} MB in, ${megabytes(io.outputs).toFixed(0)} MB out: ${(t * 1000).toFixed(1)} ms for the transfers alone`);
}
console.log(`round trips: ${((transferTotal / median(stepSeconds)) * 100).toFixed(1)}% of an iteration on ${engine.device?.name ?? device}`);
model.dispose();
await engine.dispose();
