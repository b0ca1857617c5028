// Backend choice and start-up: the public API, the multithreaded wasm loader (this test fails if a tfjs upgrade
// breaks it), determinism, and switching backends inside one process. Restores the backend it found.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.js';
import { initBackend, isValidBackendPreference } from './index.js';
import { MAX_WASM_THREADS, PINNED_TFJS_VERSION, wasmPackageVersion, wasmThreadPool } from './wasm-loader.js';
import { normals } from './test-util.js';
import { cliText } from '../../electron/remedy-words.js';

const CORES = availableParallelism();

let found: string | undefined; // undefined when no backend had been started
before(() => {
  found = tf.getBackend();
});
after(async () => {
  if (found !== undefined) await tf.setBackend(found);
});

/** Is a native tfjs package importable here? (Not on the build machine: their install needs Google storage.) */
async function installed(spec: string): Promise<boolean> {
  try {
    await import(spec);
    return true;
  } catch {
    return false;
  }
}

/** Gradients of a small conv net (stride 2, transpose, reflection padding, instance-norm statistics), read back. */
function convNetGradients(seed: number): Float32Array[] {
  const rng = new Rng(seed);
  const gs = tf.tidy(() => {
    const x = tf.tensor4d(normals(rng, [2, 32, 24, 3]), [2, 32, 24, 3]);
    const w1 = tf.tensor4d(normals(rng, [3, 3, 3, 16]), [3, 3, 3, 16]);
    const w2 = tf.tensor4d(normals(rng, [3, 3, 8, 16]), [3, 3, 8, 16]);
    return tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
      const p = tf.mirrorPad(a as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]], 'reflect');
      const h = tf.relu(tf.conv2d(p, b as tf.Tensor4D, 2, 'valid'));
      const { mean, variance } = tf.moments(h, [1, 2], true);
      const n = tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5))) as tf.Tensor4D;
      const y = tf.conv2dTranspose(n, c as tf.Tensor4D, [2, 33, 25, 8], 2, 'valid');
      return tf.mean(tf.square(tf.tanh(y))) as tf.Scalar;
    })([x, w1, w2]);
  });
  const out = gs.map((g) => Float32Array.from(g.dataSync()));
  tf.dispose(gs);
  return out;
}

function bitIdentical(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length && a.every((x, i) => Buffer.compare(Buffer.from(x.buffer), Buffer.from(b[i].buffer)) === 0);
}

test('backend preferences are validated', async () => {
  for (const ok of ['auto', 'tensorflow', 'webgpu', 'onnx', 'wasm', 'cpu']) assert.ok(isValidBackendPreference(ok), ok);
  for (const bad of ['', 'gpu', 'webgl', 'WASM', 'tfjs-node']) assert.ok(!isValidBackendPreference(bad), bad);
  await assert.rejects(initBackend('gpu' as never), /Unknown backend 'gpu': use one of auto, tensorflow, webgpu, onnx, wasm, cpu\./);
  await assert.rejects(initBackend('wasm', { threads: 0 }), /threads must be a whole number/);
  await assert.rejects(initBackend('wasm', { threads: 1.5 }), /threads must be a whole number/);
});

test('tfjs versions are pinned to the one the wasm loader was written for', () => {
  assert.equal(tf.version_core, PINNED_TFJS_VERSION);
  assert.equal(wasmPackageVersion(), PINNED_TFJS_VERSION);
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  assert.equal(pkg.dependencies['@tensorflow/tfjs'], PINNED_TFJS_VERSION);
  assert.equal(pkg.dependencies['@tensorflow/tfjs-backend-wasm'], PINNED_TFJS_VERSION);
});

