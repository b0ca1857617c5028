// The only module that imports onnxruntime-node. Opens ONNX models (ours or anyone's), reports what they take
// and give, runs them on the chosen device, and reuses sessions. Independent of TensorFlow.js: inference never
// loads it.
//
// A model that a device's provider rejects, when its session is created or when a run fails, moves to the CPU
// and says why (OnnxModel.device.fallback): a photo is never lost to a GPU that cannot take the model.
import { readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { UsageError, option } from '../errors.js';
import { OnnxModelError, readModelFileHeader } from './model-error.js';
import { IR_VERSION, OPSET, floatValueInfo, makeNode, onnx, type ModelHeader } from './proto.js';
import { DEVICE_CHOICES, DEVICE_LABELS, isDeviceChoice, type DeviceChoice, type DeviceUse, type InferenceDevice } from './devices.js';
import { deviceDetail, maxBufferBytesOf, onnxRuntimeBinaryDir, probeDevices, type InferenceDevicesReport } from './providers.js';

export { OnnxModelError };
export { describeImageModel, parseRange, type ImageModelInfo } from './image-model.js';
export type { Dim, ModelHeader } from './proto.js';
export type { OnnxModel, RunResult, TensorInfo } from './model.js';
import type { OnnxModel, RunResult, TensorInfo } from './model.js';
export { DEVICE_CHOICES, INFERENCE_DEVICES, type DeviceChoice, type DeviceUse, type InferenceDevice, type InferenceDeviceInfo } from './devices.js';
export type { InferenceDevicesReport } from './providers.js';

export interface OpenModelOptions {
  /** Intra-op threads for the CPU; defaults to every core. */
  threads?: number;
  /**
   * What messages call the model (OnnxModel.label): the user's file where the one opened is Darkroom's own copy (a
   * checkpoint imported into the cache, a model kept in the studio's workspace); a path names itself by default,
   * bytes as "<bytes>" ("given as bytes" while loading).
   */
  label?: string;
  /**
   * Where to run: 'auto' (default) takes the first available of CUDA, DirectML, Core ML and WebGPU on a hardware
   * adapter, else the CPU; a device by name is used even on a software adapter, and refused (UsageError) when it
   * cannot work here at all. 'cpu' also skips probing the GPUs (e.g. for reproducible numbers).
   */
  device?: DeviceChoice;
}

// ---------------------------------------------------------------------------------------------------------
// Devices

let devicesReport: Promise<InferenceDevicesReport> | undefined;

/**
 * Every inference device Darkroom knows, whether it works here and why not, probed once per process (a GPU
 * provider is tried on a one-node model; the GPU adapter is asked of Dawn in a child process).
 */
export function listInferenceDevices(): Promise<InferenceDevicesReport> {
  devicesReport ??= probeDevices({
    runtimeVersion: runtimeVersion(),
    compiledIn: ort.listSupportedBackends().map((b) => b.name),
    binaryDir: onnxRuntimeBinaryDir(),
    tryProvider: async (device) => {
      try {
        const session = await ort.InferenceSession.create(probeModel(), { executionProviders: executionProviders(device), logSeverityLevel: 4 });
        await session.release();
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    },
  });
  return devicesReport;
}

function runtimeVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

/** Where ONNX models asked to run on `requested` go (the training engine's device too). */
export const placeOnnxDevice = (requested: DeviceChoice, threads: number): Promise<DeviceUse> => placeModel(requested, threads);

/** Where a model asked to run on `requested` goes; UsageError when a device asked for by name cannot work here. */
async function placeModel(requested: DeviceChoice, threads: number): Promise<DeviceUse> {
  if (!isDeviceChoice(requested)) throw new UsageError(`${option('device')} must be one of ${DEVICE_CHOICES.join(', ')} (got "${String(requested)}")`);
  if (requested === 'cpu') return cpuUse(requested, threads, null);
  const report = await listInferenceDevices();
  const name = requested === 'auto' ? report.auto : requested;
  const instead = `Use ${option('device', 'auto')} (the best available, now ${DEVICE_LABELS[report.auto]}) or ${option('device', 'cpu')}.`;
  const elsewhere = report.elsewhere.find((d) => d.name === name);
  if (elsewhere) throw new UsageError(`ONNX models cannot run on ${DEVICE_LABELS[name]} here: ${elsewhere.reason}. ${instead}`);
  const device = report.devices.find((d) => d.name === name)!;
  if (!device.usable) throw new UsageError(`ONNX models cannot run on ${DEVICE_LABELS[device.name]} here: ${device.reason}. ${instead}`);
  return { requested, name: device.name, detail: deviceDetail(report.runtimeVersion, device, threads), fallback: null, maxBufferBytes: maxBufferBytesOf(device) };
}

function cpuUse(requested: DeviceChoice, threads: number, fallback: string | null): DeviceUse {
  return { requested, name: 'cpu', detail: `ONNX Runtime ${runtimeVersion()} on CPU, ${threads} thread${threads === 1 ? '' : 's'}`, fallback, maxBufferBytes: null };
}

function executionProviders(device: InferenceDevice): ort.InferenceSession.SessionOptions['executionProviders'] {
  // ONNX Runtime runs the nodes a GPU provider does not take on its CPU provider, without being told.
  return device === 'cpu' ? ['cpu'] : [device];
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
  device: DeviceUse;
  threads: number;
  /** What the session was created from, to create it again on the CPU. */
  loadFrom: string | Uint8Array;
  label: string;
  /** Set while the model moves to the CPU after a failed run; runs wait for it. */
  moving: Promise<void> | null;
  /** Runs in flight per session: a session left behind by a move is released when its last run ends. */
  running: Map<ort.InferenceSession, number>;
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
 * Opens an ONNX model from a file (sessions cached by path, size, modification time and device) or from bytes.
 * Throws OnnxModelError naming the file when it is missing or not a model ONNX Runtime can load, UsageError when
 * the device asked for cannot work here.
 */
export async function openModel(source: string | Uint8Array, options: OpenModelOptions = {}): Promise<OnnxModel> {
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`threads must be a whole number of at least 1, got ${threads}`);
  const requested = options.device ?? 'auto';
  const device = await placeModel(requested, threads);

  if (typeof source !== 'string') {
    const shared = await createSession(source, options.label ?? 'given as bytes', source, device, threads);
    return handle('<bytes>', options.label ?? '<bytes>', shared, () => releaseShared(shared));
  }

  const path = resolve(source);
  const label = options.label ?? path;
  const info = await stat(path).catch(() => {
    throw new OnnxModelError(`model file ${label} does not exist; give the path of an .onnx file`);
  });
  if (!info.isFile()) throw new OnnxModelError(`model ${label} is not a file; give the path of an .onnx file`);
  const key = `${path}\0${info.size}\0${info.mtimeMs}\0${requested}\0${threads}`;
  let entry = cache.get(key);
  if (!entry) {
    entry = { key, holders: 0, shared: readFile(path).then((bytes) => createSession(path, label, bytes, device, threads)) };
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
  return handle(path, label, shared, () => letGo(held));
}

/** Releases every cached session nobody holds; the studio calls it when it closes (the window or `darkroom serve`). */
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
  await releaseShared(await entry.shared);
}

async function releaseShared(shared: SharedSession): Promise<void> {
  await shared.moving?.catch(() => {}); // a failed move left the old session in place
  await shared.session.release();
}

function sessionOptions(device: InferenceDevice, threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: executionProviders(device),
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
}

async function createOrtSession(loadFrom: string | Uint8Array, device: InferenceDevice, threads: number, profileTo?: string, memoryArena = true): Promise<ort.InferenceSession> {
  const options = {
    ...sessionOptions(device, threads),
    ...(profileTo ? { enableProfiling: true, profileFilePrefix: profileTo } : {}),
    ...(memoryArena ? {} : { enableCpuMemArena: false }),
  };
  // From a path, ONNX Runtime also finds weights stored beside the model (external data).
  return typeof loadFrom === 'string' ? ort.InferenceSession.create(loadFrom, options) : ort.InferenceSession.create(loadFrom, options);
}

const couldNotLoad = (label: string, error: unknown) =>
  // ONNX Runtime's own text names its C++ internals: it stays in the cause, the message says what to do.
  new OnnxModelError(`ONNX Runtime cannot load model ${label}: it is not a complete ONNX model file, or it uses operations this ONNX Runtime lacks; export or copy it again, or choose another .onnx file`, { cause: error });

async function createSession(loadFrom: string | Uint8Array, label: string, bytes: Uint8Array, device: DeviceUse, threads: number): Promise<SharedSession> {
  const header = readModelFileHeader(label, bytes);
  let session: ort.InferenceSession;
  let placed = device;
  try {
    session = await createOrtSession(loadFrom, device.name, threads);
  } catch (error) {
    if (device.name === 'cpu') throw couldNotLoad(label, error);
    // A model that does not load on the CPU either is the file's fault, and the CPU's message says why.
    session = await createOrtSession(loadFrom, 'cpu', threads).catch((cpuError: unknown) => {
      throw couldNotLoad(label, cpuError);
    });
    placed = cpuUse(device.requested, threads, `${DEVICE_LABELS[device.name]} could not load this model: ${(error as Error).message}`);
  }
  return { session, header, device: placed, threads, loadFrom, label, moving: null, running: new Map() };
}

/** After `failed` could not run on its device: the model continues on the CPU, saying why. */
async function moveToCpu(shared: SharedSession, failed: ort.InferenceSession, error: unknown): Promise<void> {
  if (shared.moving) return shared.moving; // another failed run is moving it
  if (shared.session !== failed) return; // another run already moved it
  const from = shared.device;
  shared.moving = (async () => {
    const session = await createOrtSession(shared.loadFrom, 'cpu', shared.threads).catch((cpuError: unknown) => {
      throw couldNotLoad(shared.label, cpuError);
    });
    shared.session = session;
    shared.device = cpuUse(from.requested, shared.threads, `${DEVICE_LABELS[from.name]} could not run this model: ${(error as Error).message}`);
    if (!shared.running.has(failed)) await failed.release();
  })();
  try {
    await shared.moving;
  } finally {
    shared.moving = null;
  }
}

/** Runs `session`, counting it as in flight; releases it afterwards if the model has moved off it meanwhile. */
async function runCounted(shared: SharedSession, session: ort.InferenceSession, feeds: ort.InferenceSession.FeedsType, output: string): Promise<ort.InferenceSession.ReturnType> {
  shared.running.set(session, (shared.running.get(session) ?? 0) + 1);
  try {
    return await session.run(feeds, [output], { logSeverityLevel: 4 });
  } finally {
    const left = shared.running.get(session)! - 1;
    if (left > 0) shared.running.set(session, left);
    else {
      shared.running.delete(session);
      if (session !== shared.session) await session.release();
    }
  }
}

function tensorInfos(metadata: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] {
  return metadata.map((m) => (m.isTensor ? { name: m.name, type: m.type, dims: [...m.shape] } : { name: m.name, type: 'non-tensor', dims: [] }));
}

function handle(source: string, label: string, shared: SharedSession, letGoOnce: () => Promise<void>): OnnxModel {
  const { session } = shared;
  const inputs = tensorInfos(session.inputMetadata);
  const outputs = tensorInfos(session.outputMetadata);
  let disposed = false;
  const model: OnnxModel = {
    source,
    label,
    inputs,
    outputs,
    metadata: shared.header.metadata,
    header: shared.header,
    get device() {
      return shared.device;
    },
    threads: shared.threads,
    async run(input, dims) {
      if (disposed) throw new Error(`model ${label} was disposed; open it again to run it`);
      checkInput(label, inputs[0], input, dims);
      const feeds = { [inputs[0].name]: new ort.Tensor('float32', input, dims) };
      let result: ort.InferenceSession.ReturnType;
      if (shared.moving) await shared.moving;
      const current = shared.session;
      try {
        result = await runCounted(shared, current, feeds, outputs[0].name);
      } catch (error) {
        if (shared.device.name === 'cpu' && current === shared.session)
          throw new Error(`ONNX Runtime could not run model ${label} on input [${dims.join(', ')}]: ${(error as Error).message}`, { cause: error });
        await moveToCpu(shared, current, error);
        return model.run(input, dims);
      }
      const out = result[outputs[0].name] as ort.Tensor;
      if (out.type !== 'float32') throw new OnnxModelError(`model ${label} gives ${out.type} output '${outputs[0].name}'; Darkroom needs float32`);
      return { data: out.data as Float32Array, dims: [...out.dims] };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await letGoOnce();
    },
  };
  return model;
}

function checkInput(label: string, expected: TensorInfo | undefined, input: Float32Array, dims: readonly number[]): void {
  if (!expected) throw new OnnxModelError(`model ${label} has no inputs`);
  const size = dims.reduce((a, b) => a * b, 1);
  if (!dims.every((d) => Number.isInteger(d) && d > 0) || size !== input.length)
    throw new Error(`run: dims [${dims.join(', ')}] do not describe the ${input.length} values given`);
  const declared = expected.dims;
  const fits = declared.length === 0 || (declared.length === dims.length && declared.every((d, i) => typeof d === 'string' || d === dims[i]));
  if (!fits) throw new OnnxModelError(`model ${label} takes input '${expected.name}' of shape [${declared.join(', ')}]; got [${dims.join(', ')}]`);
}

// ---------------------------------------------------------------------------------------------------------
// Graphs of many named inputs and outputs, one session per graph, never cached: the training engine's
// (diff/onnx-engine.ts) and staged translation's (onnx/staged-run.ts).

export interface TrainingSession {
  /** Where it runs; a graph its device rejected runs on the CPU, with the reason in `fallback`. */
  readonly device: DeviceUse;
  /** Feeds are float32, or int64 (index inputs) given as a BigInt64Array. */
  run(feeds: Record<string, { data: Float32Array | BigInt64Array; dims: readonly number[] }>): Promise<Record<string, RunResult>>;
  /** With `profileTo`: ends ONNX Runtime's profile and gives its file (each node's kernel, time and provider). */
  endProfiling(): string | null;
  release(): Promise<void>;
}

/** Places a training graph on `device` (the same rules as openModel) and opens its session. */
export async function openTrainingSession(
  bytes: Uint8Array,
  options: {
    device?: DeviceChoice;
    threads?: number;
    label: string;
    profileTo?: string;
    /**
     * false: CPU memory goes back after each run instead of staying in the session's arena, for the many graphs
     * of one staged translation (each arena would keep its largest tile's working memory).
     */
    memoryArena?: boolean;
  },
): Promise<TrainingSession> {
  const threads = options.threads ?? availableParallelism();
  let device = await placeModel(options.device ?? 'auto', threads);
  let session: ort.InferenceSession;
  try {
    session = await createOrtSession(bytes, device.name, threads, options.profileTo, options.memoryArena);
  } catch (error) {
    if (device.name === 'cpu') throw new Error(`ONNX Runtime cannot load the training graph ${options.label}: ${(error as Error).message}`, { cause: error });
    session = await createOrtSession(bytes, 'cpu', threads, options.profileTo, options.memoryArena);
    device = cpuUse(device.requested, threads, `${DEVICE_LABELS[device.name]} could not load the training graph ${options.label}: ${(error as Error).message}`);
  }
  return {
    device,
    async run(feeds) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds))
        ortFeeds[name] = t.data instanceof BigInt64Array ? new ort.Tensor('int64', t.data, t.dims) : new ort.Tensor('float32', t.data, t.dims);
      const result = await session.run(ortFeeds, { logSeverityLevel: 4 });
      const out: Record<string, RunResult> = {};
      for (const [name, t] of Object.entries(result)) out[name] = { data: t.data as Float32Array, dims: [...t.dims] };
      return out;
    },
    endProfiling: () => {
      if (!options.profileTo) return null;
      session.endProfiling();
      // The binding does not say the file's name: ONNX Runtime writes PREFIX_<date>.json.
      const prefix = basename(options.profileTo);
      const files = readdirSync(dirname(options.profileTo)).filter((f) => f.startsWith(`${prefix}_`) && f.endsWith('.json'));
      return files.length ? join(dirname(options.profileTo), files.sort().at(-1)!) : null;
    },
    release: () => session.release(),
  };
}
