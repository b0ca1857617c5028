// The training backends by name: the one list the CLI, the API contract, run.json and the studio use.
// Kept free of runtime imports so the renderer and light CLI commands can use it without loading tfjs.
import type { GpuAdapterInfo } from '../gpu/adapter-info.js';

/**
 * Every training backend, in auto's order. `onnx` is Darkroom's own engine on ONNX Runtime (diff/onnx-engine.ts):
 * on this project's 2-core reference machine a light CycleGAN iteration at 128 px takes 0.9 s there against
 * 2.2–2.7 s on wasm (bench:train), so auto takes it ahead of wasm for the families it trains.
 */
export const BACKEND_NAMES = ['tensorflow', 'webgpu', 'onnx', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendPreference = 'auto' | BackendName;
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', ...BACKEND_NAMES];

/** The C++ side caps the wasm thread pool at 8 (tfjs-backend-wasm backend.cc, max_num_threads). */
export const MAX_WASM_THREADS = 8;

export function isValidBackendPreference(s: string): s is BackendPreference {
  return (BACKEND_PREFERENCES as readonly string[]).includes(s);
}

export interface TrainingBackendInfo {
  name: BackendName;
  /** `auto` may choose it. */
  available: boolean;
  /** It runs when asked for by name: every available backend, and webgpu on a software adapter. */
  usable: boolean;
  /** Why it is not available (null when it is). */
  reason: string | null;
  /** What it runs on, e.g. "2 threads, SIMD" or the GPU's name. */
  detail: string;
  adapter?: GpuAdapterInfo;
}

export interface TrainingBackendsReport {
  backends: TrainingBackendInfo[];
  /** What `--backend auto` starts here. */
  auto: BackendName;
}
