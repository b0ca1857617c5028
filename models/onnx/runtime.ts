// The only module that imports onnxruntime-node. Opens ONNX models (ours or anyone's), reports what they take
// and give, runs them, and reuses sessions. Independent of TensorFlow.js: inference never loads it.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { UsageError } from '../errors.js';
import { OnnxModelError } from './model-error.js';
import { IR_VERSION, OPSET, floatValueInfo, makeNode, onnx, readModelHeader, type Dim, type ModelHeader } from './proto.js';

export { OnnxModelError };
export { describeImageModel, parseRange, type ImageModelInfo } from './image-model.js';
export type { Dim, ModelHeader } from './proto.js';

export type ExecutionProviderName = 'cuda' | 'cpu';

export interface ExecutionProviderReport {
  /** Where sessions run: CUDA when onnxruntime-node has it and it initialises, else the CPU. */
  name: ExecutionProviderName;
  /** Intra-op threads a CPU session uses by default (all cores). */
  threads: number;
  /** One line for `darkroom info`, e.g. "ONNX Runtime 1.30.0 on CPU, 2 threads". */
  detail: string;
  runtimeVersion: string;
  /** Providers onnxruntime-node knows but Darkroom does not use here, and why. */
  unavailable: { name: string; reason: string }[];
}

export interface TensorInfo {
  name: string;
  /** "float32", "uint8", …; "non-tensor" for sequences and maps. */
  type: string;
  /** Fixed sizes as numbers, symbolic ones (e.g. "N", "H") as their names; [] when the model declares no shape. */
  dims: Dim[];
}

export interface RunResult {
  data: Float32Array;
  dims: number[];
}

export interface OnnxModel {
  /** The file path, or "<bytes>" for a model opened from memory. */
  readonly source: string;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** The model's metadata_props (e.g. darkroom.family, darkroom.range). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly header: ModelHeader;
  readonly provider: ExecutionProviderName;
  readonly threads: number;
  /** Runs the first input on `input` (float32, row-major `dims`) and returns the first output. */
  run(input: Float32Array, dims: readonly number[]): Promise<RunResult>;
  /** Gives the session back to the cache; the last holder's dispose lets it be released. Idempotent. */
  dispose(): Promise<void>;
}

export interface OpenModelOptions {
  /** Intra-op threads for the CPU; defaults to every core. */
  threads?: number;
  /** 'cpu' skips CUDA even where it works (e.g. for reproducible numbers). Default 'auto'. */
  provider?: 'auto' | 'cpu';
}

// ---------------------------------------------------------------------------------------------------------
// Execution providers

const CUDA_LIBRARY: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'libonnxruntime_providers_cuda.so',
  win32: 'onnxruntime_providers_cuda.dll',
};

let providerReport: Promise<ExecutionProviderReport> | undefined;

/** Which execution provider sessions use, probed once per process (CUDA is tried on a one-node model). */
export function getExecutionProviderReport(): Promise<ExecutionProviderReport> {
  providerReport ??= probeProviders();
  return providerReport;
}

async function probeProviders(): Promise<ExecutionProviderReport> {
  const threads = availableParallelism();
  const runtimeVersion = ort.env.versions.node ?? ort.env.versions.common;
  const known = ort.listSupportedBackends().map((b) => b.name);
  const unavailable: { name: string; reason: string }[] = [];
  let cuda = false;
  if (!known.includes('cuda')) {
    unavailable.push({ name: 'cuda', reason: `this build of onnxruntime-node (${process.platform}/${process.arch}) has no CUDA support` });
  } else {
    const library = join(ortBinaryDir(), CUDA_LIBRARY[process.platform] ?? 'onnxruntime_providers_cuda');
    if (!existsSync(library)) {
      // Checked first because a failed load makes ONNX Runtime print an alarming error of its own.
      unavailable.push({ name: 'cuda', reason: `the CUDA provider library is not installed (${library} is missing; onnxruntime-node fetches it only when its install script runs)` });
    } else {
      try {
        const session = await ort.InferenceSession.create(probeModel(), { executionProviders: ['cuda'], logSeverityLevel: 4 });
        await session.release();
        cuda = true;
      } catch (error) {
        unavailable.push({ name: 'cuda', reason: `CUDA did not initialise: ${(error as Error).message}` });
      }
    }
  }
  for (const name of known)
    if (name !== 'cpu' && name !== 'cuda') unavailable.push({ name, reason: 'not used: Darkroom runs ONNX models on CUDA or the CPU' });
  const name: ExecutionProviderName = cuda ? 'cuda' : 'cpu';
  const detail = cuda ? `ONNX Runtime ${runtimeVersion} on CUDA (CPU fallback, ${threads} threads)` : `ONNX Runtime ${runtimeVersion} on CPU, ${threads} threads`;
  return { name, threads, detail, runtimeVersion, unavailable };
}

