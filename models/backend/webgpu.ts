// Starts tfjs's WebGPU backend in Node on Dawn (the `webgpu` package: Vulkan on Linux and Windows, Metal on macOS,
// D3D12 on Windows), on the high-performance adapter.
//
// A software adapter (SwiftShader, llvmpipe, WARP, any fallback adapter) is slower than our wasm kernels, so
// `auto` never takes it; asked for by name it runs with a warning (that is how the tests run without a GPU).
// The device we create is the one tfjs uses (we register the backend's factory ourselves), so its limits are the
// adapter's and its errors — out of memory, a lost device — reach gpuFailure(), which the training loop checks
// after every step: a GPU error otherwise shows up only as silently wrong numbers.

import * as tf from '@tensorflow/tfjs';
import { adapterName, isSoftwareAdapter, type GpuAdapterInfo } from '../gpu/adapter.js';
import { dawnModuleUrl } from '../gpu/dawn-module.js';
// The WebGPU types of the Dawn we load (its own, newer @webgpu/types: adapter.info and friends).
import type {} from 'webgpu';
import { option } from '../errors.js';

export { adapterName };
/** The adapter training runs on; the device is created with these limits (the adapter's own maxima). */
export type GpuAdapterReport = GpuAdapterInfo;

/** Why WebGPU training cannot start here; `software` when the only adapter is a software one. */
export class WebGpuUnavailable extends Error {
  constructor(
    message: string,
    readonly adapter?: GpuAdapterReport,
  ) {
    super(message);
    this.name = 'WebGpuUnavailable';
  }
}

const WEBGPU_PRIORITY = 3; // the stock registration's priority

let gpu: GPU | null = null;
let started: { device: GPUDevice; adapter: GpuAdapterReport } | null = null;
let failure: string | null = null;

/** Dawn's GPU object for this process, created once (its globals — GPUBufferUsage and friends — installed). */
async function dawn(): Promise<GPU> {
  if (gpu) return gpu;
  let webgpu: { create(options: string[]): GPU; globals: object };
  try {
    webgpu = (await import(dawnModuleUrl())) as unknown as typeof webgpu;
  } catch (error) {
    throw new WebGpuUnavailable(`Dawn (the webgpu package) did not load: ${(error as Error).message.split('\n')[0]}`);
  }
  for (const [name, value] of Object.entries(webgpu.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  gpu = webgpu.create([]);
  // tfjs-webgpu looks for navigator.gpu when it is imported: Node 20 has no navigator, Node 21+ one without gpu.
  const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: GPU };
  if (nav.gpu === undefined) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  return gpu;
}

function describeAdapter(adapter: GPUAdapter): GpuAdapterReport {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const isFallbackAdapter = info.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? null;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software: isSoftwareAdapter({ ...info, isFallbackAdapter }),
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    features: [...adapter.features],
  };
}

/** The adapter Dawn offers for high-performance work, without starting anything; throws WebGpuUnavailable. */
async function probeWebGpuAdapter(): Promise<{ adapter: GPUAdapter; report: GpuAdapterReport }> {
  const adapter = await (await dawn()).requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new WebGpuUnavailable(
      'no WebGPU adapter: Dawn found no Vulkan, Metal or D3D12 GPU (on Linux, check that the Vulkan loader libvulkan1 and a GPU driver are installed)',
    );
  }
  return { adapter, report: describeAdapter(adapter) };
}

/**
 * Starts tfjs on WebGPU and activates it. A software adapter is refused unless `allowSoftware`.
 * Returns the adapter it runs on. Calling again reuses the device.
 */
export async function startWebGpu(allowSoftware: boolean): Promise<GpuAdapterReport> {
  if (started && failure === null) {
    if (started.adapter.software && !allowSoftware) throw softwareRefusal(started.adapter);
    if (!(await tf.setBackend('webgpu'))) throw new WebGpuUnavailable('the WebGPU backend did not start again');
    return started.adapter;
  }
  const { adapter, report } = await probeWebGpuAdapter();
  if (report.software && !allowSoftware) throw softwareRefusal(report);
  const device = await adapter.requestDevice({
    requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
    requiredLimits: {
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: adapter.limits.maxComputeWorkgroupsPerDimension,
      maxComputeWorkgroupSizeX: adapter.limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  failure = null;
  device.addEventListener('uncapturederror', (event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    failure ??= error instanceof GPUOutOfMemoryError ? `the GPU ran out of memory (${error.message})` : `a GPU error: ${error.message}`;
  });
  void device.lost.then((info) => {
    failure ??= `the GPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''})`;
  });
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  // Importing the package registered a factory that makes its own device; ours must be the one in use.
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info), WEBGPU_PRIORITY);
  if (!(await tf.setBackend('webgpu'))) throw new WebGpuUnavailable(`tfjs's WebGPU backend did not start on ${adapterName(report)}`);
  started = { device, adapter: report };
  return report;
}

function softwareRefusal(report: GpuAdapterReport): WebGpuUnavailable {
  return new WebGpuUnavailable(
    `the only WebGPU adapter is a software one (${adapterName(report)}), slower than the CPU backends; choose ${option('backend', 'webgpu')} to use it anyway`,
    report,
  );
}

/** The first GPU error since the device started (out of memory, device lost), or null; training checks it each step. */
export function gpuFailure(): string | null {
  return started ? failure : null;
}

/** The device tfjs runs on, for tests that need to lose it on purpose. */
export function webGpuDevice(): GPUDevice | null {
  return started?.device ?? null;
}
