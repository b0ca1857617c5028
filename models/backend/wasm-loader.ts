// Starts the tfjs `wasm` backend in Node, multithreaded when it can be.
//
// tfjs-backend-wasm 4.22 turns threads off in Node and hands emscripten Blob URLs that worker_threads cannot
// load. We register `wasm` anew with a factory that instantiates the package's own threaded-SIMD build with
// plain file paths: the main script and the pthread worker script from the package, written to a private temp
// directory (the main script with its pre-started worker pool cut to the threads we use).
// The C++ side caps its pool at (logical cores)/2, read once at start through the wasm import
// `emscripten_num_logical_cores`; we instantiate the binary ourselves and answer 2×threads there.
// These are internals of tfjs 4.22 and its emscripten build: the versions are pinned (PINNED_TFJS_VERSION)
// and index.test.ts fails if the loader stops giving more than one thread.

import * as tf from '@tensorflow/tfjs';
import * as wasmPkg from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Script } from 'node:vm';
import type { Worker } from 'node:worker_threads';
import { installWasmTrainingKernels } from './wasm-kernels.js';
import { MAX_WASM_THREADS } from './names.js';

/** The tfjs version whose wasm internals this loader relies on. */
export const PINNED_TFJS_VERSION = '4.22.0';
export { MAX_WASM_THREADS };
const START_TIMEOUT_MS = 30_000;
const WASM_PRIORITY = 2; // the stock registration's priority

export interface WasmStart {
  threads: number;
  multithreaded: boolean;
  /** Why the threaded build was not used, when threads > 1 were asked for. */
  fallbackReason?: string;
}

interface EmscriptenThreads {
  PThread: { runningWorkers: Worker[]; unusedWorkers: Worker[]; terminateAllThreads(): void };
}

interface EmscriptenModule extends EmscriptenThreads {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  tfjs?: Record<string, (...args: number[]) => number>;
}

type ModuleFactory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

const require = createRequire(import.meta.url);
const stockFactory = tf.findBackendFactory('wasm');

let current: { requested: number; start: WasmStart; module?: EmscriptenModule } | null = null;
let workerDir: string | null = null;

function wasmOutDir(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
}