function ortBinaryDir(): string {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/** A one-node model (Identity) to see whether a provider initialises. */
function probeModel(): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'darkroom-probe',
    graph: { name: 'probe', node: [makeNode('Identity', ['x'], ['y'])], input: [floatValueInfo('x', [1])], output: [floatValueInfo('y', [1])] },
  }).finish();
}

// ---------------------------------------------------------------------------------------------------------
// Sessions, shared and cached

interface SharedSession {
  session: ort.InferenceSession;
  header: ModelHeader;
  provider: ExecutionProviderName;
  threads: number;
}

interface CacheEntry {
  key: string;
  shared: Promise<SharedSession>;
  holders: number;
}

/** Sessions nobody holds are kept for a quick reopen, at most this many (a session holds all its weights). */
const MAX_IDLE_SESSIONS = 2;
const cache = new Map<string, CacheEntry>();
const idle: CacheEntry[] = [];

/**
 * Opens an ONNX model from a file (sessions cached by path, size and modification time) or from bytes.
 * Throws OnnxModelError naming the file when it is missing or not a model ONNX Runtime can load.
 */
export async function openModel(source: string | Uint8Array, options: OpenModelOptions = {}): Promise<OnnxModel> {
  const report = await getExecutionProviderReport();
  const provider: ExecutionProviderName = options.provider === 'cpu' ? 'cpu' : report.name;
  const threads = options.threads ?? report.threads;
  if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`threads must be a whole number of at least 1, got ${threads}`);

  if (typeof source !== 'string') {
    const shared = await createSession(source, '<bytes>', source, provider, threads);
    return handle('<bytes>', shared, () => shared.session.release());
  }

  const path = resolve(source);
  const info = await stat(path).catch(() => {
    throw new OnnxModelError(`model file ${path} does not exist; give the path of an .onnx file`);
  });
  if (!info.isFile()) throw new OnnxModelError(`model ${path} is not a file; give the path of an .onnx file`);
  const key = `${path}\0${info.size}\0${info.mtimeMs}\0${provider}\0${threads}`;
  let entry = cache.get(key);
  if (!entry) {
    entry = { key, holders: 0, shared: readFile(path).then((bytes) => createSession(path, path, bytes, provider, threads)) };
    cache.set(key, entry);
    entry.shared.catch(() => cache.delete(key));
  }
  const idleAt = idle.indexOf(entry);
  if (idleAt >= 0) idle.splice(idleAt, 1);
  entry.holders++;
  let shared: SharedSession;
  try {
    shared = await entry.shared;
  } catch (error) {
    entry.holders--;
    throw error;
  }
  const held = entry;
  return handle(path, shared, () => letGo(held));
}

/** Releases every cached session nobody holds (e.g. before the app quits or after a batch). */
export async function releaseIdleModels(): Promise<void> {
  await Promise.all(idle.splice(0).map(release));
}

async function letGo(entry: CacheEntry): Promise<void> {
  entry.holders--;
  if (entry.holders > 0) return;
  idle.push(entry);
  while (idle.length > MAX_IDLE_SESSIONS) await release(idle.shift()!);
}

async function release(entry: CacheEntry): Promise<void> {
  cache.delete(entry.key);
  await (await entry.shared).session.release();
}

