// Which WebGPU adapter this machine has, asked of Dawn through the `webgpu` package, and whether it is a real GPU
// or a software one (SwiftShader, llvmpipe, WARP: correct but far slower than the CPU paths, so never chosen by
// "auto"). ONNX Runtime's WebGPU provider carries its own Dawn and does not say which adapter it took; both ask for
// the high-performance adapter of the same Vulkan, Metal or D3D12 driver, so this answer describes both.
//
// The probe runs in a child process: on a machine without a GPU driver Dawn prints Vulkan's complaints straight to
// stderr (they would land in every `darkroom convert`), and a broken driver can take its process down with it.
import { execFile } from 'node:child_process';
import { dawnModuleUrl } from './dawn-module.js';
import type { GpuAdapterInfo } from './adapter-info.js';

export type { GpuAdapterInfo } from './adapter-info.js';


export type GpuAdapterProbe = { adapter: GpuAdapterInfo; reason: null } | { adapter: null; reason: string };

/** Names under which software rasterisers and compute fallbacks report themselves. */
const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|\bwarp\b/i;

/** Whether Dawn's description of an adapter is a software one: its own fallback flag, or a known software name. */
export function isSoftwareAdapter(info: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean | null }): boolean {
  if (info.isFallbackAdapter === true) return true;
  return SOFTWARE_NAMES.test([info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' '));
}

/** "SwiftShader driver 5.0.0 (google swiftshader)": the driver's description, then who made it. */
export function adapterName(info: Pick<GpuAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>): string {
  const maker = [info.vendor, info.architecture].filter(Boolean).join(' ');
  const name = info.description || info.device || 'unnamed adapter';
  return maker ? `${name} (${maker})` : name;
}

const PROBE_TIMEOUT_MS = 15_000;
const MARK = 'darkroom-adapter:';

/** Runs in the child: the high-performance adapter's description as one marked JSON line. */
function probeScript(webgpuUrl: string): string {
  return `
    const { create } = await import(${JSON.stringify(webgpuUrl)});
    const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
    const info = adapter?.info;
    const found = adapter && {
      vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
      isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? null,
      maxBufferSize: adapter.limits.maxBufferSize, maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      features: [...adapter.features],
    };
    process.stdout.write(${JSON.stringify(MARK)} + JSON.stringify(found ?? null) + '\\n');
    process.exit(0);`;
}

/** Answers for this process's own environment, by the Vulkan driver it named: one child per process and driver. */
const probed = new Map<string, Promise<GpuAdapterProbe>>();

/**
 * The machine's high-performance WebGPU adapter, or why there is none. Never throws. `env` is the child's
 * environment (default this process's, whose answer is kept; VK_ICD_FILENAMES there points Vulkan at a driver).
 */
export function probeGpuAdapter(env: NodeJS.ProcessEnv = process.env): Promise<GpuAdapterProbe> {
  if (env !== process.env) return probeInChild(env);
  const key = process.env.VK_ICD_FILENAMES ?? '';
  if (!probed.has(key)) probed.set(key, probeInChild(env));
  return probed.get(key)!;
}

function probeInChild(env: NodeJS.ProcessEnv): Promise<GpuAdapterProbe> {
  let webgpuUrl: string;
  try {
    webgpuUrl = dawnModuleUrl();
  } catch (error) {
    return Promise.resolve({ adapter: null, reason: `the webgpu package (Dawn for Node) is not installed: ${(error as Error).message}; run npm install` });
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', probeScript(webgpuUrl)],
      // ELECTRON_RUN_AS_NODE: inside Electron, process.execPath is Electron itself.
      { env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, timeout: PROBE_TIMEOUT_MS, encoding: 'utf8', maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith(MARK));
        if (!line) {
          const why = error?.killed ? `it did not answer in ${PROBE_TIMEOUT_MS / 1000} s` : lastLines(stderr) || error?.message || 'it printed nothing';
          resolve({ adapter: null, reason: `Dawn could not look for a GPU adapter: ${why}` });
          return;
        }
        const found = JSON.parse(line.slice(MARK.length)) as (Omit<GpuAdapterInfo, 'software'> & { isFallbackAdapter: boolean | null }) | null;
        if (!found) {
          resolve({ adapter: null, reason: `no WebGPU adapter: no Vulkan, Metal or Direct3D 12 GPU driver answered${driverHint(stderr)}` });
          return;
        }
        const { isFallbackAdapter, ...rest } = found;
        resolve({ adapter: { ...rest, software: isSoftwareAdapter(found) }, reason: null });
      },
    );
  });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' ').trim();
}

/** What the driver said, when it said something useful (e.g. "vkCreateInstance: Found no drivers!"). */
function driverHint(stderr: string): string {
  const first = stderr.split('\n').find((l) => /warning|error/i.test(l));
  return first ? ` (${first.replace(/^Warning:\s*/i, '').trim()})` : '';
}