/** The package's pthread worker script as a file emscripten can hand to worker_threads. */
function workerScriptFile(dir: string): string {
  const { wasmWorkerContents } = require(join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // The contents sit in a template literal, so "\n" inside its string literals arrived as real newlines.
  const source = wasmWorkerContents.replace(/\n/g, '\\n');
  new Script(source, { filename: 'tfjs-backend-wasm-threaded-simd.worker.cjs' }); // throws on a changed format
  const file = join(privateDir(), 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  writeFileSync(file, source);
  return file;
}

/** A directory only this process writes to (0700), removed at exit. */
function privateDir(): string {
  if (workerDir === null) {
    workerDir = mkdtempSync(join(tmpdir(), 'darkroom-wasm-'));
    const dirToRemove = workerDir;
    process.once('exit', () => rmSync(dirToRemove, { recursive: true, force: true }));
  }
  return workerDir;
}

/**
 * The main script, with emscripten's pre-started pthread pool cut from 8 workers to the threads−1 that
 * XNNPACK's pool will take (the calling thread works too). Each idle worker costs a V8 isolate and, on a
 * busy machine, seconds of start-up. If the line is not there (another build), the script is used as is.
 */
function mainScriptFile(dir: string, threads: number): string {
  const file = join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const source = readFileSync(file, 'utf8');
  if (!source.includes(POOL_LINE)) return file;
  const patched = join(privateDir(), `tfjs-backend-wasm-threaded-simd.pool${threads - 1}.cjs`);
  writeFileSync(patched, source.replace(POOL_LINE, `var pthreadPoolSize=${threads - 1};`));
  return patched;
}
const POOL_LINE = 'var pthreadPoolSize=8;';

function addTfjsBindings(module: EmscriptenModule): void {
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
}

async function createThreadedModule(threads: number): Promise<EmscriptenModule> {
  const dir = wasmOutDir();
  const mainScript = mainScriptFile(dir, threads);
  const wasmFile = join(dir, 'tfjs-backend-wasm-threaded-simd.wasm');
  const workerFile = workerScriptFile(dir);
  const factory = require(mainScript) as ModuleFactory;
  const binary = readFileSync(wasmFile);
  let fail: (reason: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {}); // it may reject after the race is settled (a late abort): not an unhandled rejection
  const config: Record<string, unknown> = {
    mainScriptUrlOrBlob: mainScript,
    locateFile: (path: string, prefix: string) =>
      path.endsWith('.worker.js') ? workerFile : path.endsWith('.wasm') ? wasmFile : prefix + path,
    instantiateWasm: (
      info: { env: Record<string, unknown> } & Record<string, unknown>,
      receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ) => {
      const env = { ...info.env, emscripten_num_logical_cores: () => 2 * threads };
      WebAssembly.instantiate(binary, { ...info, env, wasi_snapshot_preview1: env } as WebAssembly.Imports).then(
        (result) => receive(result.instance, result.module),
        (error: unknown) => fail(new Error(`cannot instantiate ${wasmFile}: ${String(error)}`)),
      );
      return {};
    },
    onAbort: (what: unknown) => fail(new Error(`aborted: ${String(what)}`)),
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    timer.unref();
  });
  try {
    const module = await Promise.race([factory(config), failed, timeout]);
    addTfjsBindings(module);
    return module;
  } catch (error) {
    (config as Partial<EmscriptenThreads>).PThread?.terminateAllThreads();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

type BackendModule = ConstructorParameters<typeof wasmPkg.BackendWasm>[0];

async function threadedBackend(threads: number): Promise<{ backend: tf.KernelBackend; module: EmscriptenModule }> {
  const module = await createThreadedModule(threads);
  wasmPkg.setThreadsCount(threads);
  const backend = new wasmPkg.BackendWasm(module as unknown as BackendModule);
  const actual = wasmPkg.getThreadsCount();
  // XNNPACK's pool threads stay parked in their workers; they must not keep Node alive at exit.
  for (const worker of module.PThread.runningWorkers) worker.unref();
  if (actual !== threads) {
    backend.dispose();
    throw new Error(`asked for ${threads} threads, the wasm module started ${actual}`);
  }
  return { backend, module };
}

/**
 * Makes `wasm` the active backend with the given thread count (1..8), registering our factory and the
 * training kernels. Re-creates the backend (dropping tensors that live on it) only if the count changes.
 * Falls back to the stock single-threaded SIMD build when the threaded one cannot start.
 */
export async function startWasm(requested: number): Promise<WasmStart> {
  if (stockFactory == null) throw new Error('@tensorflow/tfjs-backend-wasm did not register a wasm backend');
  installWasmTrainingKernels();
  const threads = Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(requested)));
  if (current?.requested === threads && tf.findBackend('wasm') != null) {
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to start again');
    return current.start;
  }
  if (tf.findBackendFactory('wasm') != null) tf.removeBackend('wasm');
  const attempt: { start?: WasmStart; module?: EmscriptenModule; error?: unknown } = {};
  tf.registerBackend(
    'wasm',
    async () => {
      let fallbackReason: string | undefined;
      if (threads > 1) {
        try {
          const { backend, module } = await threadedBackend(threads);
          attempt.start = { threads, multithreaded: true };
          attempt.module = module;
          return backend;
        } catch (error) {
          fallbackReason = error instanceof Error ? error.message : String(error);
        }
      }
      try {
        wasmPkg.setThreadsCount(1);
        const backend = await stockFactory();
        attempt.start = { threads: 1, multithreaded: false, fallbackReason };
        return backend;
      } catch (error) {
        attempt.error = error;
        throw error;
      }
    },
    WASM_PRIORITY,
  );
  const ok = await tf.setBackend('wasm');
  if (!ok || attempt.start === undefined) {
    const why = attempt.error instanceof Error ? attempt.error.message : String(attempt.error ?? 'unknown error');
    tf.removeBackend('wasm');
    current = null;
    throw new Error(`the wasm backend could not start: ${why}`);
  }
  current = { requested: threads, start: attempt.start, module: attempt.module };
  return attempt.start;
}

/** What the running wasm module says about its threads; null unless the threaded build is active. */
export function wasmThreadPool(): { threads: number; pthreadsRunning: number } | null {
  if (current?.module === undefined || tf.findBackend('wasm') == null) return null;
  return { threads: wasmPkg.getThreadsCount(), pthreadsRunning: current.module.PThread.runningWorkers.length };
}

export function wasmPackageVersion(): string {
  return wasmPkg.version_wasm;
}
