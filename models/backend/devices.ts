// What each training backend would do on this machine, without starting one (for `darkroom devices` and the
// studio's Devices panel). The WebGPU adapter is asked of Dawn in a child process (models/gpu/adapter.ts), so a
// listing never changes the backend of the process that asks.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { adapterName, probeGpuAdapter } from '../gpu/adapter.js';
import { BACKEND_NAMES, MAX_WASM_THREADS, type TrainingBackendInfo, type TrainingBackendsReport } from './names.js';
import { option } from '../errors.js';

export type { TrainingBackendInfo, TrainingBackendsReport } from './names.js';

const require = createRequire(import.meta.url);

function installed(spec: string): boolean {
  try {
    require.resolve(spec);
    return true;
  } catch {
    return false;
  }
}

async function tensorflow(): Promise<TrainingBackendInfo> {
  const base = { name: 'tensorflow' as const, usable: false, detail: 'libtensorflow through tfjs-node-gpu (CUDA 11.2, cuDNN 8.1)' };
  if (!installed('@tensorflow/tfjs-node-gpu')) {
    return { ...base, available: false, reason: '@tensorflow/tfjs-node-gpu is not installed (it downloads libtensorflow for CUDA 11 when installed)' };
  }
  return { ...base, available: true, usable: true, reason: null };
}

async function webgpu(): Promise<TrainingBackendInfo> {
  const probe = await probeGpuAdapter();
  if (probe.adapter === null) return { name: 'webgpu', available: false, usable: false, reason: probe.reason, detail: 'Dawn (Vulkan, Metal or Direct3D 12)' };
  const { adapter } = probe;
  const detail = adapterName(adapter);
  if (adapter.software) {
    return { name: 'webgpu', available: false, usable: true, reason: 'a software adapter, slower than wasm: used only when asked for by name', detail, adapter };
  }
  return { name: 'webgpu', available: true, usable: true, reason: null, detail, adapter };
}

function wasm(): TrainingBackendInfo {
  const threads = Math.min(availableParallelism(), MAX_WASM_THREADS);
  if (!installed('@tensorflow/tfjs-backend-wasm')) {
    return { name: 'wasm', available: false, usable: false, reason: '@tensorflow/tfjs-backend-wasm is not installed: run npm install', detail: '' };
  }
  return { name: 'wasm', available: true, usable: true, reason: null, detail: `WebAssembly SIMD, up to ${threads} thread${threads === 1 ? '' : 's'}, patched for training` };
}

function onnx(): TrainingBackendInfo {
  if (!installed('onnxruntime-node')) return { name: 'onnx', available: false, usable: false, reason: 'onnxruntime-node is not installed: run npm install', detail: '' };
  return { name: 'onnx', available: true, usable: true, reason: null, detail: `ONNX Runtime, Darkroom's engine, on the device chosen by ${option('device')}, ${availableParallelism()} CPU threads; auto takes it after the GPU backends` };
}

export async function listTrainingBackends(): Promise<TrainingBackendsReport> {
  const found = [await tensorflow(), await webgpu(), onnx(), wasm(), { name: 'cpu' as const, available: true, usable: true, reason: null, detail: 'pure JavaScript, slow' }];
  const backends = BACKEND_NAMES.map((name) => found.find((b) => b.name === name)!);
  // auto's pick for every family; for those the onnx engine trains, auto takes onnx ahead of what follows it.
  return { backends, auto: backends.find((b) => b.available && b.name !== 'onnx')!.name };
}
