// Finding out which inference devices work on this machine. The rules per device live here; the one call that
// needs ONNX Runtime (does a provider initialise on a one-node model?) comes in from runtime.ts, the only module
// that imports it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { adapterName, probeGpuAdapter, type GpuAdapterProbe } from '../gpu/adapter.js';
import { AUTO_ORDER, DEVICE_LABELS, autoDevice, devicesElsewhere, platformDevices, type InferenceDevice, type InferenceDeviceInfo, type InferenceDevicesReport } from './devices.js';
import { remedy } from '../errors.js';

export type { InferenceDevicesReport } from './devices.js';

export interface ProviderProbes {
  runtimeVersion: string;
  /** Providers this build of onnxruntime-node was compiled with (listSupportedBackends). */
  compiledIn: readonly string[];
  /** Where onnxruntime-node keeps its native libraries for this platform. */
  binaryDir: string;
  /** Creates a session on `device` for a one-node model: null when that works, else ONNX Runtime's message. */
  tryProvider(device: InferenceDevice): Promise<string | null>;
  /** The platform whose devices are probed (process.platform unless a test says otherwise). */
  platform?: string;
  /** Whether a file exists (existsSync unless a test says otherwise). */
  exists?: (path: string) => boolean;
  /** Dawn's GPU adapter (probeGpuAdapter unless a test says otherwise). */
  gpuAdapter?: () => Promise<GpuAdapterProbe>;
}

/** The onnxruntime-node package's folder, found without loading it. */
export function onnxRuntimePackageDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..');
}

/** Where onnxruntime-node keeps its native libraries for this platform (and its installer puts the CUDA provider). */
export function onnxRuntimeBinaryDir(): string {
  return join(onnxRuntimePackageDir(), 'bin', 'napi-v6', process.platform, process.arch);
}

const CUDA_LIBRARY: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'libonnxruntime_providers_cuda.so',
  win32: 'onnxruntime_providers_cuda.dll',
};

/**
 * NVIDIA's driver shows itself in these files: on Linux its kernel module's version and its first device node, on
 * Windows the nvidia-smi it installs. CUDA runs only on an NVIDIA GPU.
 */
