// The one module that chooses and starts a tfjs backend. Everything else calls initBackend and then uses tfjs.
// auto: tfjs-node-gpu (CUDA) → webgpu on a hardware adapter (Dawn) → tfjs-node → wasm (patched for training,
// multithreaded) → cpu. A software WebGPU adapter is never chosen by auto; `webgpu` by name accepts it with a warning.
// Whatever runs, the MirrorPad gradient fix is installed (it is wrong in stock tfjs on every backend).

import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { installMirrorPadGradient } from './mirror-pad-grad.js';
import { adapterName, gpuFailure, startWebGpu, WebGpuUnavailable, type GpuAdapterReport } from './webgpu.js';

export { adapterName, gpuFailure, type GpuAdapterReport } from './webgpu.js';

import { BACKEND_PREFERENCES, isValidBackendPreference, type BackendName, type BackendPreference } from './names.js';
import type { DeviceChoice, DeviceUse } from '../onnx/devices.js';
import { option, remedy } from '../errors.js';

export { BACKEND_NAMES, BACKEND_PREFERENCES, isValidBackendPreference, type BackendName, type BackendPreference } from './names.js';

export interface BackendReport {
  /** What tfjs now runs on. */
  name: BackendName;
  /** Human text, e.g. "wasm (SIMD, 2 threads, patched for training)". */
  detail: string;
  /** Compute threads in use (1 for cpu and the GPU backends' host side). */
  threads: number;
  /** The GPU it runs on (webgpu). */
  adapter?: GpuAdapterReport;
  /** Said to the user when the run starts (e.g. a software GPU adapter chosen by name). */
  warning?: string;
  /** Better options that were tried and why they failed, in order. */
  unavailable: { name: string; reason: string }[];
  /** onnx: the ONNX Runtime device the training graphs are placed on. */
  device?: DeviceUse;
}

export interface InitBackendOptions {
  /** Compute threads (wasm; the CPU provider of onnx). */
  threads?: number;
  /** onnx: where ONNX Runtime runs (auto, cpu, webgpu, cuda, dml, coreml; the rules of convert --device). */
  device?: DeviceChoice;
}

const NATIVE_GPU = { spec: '@tensorflow/tfjs-node-gpu', label: 'tfjs-node-gpu, CUDA' } as const;
const NATIVE_CPU = { spec: '@tensorflow/tfjs-node', label: 'tfjs-node' } as const;
type NativePackage = typeof NATIVE_GPU | typeof NATIVE_CPU;

let last: { key: string; report: BackendReport } | null = null;

function reasonOf(error: unknown): string {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'not installed';
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}

