// The devices ONNX models can run on, what `auto` picks among them, and how a device bounds the tile. Plain data
// and rules, no ONNX Runtime: runtime.ts probes the devices and fills these in; the studio's contract (api.ts)
// takes its choices from here.

/** ONNX Runtime execution providers Darkroom uses: dml is DirectML (Windows), coreml is Core ML (macOS). */
export const INFERENCE_DEVICES = ['cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const;
export type InferenceDevice = (typeof INFERENCE_DEVICES)[number];
export type DeviceChoice = 'auto' | InferenceDevice;
export const DEVICE_CHOICES: readonly DeviceChoice[] = ['auto', ...INFERENCE_DEVICES];

/** The order in which `auto` tries devices; the CPU always works. */
export const AUTO_ORDER: readonly InferenceDevice[] = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'];

export const DEVICE_LABELS: Record<InferenceDevice, string> = { cpu: 'CPU', webgpu: 'WebGPU', cuda: 'CUDA', dml: 'DirectML', coreml: 'Core ML' };

/**
 * The devices that onnxruntime-node's build for only some platforms has (`process.platform` names): DirectML is in
 * the Windows build alone, Core ML in the macOS one, CUDA in the Linux and Windows ones. Elsewhere they are not
 * offered, and where the devices are chosen or listed the user is told why.
 */
const ONLY_ON: Partial<Record<InferenceDevice, { platforms: readonly string[]; where: string }>> = {
  cuda: { platforms: ['linux', 'win32'], where: 'Linux and Windows' },
  dml: { platforms: ['win32'], where: 'Windows' },
  coreml: { platforms: ['darwin'], where: 'macOS' },
};

/** The devices this platform's ONNX Runtime can have, in INFERENCE_DEVICES' order. */
export function platformDevices(platform: string): InferenceDevice[] {
  return INFERENCE_DEVICES.filter((d) => ONLY_ON[d]?.platforms.includes(platform) ?? true);
}

/** What the device fields offer on this platform: auto and the devices it can have. */
export function platformDeviceChoices(platform: string): DeviceChoice[] {
  return ['auto', ...platformDevices(platform)];
}

/** The devices this platform's ONNX Runtime does not have, each with why ("DirectML is only in … for Windows"). */
export function devicesElsewhere(platform: string): { name: InferenceDevice; reason: string }[] {
  return INFERENCE_DEVICES.filter((d) => !platformDevices(platform).includes(d)).map((name) => ({
    name,
    reason: `${DEVICE_LABELS[name]} is only in ONNX Runtime for ${ONLY_ON[name]!.where}`,
  }));
}

/** The GPU devices `auto` tries here, in its order, in words: "CUDA or WebGPU" on Linux. */
export function autoGpusText(platform: string): string {
  const gpus = AUTO_ORDER.filter((d) => d !== 'cpu' && platformDevices(platform).includes(d)).map((d) => DEVICE_LABELS[d]);
  return gpus.length <= 1 ? gpus.join('') : `${gpus.slice(0, -1).join(', ')} or ${gpus.at(-1)}`;
}

/** One sentence for the device fields and lists: which devices this platform lacks, and why; '' when none. */
export function devicesElsewhereNote(platform: string): string {
  const missing = devicesElsewhere(platform);
  if (missing.length === 0) return '';
  return `Not offered here: ${missing.map((m) => m.reason).join('; ')}.`;
}

/** One inference device as found on this machine (`darkroom devices` lists these). */
export interface InferenceDeviceInfo {
  name: InferenceDevice;
  /** `auto` may choose it: it works here, on real hardware. */
  available: boolean;
  /** It works when asked for by name (`--device NAME`): every available device, and a software GPU adapter. */
  usable: boolean;
  /** Why it is not available (for a software adapter: that it is one); null when available. */
  reason: string | null;
  /** What does the work; null where nothing was found. */
  kind: 'hardware' | 'software' | null;
  /** The GPU adapter's or the processor's name, where known. */
  adapter: string | null;
  /** What is known of its memory, in bytes: the machine's memory for the CPU, WebGPU's buffer limits for WebGPU. */
  limits: { memoryBytes?: number; maxBufferSize?: number; maxStorageBufferBindingSize?: number } | null;
}

/** Which device ran (or runs) a model, for people and reports. */
export interface DeviceUse {
  /** What was asked for. */
  requested: DeviceChoice;
  /** Where the model runs. */
  name: InferenceDevice;
  /** One line, e.g. "ONNX Runtime 1.30.0 on WebGPU: NVIDIA GeForce RTX 4070 (nvidia lovelace)". */
  detail: string;
  /** Why it runs on the CPU instead of the device it was meant for; null when it runs there. */
  fallback: string | null;
  /** Largest single buffer the device takes, in bytes (WebGPU); null where it sets no such limit. */
  maxBufferBytes: number | null;
}

export function isDeviceChoice(value: unknown): value is DeviceChoice {
  return typeof value === 'string' && (DEVICE_CHOICES as readonly string[]).includes(value);
}

/** The first available device in AUTO_ORDER (the CPU when nothing else is). */
export function autoDevice(devices: readonly InferenceDeviceInfo[]): InferenceDevice {
  return AUTO_ORDER.find((name) => devices.some((d) => d.name === name && d.available)) ?? 'cpu';
}

/**
 * The largest tile side whose widest full-resolution tensor (`channels` × side² float32, with room for the
 * network's reflection padding) fits in one buffer of `maxBufferBytes`; null when the device sets no limit.
 * WebGPU binds each tensor as one storage buffer, so a larger tile fails on the GPU however much memory it has.
 */
export function tileBoundForBuffers(maxBufferBytes: number | null, channels: number): number | null {
  if (maxBufferBytes === null) return null;
  const PADDING = 16;
  return Math.max(0, Math.floor(Math.sqrt(maxBufferBytes / (4 * channels))) - PADDING);
}

export interface InferenceDevicesReport {
  /** ONNX Runtime's version, e.g. "1.30.0". */
  runtimeVersion: string;
  /** Intra-op threads a CPU session uses by default (all cores). */
  threads: number;
  /** Every device this platform's ONNX Runtime can have (platformDevices), in the order `auto` tries them, with what was found. */
  devices: InferenceDeviceInfo[];
  /** The devices Darkroom knows that this platform's ONNX Runtime does not have, with why (devicesElsewhere). */
  elsewhere: { name: InferenceDevice; reason: string }[];
  /** What `auto` runs models on here. */
  auto: InferenceDevice;
}