test('wasm starts multithreaded on all cores, and the module really runs that many threads', async () => {
  const report = await initBackend('wasm');
  const expected = Math.min(CORES, MAX_WASM_THREADS);
  assert.equal(report.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(report.threads, expected, report.detail);
  assert.match(report.detail, new RegExp(`^wasm \\(SIMD, ${expected} threads?, patched for training\\)$`));
  if (CORES >= 2) {
    // Asked of the running module, not of our bookkeeping: XNNPACK's pool size, and the pthreads (one fewer:
    // the calling thread works too) that emscripten really started in worker_threads.
    const pool = wasmThreadPool();
    assert.ok(pool !== null, 'the threaded build is not running');
    assert.equal(pool.threads, expected);
    assert.equal(pool.pthreadsRunning, expected - 1);
  }
});

test('initBackend is idempotent: a repeated call restarts nothing', async () => {
  const first = await initBackend('wasm');
  const instance = tf.backend();
  const again = await initBackend('wasm');
  assert.deepEqual(again, first);
  assert.equal(tf.backend(), instance, 'the same backend instance, not a new one');
});

test('threads can be set; 2 threads run the threaded build, 1 the plain SIMD build', async () => {
  const one = await initBackend('wasm', { threads: 1 });
  assert.equal(one.threads, 1);
  assert.match(one.detail, /^wasm \(SIMD, 1 thread, patched for training\)$/);
  assert.equal(wasmThreadPool(), null);
  const two = await initBackend('wasm', { threads: 2 });
  assert.equal(two.threads, 2);
  assert.deepEqual(wasmThreadPool(), { threads: 2, pthreadsRunning: 1 });
});

test('if the threaded build cannot start, wasm falls back to one thread and says why', async () => {
  // Only the threaded build imports emscripten_num_logical_cores: make exactly its instantiation fail.
  const instantiate = WebAssembly.instantiate;
  const failing = (async (bytes: BufferSource, imports?: WebAssembly.Imports) => {
    if (imports?.env !== undefined && 'emscripten_num_logical_cores' in imports.env) throw new Error('simulated failure');
    return instantiate(bytes, imports);
  }) as typeof WebAssembly.instantiate;
  WebAssembly.instantiate = failing;
  try {
    const report = await initBackend('wasm', { threads: 3 });
    assert.equal(report.name, 'wasm');
    assert.equal(report.threads, 1);
    assert.match(report.detail, /^wasm \(SIMD, 1 thread, patched for training\); multithreading unavailable: .*simulated failure/);
    assert.equal(report.unavailable.at(-1)?.name, 'wasm (3 threads)');
    assert.equal(wasmThreadPool(), null);
    assert.deepEqual(Array.from(tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1)).dataSync()), [2, 3]);
  } finally {
    WebAssembly.instantiate = instantiate;
  }
  assert.equal((await initBackend('wasm', { threads: 2 })).threads, 2);
});

test('wasm is deterministic: the same gradients twice are bit-identical, with 1 thread or 2', async () => {
  await initBackend('wasm', { threads: 2 });
  const a = convNetGradients(1);
  const b = convNetGradients(1);
  assert.ok(bitIdentical(a, b), 'two runs on 2 threads differ');
  await initBackend('wasm', { threads: 1 });
  const c = convNetGradients(1);
  assert.ok(bitIdentical(c, convNetGradients(1)), 'two runs on 1 thread differ');
  // Measured: the thread count does not change results either (XNNPACK splits work by output tiles; each
  // output is still summed in the same order). Resuming a run on another thread count stays exact.
  assert.ok(bitIdentical(a, c), '1 and 2 threads give different results');
});

test('cpu is always there', async () => {
  const report = await initBackend('cpu');
  assert.deepEqual(report, { name: 'cpu', detail: 'cpu (pure JavaScript, slow)', threads: 1, unavailable: [] });
  assert.equal(tf.getBackend(), 'cpu');
});

test('auto takes the best backend that starts and says why the better ones did not', async () => {
  const gpu = await installed('@tensorflow/tfjs-node-gpu');
  const node = await installed('@tensorflow/tfjs-node');
  const report = await initBackend('auto');
  if (gpu || node) {
    assert.equal(report.name, 'tensorflow');
    return;
  }
  if (report.name === 'webgpu') return; // a hardware GPU adapter is here
  // Darkroom's ONNX Runtime engine, ahead of tfjs-node and wasm (faster for every family, architecture.md).
  assert.equal(report.name, 'onnx');
  // In auto's order; webgpu's reason depends on the machine (no adapter, a software one, Dawn not loading).
  assert.deepEqual(report.unavailable.map((u) => u.name), ['tensorflow (@tensorflow/tfjs-node-gpu)', 'webgpu']);
  assert.equal(report.unavailable[0].reason, 'not installed');
  assert.ok(report.unavailable[1].reason.length > 0, 'says why WebGPU was not used');
  assert.equal(report.threads, CORES);
  assert.equal(report.device?.name, 'cpu', 'no real GPU here: ONNX Runtime trains on the CPU');
});

test('forcing tensorflow where it cannot start fails with what to do', async (t) => {
  if ((await installed('@tensorflow/tfjs-node-gpu')) || (await installed('@tensorflow/tfjs-node'))) {
    t.skip('a native backend is installed here');
    return;
  }
  const before = tf.getBackend();
  await assert.rejects(
    initBackend('tensorflow'),
    (e: Error) =>
      /tfjs-node-gpu: not installed/.test(e.message) && /npm install|Install @tensorflow\/tfjs-node/.test(e.message) && /--backend wasm/.test(cliText(e.message)),
  );
  assert.equal(tf.getBackend(), before, 'a failed start must leave the active backend alone');
});

test('switching backends in one process: tensors follow, results agree', async () => {
  await initBackend('cpu');
  const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const onCpu = Array.from(tf.tidy(() => tf.matMul(x, x, false, true)).dataSync());
  await initBackend('wasm');
  const y = tf.tidy(() => tf.matMul(x, x, false, true));
  assert.deepEqual(Array.from(y.dataSync()), onCpu);
  await initBackend('cpu');
  assert.deepEqual(Array.from(tf.tidy(() => tf.add(y, 0)).dataSync()), onCpu);
  tf.dispose([x, y]);
});