async function tryNative(unavailable: BackendReport['unavailable'], packages: readonly NativePackage[] = [NATIVE_GPU, NATIVE_CPU]): Promise<BackendReport | null> {
  for (const { spec, label } of packages) {
    try {
      await import(spec);
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${spec} loaded but its backend did not start`);
      return { name: 'tensorflow', detail: `tensorflow (${label})`, threads: availableParallelism(), unavailable };
    } catch (error) {
      unavailable.push({ name: `tensorflow (${spec})`, reason: reasonOf(error) });
    }
  }
  return null;
}

async function startWasm(threads: number, unavailable: BackendReport['unavailable']): Promise<BackendReport> {
  const loader = await import('./wasm-loader.js');
  const start = await loader.startWasm(threads);
  let detail = `wasm (SIMD, ${start.threads} thread${start.threads === 1 ? '' : 's'}, patched for training)`;
  if (start.fallbackReason !== undefined) {
    unavailable.push({ name: `wasm (${threads} threads)`, reason: start.fallbackReason });
    detail += `; multithreading unavailable: ${start.fallbackReason}`;
  }
  return { name: 'wasm', detail, threads: start.threads, unavailable };
}

async function startGpu(allowSoftware: boolean): Promise<BackendReport> {
  const adapter = await startWebGpu(allowSoftware);
  const report: BackendReport = { name: 'webgpu', detail: `webgpu (Dawn) on ${adapterName(adapter)}`, threads: 1, adapter, unavailable: [] };
  if (adapter.software) {
    report.warning = `WebGPU runs on a software adapter, ${adapterName(adapter)}: correct but far slower than ${option('backend', 'wasm')}.`;
  }
  return report;
}

async function tryGpu(unavailable: BackendReport['unavailable']): Promise<BackendReport | null> {
  try {
    return { ...(await startGpu(false)), unavailable };
  } catch (error) {
    unavailable.push({ name: 'webgpu', reason: error instanceof WebGpuUnavailable ? error.message : reasonOf(error) });
    return null;
  }
}

/**
 * The ONNX Runtime engine: its graphs run on the device placed here; tfjs keeps the weights and the data feed on its
 * cpu backend, whose tensors are plain memory that ONNX Runtime reads without a copy. Forward passes that tfjs
 * itself runs (sample grids) go to wasm when it starts (drawWith).
 */
async function startOnnx(device: DeviceChoice, threads: number, unavailable: BackendReport['unavailable']): Promise<BackendReport> {
  const { placeOnnxDevice } = await import('../onnx/runtime.js');
  const placed = await placeOnnxDevice(device, threads);
  try {
    await startWasm(threads, []);
    drawingBackend = 'wasm';
  } catch {
    drawingBackend = null; // the grids are drawn on cpu: slow, but they come
  }
  await startCpu([]);
  return { name: 'onnx', detail: `onnx (${placed.detail})`, threads, device: placed, unavailable };
}

/** Where tfjs's own forward passes run while the onnx engine trains; null: on the active backend. */
let drawingBackend: 'wasm' | null = null;

/**
 * Runs `draw` (forward passes the user looks at, e.g. a sample grid, and reading their pixels) on the backend fit
 * for them. Under onnx, tfjs's cpu backend took 190–254 s for one light CycleGAN grid at 128 px where wasm takes
 * 3–4 s; the weights move to wasm for the grid and back at the next training step (one copy each way).
 */
export async function drawWith<T>(draw: () => Promise<T>): Promise<T> {
  const active = tf.getBackend();
  if (drawingBackend === null || active !== 'cpu' || last?.report.name !== 'onnx') return draw();
  if (!(await tf.setBackend(drawingBackend))) return draw();
  try {
    return await draw();
  } finally {
    await tf.setBackend(active);
  }
}

/** auto's onnx step: null, with the reason recorded, where it cannot start. */
async function tryOnnx(device: DeviceChoice, threads: number, unavailable: BackendReport['unavailable']): Promise<BackendReport | null> {
  try {
    return await startOnnx(device, threads, unavailable);
  } catch (error) {
    unavailable.push({ name: 'onnx', reason: reasonOf(error) });
    return null;
  }
}

async function startCpu(unavailable: BackendReport['unavailable']): Promise<BackendReport> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not start');
  // Its first write prints "install tfjs-node" to stderr; this report already says what runs and why.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return { name: 'cpu', detail: 'cpu (pure JavaScript, slow)', threads: 1, unavailable };
}

/**
 * Chooses, starts and activates a tfjs backend. `threads` applies to wasm (default: all logical cores, at most 8;
 * on the 2-core machine, quiet, a light CycleGAN iteration took 0.95–1.36 s with 2 threads against 1.57 s with 1 at
 * 64 px, and 2.96–3.38 s against 5.2–5.7 s at 128 px — 2 threads lose only when other processes hold the cores).
 * Calling again with the same choice is cheap. Changing the wasm thread count re-creates the wasm backend,
 * which drops every tensor that lives on it.
 */
export async function initBackend(preference: BackendPreference, options: InitBackendOptions = {}): Promise<BackendReport> {
  if (!isValidBackendPreference(preference)) {
    throw new Error(`Unknown backend '${String(preference)}': use one of ${BACKEND_PREFERENCES.join(', ')}.`);
  }
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
    throw new Error(`threads must be a whole number ≥ 1, got ${options.threads}.`);
  }
  // Installed after the backend starts too: importing tfjs-node with its own copy of tfjs-core re-registers
  // the stock gradients in the shared registry.
  installMirrorPadGradient();
  const threads = options.threads ?? availableParallelism();
  const device = options.device ?? 'auto';
  const key = `${preference}/${threads}/${device}`;
  const gpuBroken = last?.report.name === 'webgpu' && gpuFailure() !== null;
  if (last?.key === key && tf.getBackend() === last.report.name && !gpuBroken) return cloneReport(last.report);

  const unavailable: BackendReport['unavailable'] = [];
  let report: BackendReport;
  switch (preference) {
    case 'tensorflow': {
      const native = await tryNative(unavailable);
      if (native === null) {
        throw new Error(
          `The 'tensorflow' backend cannot start (${unavailable.map((u) => `${u.name.replace(/^tensorflow \((.*)\)$/, '$1')}: ${u.reason}`).join('; ')}). ` +
            `Install @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu with CUDA), which downloads libtensorflow ` +
            `when installed, or choose ${option('backend', 'wasm')}.`,
        );
      }
      report = native;
      break;
    }
    case 'webgpu':
      try {
        report = await startGpu(true);
      } catch (error) {
        throw new Error(`The 'webgpu' backend cannot start (${reasonOf(error)}). Choose ${option('backend', 'wasm')}, or see ${remedy({ action: 'devices' })}.`);
      }
      break;
    case 'wasm':
      try {
        report = await startWasm(threads, unavailable);
      } catch (error) {
        throw new Error(
          `The 'wasm' backend cannot start (${reasonOf(error)}). Check that @tensorflow/tfjs-backend-wasm is installed ` +
            `(npm install), or choose ${option('backend', 'cpu')}.`,
        );
      }
      break;
    case 'onnx':
      try {
        report = await startOnnx(device, threads, unavailable);
      } catch (error) {
        throw new Error(`The 'onnx' backend cannot start (${reasonOf(error)}). Choose another ${option('device')}, or ${option('backend', 'wasm')}.`);
      }
      break;
    case 'cpu':
      report = await startCpu(unavailable);
      break;
    case 'auto':
      report =
        (await tryNative(unavailable, [NATIVE_GPU])) ??
        (await tryGpu(unavailable)) ??
        (await tryOnnx(device, threads, unavailable)) ??
        (await tryNative(unavailable, [NATIVE_CPU])) ??
        (await startWasm(threads, unavailable).catch(async (error: unknown) => {
          unavailable.push({ name: 'wasm', reason: reasonOf(error) });
          return startCpu(unavailable);
        }));
      break;
  }
  installMirrorPadGradient();
  last = { key, report };
  return cloneReport(report);
}

function cloneReport(report: BackendReport): BackendReport {
  return { ...report, ...(report.device ? { device: { ...report.device } } : {}), unavailable: report.unavailable.map((u) => ({ ...u })), ...(report.adapter ? { adapter: { ...report.adapter, features: [...report.adapter.features] } } : {}) };
}