async function createSession(
  loadFrom: string | Uint8Array,
  label: string,
  bytes: Uint8Array,
  provider: ExecutionProviderName,
  threads: number,
): Promise<SharedSession> {
  let session: ort.InferenceSession;
  try {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // No pre-planned block per input shape: the arena alone holds a run's tensors. Measured on the standard
      // generator at 512²: 370 against 581 MiB above the process, at the same speed; it is what lets tiles grow.
      enableMemPattern: false,
      // Idle pool threads sleep instead of spinning: between runs the CPU goes to decoding and encoding photos
      // (batch conversion on two cores: 150–157 against 143 photos/min with spinning, same bare forward time).
      extra: { session: { intra_op: { allow_spinning: '0' } } },
      // Fatal only: ONNX Runtime's warnings are not for Darkroom's users, and its errors reach them as exceptions.
      logSeverityLevel: 4,
    };
    // From a path, ONNX Runtime also finds weights stored beside the model (external data).
    session = typeof loadFrom === 'string' ? await ort.InferenceSession.create(loadFrom, options) : await ort.InferenceSession.create(loadFrom, options);
  } catch (error) {
    throw new OnnxModelError(`ONNX Runtime could not load model ${label}: ${(error as Error).message}. Is it an ONNX model file, complete and not corrupted?`, { cause: error });
  }
  let header: ModelHeader;
  try {
    header = readModelHeader(bytes);
  } catch (error) {
    await session.release();
    throw new OnnxModelError(`could not read the metadata of model ${label}: ${(error as Error).message}`, { cause: error });
  }
  return { session, header, provider, threads };
}

function tensorInfos(metadata: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] {
  return metadata.map((m) => (m.isTensor ? { name: m.name, type: m.type, dims: [...m.shape] } : { name: m.name, type: 'non-tensor', dims: [] }));
}

function handle(source: string, shared: SharedSession, letGoOnce: () => Promise<void>): OnnxModel {
  const { session } = shared;
  const inputs = tensorInfos(session.inputMetadata);
  const outputs = tensorInfos(session.outputMetadata);
  let disposed = false;
  return {
    source,
    inputs,
    outputs,
    metadata: shared.header.metadata,
    header: shared.header,
    provider: shared.provider,
    threads: shared.threads,
    async run(input, dims) {
      if (disposed) throw new Error(`model ${source} was disposed; open it again to run it`);
      checkInput(source, inputs[0], input, dims);
      const feeds = { [inputs[0].name]: new ort.Tensor('float32', input, dims) };
      let result: ort.InferenceSession.ReturnType;
      try {
        result = await session.run(feeds, [outputs[0].name], { logSeverityLevel: 4 });
      } catch (error) {
        throw new Error(`ONNX Runtime could not run model ${source} on input [${dims.join(', ')}]: ${(error as Error).message}`, { cause: error });
      }
      const out = result[outputs[0].name] as ort.Tensor;
      if (out.type !== 'float32') throw new OnnxModelError(`model ${source} gives ${out.type} output '${outputs[0].name}'; Darkroom needs float32`);
      return { data: out.data as Float32Array, dims: [...out.dims] };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await letGoOnce();
    },
  };
}

function checkInput(source: string, expected: TensorInfo | undefined, input: Float32Array, dims: readonly number[]): void {
  if (!expected) throw new OnnxModelError(`model ${source} has no inputs`);
  const size = dims.reduce((a, b) => a * b, 1);
  if (!dims.every((d) => Number.isInteger(d) && d > 0) || size !== input.length)
    throw new Error(`run: dims [${dims.join(', ')}] do not describe the ${input.length} values given`);
  const declared = expected.dims;
  const fits = declared.length === 0 || (declared.length === dims.length && declared.every((d, i) => typeof d === 'string' || d === dims[i]));
  if (!fits) throw new OnnxModelError(`model ${source} takes input '${expected.name}' of shape [${declared.join(', ')}]; got [${dims.join(', ')}]`);
}