function nvidiaDriverFiles(platform: string): string[] {
  if (platform === 'linux') return ['/proc/driver/nvidia/version', '/dev/nvidia0'];
  if (platform === 'win32') return [join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', 'nvidia-smi.exe')];
  return [];
}

/** Whether this machine shows an NVIDIA GPU: a hardware adapter of NVIDIA's (Dawn's, on any platform) or its driver's files. */
export function nvidiaGpuSeen(gpu: GpuAdapterProbe, platform: string, exists: (path: string) => boolean): boolean {
  if (gpu.adapter && !gpu.adapter.software && /nvidia/i.test(`${gpu.adapter.vendor} ${gpu.adapter.description}`)) return true;
  return nvidiaDriverFiles(platform).some((file) => exists(file));
}

/**
 * Probes once every device this platform's ONNX Runtime can have; one that is not there is listed with the reason,
 * and the devices only other platforms have are named apart, with why (`elsewhere`).
 */
export async function probeDevices(p: ProviderProbes): Promise<InferenceDevicesReport> {
  const platform = p.platform ?? process.platform;
  const gpu = await (p.gpuAdapter ?? probeGpuAdapter)();
  const probes: Record<InferenceDevice, () => InferenceDeviceInfo | Promise<InferenceDeviceInfo>> = {
    cuda: () => probeCuda(p, gpu, platform),
    dml: () => probeDml(p, gpu, platform),
    coreml: () => probeCoreml(p, gpu, platform),
    webgpu: () => probeWebgpu(p, gpu, platform),
    cpu: cpuDevice,
  };
  const here = platformDevices(platform);
  const devices: InferenceDeviceInfo[] = [];
  for (const name of AUTO_ORDER) if (here.includes(name)) devices.push(await probes[name]());
  return { runtimeVersion: p.runtimeVersion, threads: availableParallelism(), devices, elsewhere: devicesElsewhere(platform), auto: autoDevice(devices) };
}

const unavailable = (name: InferenceDevice, reason: string, extra: Partial<InferenceDeviceInfo> = {}): InferenceDeviceInfo => ({
  name,
  available: false,
  usable: false,
  reason,
  kind: null,
  adapter: null,
  limits: null,
  ...extra,
});

function cpuDevice(): InferenceDeviceInfo {
  return { name: 'cpu', available: true, usable: true, reason: null, kind: 'hardware', adapter: cpus()[0]?.model.trim() || null, limits: { memoryBytes: totalmem() } };
}

async function probeCuda(p: ProviderProbes, gpu: GpuAdapterProbe, platform: string): Promise<InferenceDeviceInfo> {
  if (!p.compiledIn.includes('cuda')) return unavailable('cuda', `this build of onnxruntime-node (${platform}/${process.arch}) has no CUDA support`);
  const exists = p.exists ?? existsSync;
  const library = join(p.binaryDir, CUDA_LIBRARY[platform as NodeJS.Platform] ?? 'onnxruntime_providers_cuda');
  // Checked first because a failed load makes ONNX Runtime print an alarming error of its own. Fetching the provider
  // is worth suggesting only where there is a GPU for it to run on.
  if (!exists(library)) {
    if (!nvidiaGpuSeen(gpu, platform, exists))
      return unavailable('cuda', 'no NVIDIA GPU was found (no NVIDIA driver, nor an NVIDIA adapter): CUDA runs only on one');
    // ONNX Runtime publishes its CUDA provider for Node for Linux x64 only (models/onnx/cuda-setup.ts).
    const fetch = platform === 'linux' && process.arch === 'x64' ? `: run ${remedy({ action: 'command', command: 'setup cuda' })}` : '';
    return unavailable('cuda', `the CUDA provider library is not installed (${library} is missing)${fetch}`);
  }
  const failure = await p.tryProvider('cuda');
  if (failure) return unavailable('cuda', `CUDA did not initialise (it needs an NVIDIA driver, CUDA 12 and cuDNN 9): ${failure}`);
  return { name: 'cuda', available: true, usable: true, reason: null, kind: 'hardware', adapter: null, limits: null };
}

/** DirectML runs on Direct3D 12's default adapter, which on a machine without a GPU is WARP, a software one. */
async function probeDml(p: ProviderProbes, gpu: GpuAdapterProbe, platform: string): Promise<InferenceDeviceInfo> {
  if (!p.compiledIn.includes('dml')) return unavailable('dml', `this build of onnxruntime-node (${platform}/${process.arch}) has no DirectML support`);
  const failure = await p.tryProvider('dml');
  if (failure) return unavailable('dml', `DirectML did not initialise: ${failure}`);
  if (!gpu.adapter) return { ...unavailable('dml', `no hardware GPU was found for it (${gpu.reason})`), usable: true };
  const adapter = adapterName(gpu.adapter);
  if (gpu.adapter.software) return { ...unavailable('dml', `the GPU adapter is a software one (${adapter}); used only when asked for by name`), usable: true, kind: 'software', adapter };
  return { name: 'dml', available: true, usable: true, reason: null, kind: 'hardware', adapter, limits: null };
}

async function probeCoreml(p: ProviderProbes, gpu: GpuAdapterProbe, platform: string): Promise<InferenceDeviceInfo> {
  if (!p.compiledIn.includes('coreml')) return unavailable('coreml', `this build of onnxruntime-node (${platform}/${process.arch}) has no Core ML support`);
  const failure = await p.tryProvider('coreml');
  if (failure) return unavailable('coreml', `Core ML did not initialise: ${failure}`);
  return { name: 'coreml', available: true, usable: true, reason: null, kind: 'hardware', adapter: gpu.adapter ? adapterName(gpu.adapter) : null, limits: null };
}

/**
 * WebGPU on the adapter Dawn finds. A software adapter is usable when asked for by name but never `available`, and
 * is not tried here: creating ONNX Runtime's WebGPU context sets up a device for the rest of the process.
 */
async function probeWebgpu(p: ProviderProbes, gpu: GpuAdapterProbe, platform: string): Promise<InferenceDeviceInfo> {
  if (!p.compiledIn.includes('webgpu')) return unavailable('webgpu', `this build of onnxruntime-node (${platform}/${process.arch}) has no WebGPU support`);
  if (!gpu.adapter) return unavailable('webgpu', gpu.reason);
  const adapter = adapterName(gpu.adapter);
  const limits = { maxBufferSize: gpu.adapter.maxBufferSize, maxStorageBufferBindingSize: gpu.adapter.maxStorageBufferBindingSize };
  if (gpu.adapter.software)
    return { ...unavailable('webgpu', `software adapter (${adapter}): far slower than the CPU, so used only with device webgpu asked for by name`), usable: true, kind: 'software', adapter, limits };
  const failure = await p.tryProvider('webgpu');
  if (failure) return unavailable('webgpu', `ONNX Runtime's WebGPU provider did not start on ${adapter}: ${failure}`, { kind: 'hardware', adapter, limits });
  return { name: 'webgpu', available: true, usable: true, reason: null, kind: 'hardware', adapter, limits };
}

/** One line saying where models run, e.g. "ONNX Runtime 1.30.0 on WebGPU: NVIDIA GeForce RTX 4070 (nvidia lovelace)". */
export function deviceDetail(runtimeVersion: string, device: InferenceDeviceInfo, threads: number): string {
  const on = `ONNX Runtime ${runtimeVersion} on ${DEVICE_LABELS[device.name]}`;
  if (device.name === 'cpu') return `${on}, ${threads} threads`;
  const adapter = device.adapter ? `: ${device.adapter}` : '';
  return device.kind === 'software' ? `${on}${adapter}, a software adapter (slower than the CPU)` : `${on}${adapter}`;
}

/** The largest buffer a device takes (WebGPU's smaller limit), which bounds the tile; null where unlimited. */
export function maxBufferBytesOf(device: InferenceDeviceInfo): number | null {
  const { maxBufferSize, maxStorageBufferBindingSize } = device.limits ?? {};
  if (maxBufferSize === undefined || maxStorageBufferBindingSize === undefined) return null;
  return Math.min(maxBufferSize, maxStorageBufferBindingSize);
}
