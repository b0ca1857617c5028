// The studio's contract: every request, response, event and error type, in one file — declared here, or
// re-exported from the module that owns it (families/family.ts, train/events.ts, image-io/formats.ts, …).
// The renderer talks to exactly this (importing its types only), through IPC (Electron) or HTTP + WebSocket (browser mode).
// `StudioMethods` maps each method name to its request and response; `StudioHandlers` and
// `REQUEST_VALIDATORS` are mapped types over it, so a method without a handler or a validator
// does not compile. Transports route every name in METHOD_NAMES and carry errors unchanged.
import type { TrainingEvent, BackendInfo, RunStatus } from '../models/train/events.js';
import { DIRECTIONS, EXPORT_PART_NAMES, FAMILY_IDS, FAMILY_TRAITS, PRESETS, type Direction, type ExportPartName, type FamilyId, type Preset } from '../models/families/family.js';
import { FORMAT_CHOICES, OUTPUT_FORMATS, PIXEL_RANGES, type FormatChoice, type OutputFormat, type PixelRange } from '../models/data/image-io/formats.js';
import { DEVICE_CHOICES, type DeviceChoice, type DeviceUse } from '../models/onnx/devices.js';
import { MAX_BATCH } from '../models/train/limits.js';
import { UsageError, option as remedyOption } from '../models/errors.js';
import { inStudioWords } from './remedy-words.js';
import { FAMILY_OPTIONS, familyOption } from '../models/families/family-options.js';
import { optionProblem, type OptionInfo } from '../models/families/option-spec.js';

export type { TrainingEvent, BackendInfo } from '../models/train/events.js';
export type { FamilyId } from '../models/families/family.js';
/** Where ONNX models run: 'auto' or a device by name (models/onnx/devices.ts; `darkroom devices` lists them). */
export { DEVICE_CHOICES, type DeviceChoice, type DeviceUse };
import type { TrainingBackendsReport } from '../models/backend/names.js';
import type { InferenceDevicesReport } from '../models/onnx/devices.js';

/** What `darkroom devices` shows: training backends and inference devices, each GPU adapter, why others are missing. */
export interface DevicesReport {
  training: TrainingBackendsReport;
  inference: InferenceDevicesReport;
}

// ---------------------------------------------------------------------------------------------------
// Shared shapes

/** A file inside the workspace, by its path relative to the workspace root ("runs/x/samples/000010.png").
 *  Clients turn it into a URL with their transport (HTTP /media/… or the Electron media protocol). */
export type MediaRef = string;

import { BACKEND_PREFERENCES, type BackendPreference } from '../models/backend/names.js';
export { BACKEND_PREFERENCES, type BackendPreference };
export { PRESETS, type Preset, DIRECTIONS, type Direction, EXPORT_PART_NAMES, type ExportPartName, FAMILY_IDS, FAMILY_TRAITS };
/** `OutputFormat`: what an image is written as; `FormatChoice`: that or 'same' (each source's own format). */
export { OUTPUT_FORMATS, type OutputFormat, FORMAT_CHOICES, type FormatChoice, PIXEL_RANGES, type PixelRange };
export type { RunStatus };

export interface FamilyInfo {
  id: FamilyId;
  title: string;
  /** One sentence on what it learns. */
  summary: string;
  /** 1: one folder; 2: two unpaired folders (A and B). */
  datasets: 1 | 2;
  /** The family's own settings, each described whole (kind, default, range, rule, choices): the Train form's rules. */
  options: OptionInfo[];
}

/** One option of a family (models/families/option-spec.ts): what the CLI, this API and the Train form all check. */
export type { OptionInfo };

export interface AppInfo {
  version: string;
  workspace: string;
  families: FamilyInfo[];
  /** True the first time this workspace was opened (the sample project was just made). */
  firstStart: boolean;
  /** The sample project's dataset ids (day and night scenes), when present. */
  sample: { dayDatasetId: string; nightDatasetId: string } | null;
  /** Where folder pickers start. */
  home: string;
  /** The user's pictures folder (the folder browser's first stop), when this machine has one. */
  pictures: string | null;
  /**
   * What the device fields offer on this machine's platform (auto and the devices its ONNX Runtime can have), and
   * one sentence on those it cannot ('' when none): DirectML is Windows's, Core ML macOS's.
   */
  devices: { choices: DeviceChoice[]; elsewhere: string };
}

/** The folder browser shows folders and images only (hidden ones when asked), never other files. */
export interface FolderEntry {
  name: string;
  path: string;
  kind: 'folder' | 'image';
}

/** What a folder chosen in the studio is for: browser mode reads only from chosen folders and writes only into outputs. */
export const FOLDER_USES = ['input', 'output'] as const;
export type FolderUse = (typeof FOLDER_USES)[number];

export interface FolderListing {
  path: string;
  parent: string | null;
  entries: FolderEntry[];
  /** Entries the studio does not read (links leading out of the folder, loops), and why: as Datasets and Batch say. */
  leftOut: { name: string; reason: string }[];
}

/** 'left-out': an entry the folder's listing does not take (a link leading out of it, a folder it cannot open). */
export type DatasetProblemKind = 'corrupt' | 'tiny' | 'grey' | 'duplicate' | 'left-out';

export interface DatasetProblem {
  file: string;
  kind: DatasetProblemKind;
  message: string;
}

export interface DatasetSummary {
  id: string;
  name: string;
  path: string;
  count: number;
  addedAt: string;
  /** Up to a handful of thumbnails to recognise the dataset by. */
  thumbnails: MediaRef[];
  problemCount: number;
  /** Images that can be read (`count` also holds those that cannot, listed among the problems). */
  readable: number;
}

/** One image of a dataset, in folder order: its path relative to the dataset folder and its thumbnail
 *  (null when the image cannot be read; such files are listed among the problems). */
export interface DatasetImage {
  file: string;
  thumbnail: MediaRef | null;
}

export interface DatasetReport extends DatasetSummary {
  /** Every image of the dataset, for the gallery (datasets added before this existed list only their summary thumbnails). */
  images: DatasetImage[];
  /** Image sizes seen, most common first ("640×480": 12). */
  sizes: { size: string; count: number }[];
  formats: { format: string; count: number }[];
  problems: DatasetProblem[];
}

export interface TrainRequest {
  family: FamilyId;
  /** Dataset ids: `a` for every family, `b` too for CycleGAN. */
  datasets: { a: string; b?: string };
  name?: string;
  size: number;
  preset?: Preset;
  iterations: number;
  batch?: number;
  seed?: number;
  sampleEvery?: number;
  checkpointEvery?: number;
  backend?: BackendPreference;
  /** Where the onnx backend runs (auto, cpu, webgpu, cuda, dml, coreml): the rules of Convert's device. */
  device?: DeviceChoice;
  /**
   * Published generator checkpoints (.pth, .pt, .safetensors) the run starts from: CUT its generator's; CycleGAN the
   * A → B generator's, then optionally B → A's. Paths on the studio's machine; in browser mode the access policy
   * applies (inside the workspace or a folder chosen this session).
   */
  initGenerator?: string[];
  /** Family settings passed through to the family's resolveConfig (numbers, strings, booleans). */
  advanced?: Record<string, number | string | boolean>;
}

export interface RunSummary {
  id: string;
  name: string;
  family: FamilyId;
  /** What it trains, in words: the family's title, or CUT / FastCUT by the run's mode. */
  label: string;
  status: RunStatus;
  /** A trainer process is attached to this run right now. */
  active: boolean;
  iteration: number;
  totalIterations: number;
  size: number;
  backend: BackendInfo | null;
  createdAt: string;
  updatedAt: string;
  lastError: string | null;
  lastSample: MediaRef | null;
  /** The ONNX files exported from this run, by file name (in its exports/ folder). */
  exports: string[];
  /** Seconds per iteration this machine took, up to the last checkpoint (null before one): for time estimates. */
  secondsPerIteration: number | null;
}

/** A dataset a run learns from: its role (a, b, or data for one-folder families), name in the studio, folder and use. */
export interface RunDataset {
  role: string;
  /** The studio's name for it; null when the run was started elsewhere or the dataset was removed. */
  name: string | null;
  path: string;
  /** Usable images when the run last started. */
  images: number;
  /** Image files it skipped (unreadable), by path inside the folder. */
  skipped: { file: string; reason: string }[];
}

export interface MetricPoint {
  iteration: number;
  losses: Record<string, number>;
  lr: number;
  elapsedMs: number;
}

export interface RunDetail extends RunSummary {
  /** Loss history, thinned to at most a few hundred points. */
  metrics: MetricPoint[];
  samples: { iteration: number; media: MediaRef }[];
  /** What each row of the sample grids shows ("real A", "A → B", …), top to bottom; empty before the first grid. */
  sampleRows: string[];
  datasets: RunDataset[];
  /** The published generators it started from (--init-generator / the Train form), in direction order; empty when from scratch. */
  startedFrom: { direction: Direction; name: string; file: string; architecture: string }[];
  /** Loop settings and the family's resolved config, for the "advanced" view. */
  settings: Record<string, unknown>;
}

/** Every run in the workspace, and the run folders left out (browser mode: one linked in from outside), each with why. */
export interface RunList {
  runs: RunSummary[];
  /** `name`: the folder's name in the workspace's runs folder ('runs/' for the folder itself). */
  leftOut: { name: string; reason: string }[];
}

export interface ModelInfo {
  id: string;
  name: string;
  /** Where the .onnx lives inside the workspace. */
  media: MediaRef;
  family: FamilyId | 'external';
  part: ExportPartName | 'unknown';
  direction: Direction | null;
  /** The pixel range the model works in ("-1,1", "0,1"…), from its metadata or chosen at import; null when unknown (ask). */
  range: string | null;
  trainSize: number | null;
  /** What it takes: an image, or a latent vector of `latentSize`. */
  input: 'image' | 'latent';
  latentSize: number | null;
  sourceRun: string | null;
  /** Where it came from: trained in a run here, imported from a PyTorch/safetensors checkpoint, or an ONNX file. */
  origin: ModelOrigin;
  createdAt: string;
  bytes: number;
  metadata: Record<string, string>;
}

export type ModelOrigin =
  | { kind: 'trained'; runId: string }
  /** `file`: the checkpoint's file name; `architecture`: what was recognised in it. */
  | { kind: 'imported'; file: string; architecture: string }
  | { kind: 'onnx' };

export interface ImageInput {
  /** A file on this machine (Electron open dialog; in browser mode, inside a folder chosen in the studio)… */
  path?: string;
  /** …or the bytes of a dropped or pasted image, base64-encoded, with its file name. */
  name?: string;
  base64?: string;
}

export interface ConvertResult {
  id: string;
  modelId: string;
  inputName: string;
  /** The "before" photo (a PNG of the input's pixels) to show… */
  input: MediaRef;
  /** …and the same file's path on this machine, in the workspace: what Convert converts again to rerun or compare. */
  inputPath: string;
  output: MediaRef;
  width: number;
  height: number;
  elapsedMs: number;
  /** Which device ran the photo, and why the CPU did if the device meant for it could not. */
  device: DeviceUse;
}

export interface SavedImage {
  media: MediaRef;
  /** Where it was written, when the request named a path (Electron only; browser mode downloads the media). */
  path: string | null;
  fileName: string;
  bytes: number;
}

export interface BatchRequest {
  modelId: string;
  input: string;
  output: string;
  format?: FormatChoice;
  quality?: number;
  recursive?: boolean;
  overwrite?: boolean;
  /** Where to run the model (default 'auto'); the batch's events and report say where it ran. */
  device?: DeviceChoice;
}

export interface JobRef {
  jobId: string;
}

export interface GeneratedImages {
  images: MediaRef[];
}

// ---------------------------------------------------------------------------------------------------
// Events: one union keyed by `type` and job id. Training jobs use the run id as job id.

export interface BatchCounts {
  total: number;
  done: number;
  skipped: number;
  failed: number;
  /** Not reached because the batch was stopped. */
  pending: number;
}

export type BatchItemStatus = 'done' | 'skipped' | 'failed';

/** Batch progress, one union keyed by `type`; the batch service emits it, the CLI prints it, the studio relays it unchanged. */
export type BatchEvent =
  | { type: 'started'; total: number; toConvert: number; model: string; inputs: string[]; out: string; device: DeviceUse; rangeNote?: string }
  /** `done` counts every item settled (converted, skipped or failed); `counts` tells them apart. The rate and ETA come
   *  from photos converted by this run only: an unreadable file fails at once and says nothing about speed. */
  | { type: 'progress'; done: number; total: number; counts: BatchCounts; current: string | null; imagesPerMinute: number; etaSeconds: number | null }
  | { type: 'item'; path: string; output: string; status: BatchItemStatus; reason?: string }
  | { type: 'finished'; report: string; counts: BatchCounts; failed: { path: string; reason: string }[]; cancelled: boolean; elapsedMs: number; device: DeviceUse };

/** A batch's events, and 'failed' when it stopped on an error after 'started' (no 'finished' follows). */
export type StudioBatchEvent =
  | BatchEvent
  | { type: 'failed'; message: string }
  /** A converted photo's thumbnail for the Batch view's gallery (`path`: the input, as in its 'item' event). */
  | { type: 'thumbnail'; path: string; media: MediaRef };

export type StudioEvent =
  /** `media`: for sample events, the sample image as a workspace file. */
  | { type: 'training'; jobId: string; event: TrainingEvent; media?: MediaRef }
  | { type: 'batch'; jobId: string; event: StudioBatchEvent }
  /** A photo's translation, tile by tile: `jobId` is the one the convert.image request named. */
  | { type: 'convert'; jobId: string; event: ConvertProgress }
  /** The list of runs, datasets or models changed (another window, a finished export…): refetch. */
  | { type: 'changed'; jobId: null; what: 'runs' | 'datasets' | 'models' };

/**
 * Tiles translated so far of the photo's total (a photo small enough for one tile reports 1 of 1); for a photo
 * translated in stages, its tile runs weighted by their work, so that `done` grows evenly with time and may skip a
 * number. The first event comes before any tile (done 0), as soon as the photo is read and its tiles are planned.
 */
export interface ConvertProgress {
  done: number;
  total: number;
  /**
   * Only while done is 0: how long all the tiles should take, in seconds, from the tile count and a measured time
   * per tile (this model's previous photo on the same device, else its statistics pass or its first tiles); null when nothing has
   * been measured yet (the first tile then gives the measure).
   */
  estimatedSeconds?: number | null;
}

// ---------------------------------------------------------------------------------------------------
// Methods

type Empty = Record<string, never>;
interface Method<Req, Res> {
  request: Req;
  response: Res;
}

export interface StudioMethods {
  'app.info': Method<Empty, AppInfo>;
  'devices.list': Method<Empty, DevicesReport>;
  'fs.list': Method<{ path?: string; hidden?: boolean }, FolderListing>;
  /** The user chose this folder in the studio (browser mode's folder browser): returns its real path. */
  'fs.choose': Method<{ path: string; use: FolderUse }, { path: string }>;
  /** The folder browser's "New folder": makes `path` (one new level, inside a folder that exists) and lists it. */
  'fs.createFolder': Method<{ path: string }, FolderListing>;
  'datasets.list': Method<Empty, DatasetSummary[]>;
  'datasets.add': Method<{ path: string; name?: string }, DatasetReport>;
  'datasets.get': Method<{ id: string }, DatasetReport>;
  'datasets.remove': Method<{ id: string }, Empty>;
  'training.start': Method<TrainRequest, RunSummary>;
  'training.pause': Method<{ runId: string }, Empty>;
  /** `iterations`: train further to this new total (more than the run has done), a finished run too. */
  'training.resume': Method<{ runId: string; iterations?: number }, RunSummary>;
  'training.stop': Method<{ runId: string }, Empty>;
  'runs.list': Method<Empty, RunList>;
  'runs.get': Method<{ runId: string }, RunDetail>;
  'runs.delete': Method<{ runId: string }, Empty>;
  'runs.export': Method<{ runId: string; direction?: Direction; part?: ExportPartName }, ModelInfo[]>;
  'models.list': Method<Empty, ModelInfo[]>;
  /** `range`: for a model whose metadata does not say which pixel range it works in. */
  'models.import': Method<{ path?: string; name?: string; base64?: string; range?: PixelRange }, ModelInfo>;
  'models.delete': Method<{ id: string }, Empty>;
  'models.rename': Method<{ id: string; name: string }, ModelInfo>;
  'models.generate': Method<{ id: string; count: number; seed?: number }, GeneratedImages>;
  'models.interpolate': Method<{ id: string; steps: number; seed?: number }, GeneratedImages>;
  /** `jobId`, chosen by the caller: its progress events carry it, and convert.cancel stops it. */
  'convert.image': Method<{ modelId: string; image: ImageInput; device?: DeviceChoice; jobId?: string }, ConvertResult>;
  'convert.cancel': Method<JobRef, Empty>;
  'convert.save': Method<{ resultId: string; format: OutputFormat; quality?: number; path?: string }, SavedImage>;
  'batch.start': Method<BatchRequest, JobRef>;
  'batch.cancel': Method<JobRef, Empty>;
  /** A photo the batch converted (by its input path), before and after, for the before/after view. */
  'batch.preview': Method<{ jobId: string; path: string }, { before: MediaRef; after: MediaRef; width: number; height: number }>;
}

export type MethodName = keyof StudioMethods;
export type RequestOf<M extends MethodName> = StudioMethods[M]['request'];
export type ResponseOf<M extends MethodName> = StudioMethods[M]['response'];

/** What the back end implements: one async function per method. */
export type StudioHandlers = { [M in MethodName]: (request: RequestOf<M>) => Promise<ResponseOf<M>> };

// ---------------------------------------------------------------------------------------------------
// Errors and wire format

export type ApiErrorCode = 'bad-request' | 'not-found' | 'conflict' | 'unauthorized' | 'failed';

/** What a transport carries back when a method throws: the message is for people, unchanged. */
export interface ApiErrorBody {
  code: ApiErrorCode;
  message: string;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Body of every /api response (HTTP 200 for answers and refusals alike; 401/403 only for a missing token or a foreign origin). */
export type ApiReply<T> = { ok: true; result: T } | { ok: false; error: ApiErrorBody };

/**
 * Turns anything a service threw into what the transports send: a UsageError is the caller's to fix (bad-request).
 * The remedies a message names are put in the studio's words (its fields and buttons), or in `say`'s (the CLI's flags).
 */
export function toErrorBody(error: unknown, say: (text: string) => string = inStudioWords): ApiErrorBody {
  if (error instanceof ApiError) return { code: error.code, message: say(error.message) };
  if (error instanceof UsageError) return { code: 'bad-request', message: say(error.message) };
  if (error instanceof Error) return { code: 'failed', message: say(error.message) };
  return { code: 'failed', message: say(String(error)) };
}

// ---------------------------------------------------------------------------------------------------
// Validation: every request crossing a process or network boundary goes through these.

type Validator<T> = (raw: unknown) => T;

function bad(method: string, message: string): never {
  throw new ApiError('bad-request', `${method}: ${message}`);
}

function record(method: string, raw: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) bad(method, 'the request must be an object');
  const value = raw as Record<string, unknown>;
  for (const key of Object.keys(value))
    if (!allowed.includes(key)) bad(method, `unknown field "${key}" (expected ${allowed.join(', ') || 'none'})`);
  return value;
}

function text(method: string, value: unknown, field: string, options: { optional: true; max?: number }): string | undefined;
function text(method: string, value: unknown, field: string, options?: { optional?: false; max?: number }): string;
function text(method: string, value: unknown, field: string, { optional = false, max = 4096 } = {}): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value.length === 0) bad(method, `"${field}" must be a non-empty string`);
  if (value.length > max) bad(method, `"${field}" is longer than ${max} characters`);
  if (value.includes('\0')) bad(method, `"${field}" contains a NUL character`);
  return value;
}

function integer(method: string, value: unknown, field: string, min: number, max: number, optional = false): number | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    bad(method, `"${field}" must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  return value;
}

function flag(method: string, value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') bad(method, `"${field}" must be true or false`);
  return value;
}

function oneOf<T extends string>(method: string, value: unknown, field: string, choices: readonly T[], optional = false): T | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || !choices.includes(value as T))
    bad(method, `"${field}" must be one of ${choices.join(', ')} (got ${JSON.stringify(value)})`);
  return value as T;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
function id(method: string, value: unknown, field: string): string {
  const s = text(method, value, field, { max: 128 });
  if (!ID_PATTERN.test(s) || s.includes('..')) bad(method, `"${field}" is not a valid id`);
  return s;
}

/** Strips undefined fields so validated requests compare and serialise cleanly. */
function clean<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const empty =
  (method: string): Validator<Empty> =>
  (raw) => {
    record(method, raw, []);
    return {} as Empty;
  };

const byId =
  <K extends string>(method: string, key: K): Validator<Record<K, string>> =>
  (raw) => {
    const r = record(method, raw, [key]);
    return { [key]: id(method, r[key], key) } as Record<K, string>;
  };

/** Up to ~64 MB of base64 (a large photo or a model file). */
const MAX_BASE64 = 96 * 1024 * 1024;

function validateTrain(raw: unknown): TrainRequest {
  const m = 'training.start';
  const r = record(m, raw, ['family', 'datasets', 'name', 'size', 'preset', 'iterations', 'batch', 'seed', 'sampleEvery', 'checkpointEvery', 'backend', 'device', 'initGenerator', 'advanced']);
  const family = oneOf(m, r.family, 'family', FAMILY_IDS)!;
  const ds = record(m, r.datasets, ['a', 'b']);
  const datasets = clean({ a: id(m, ds.a, 'datasets.a'), b: ds.b === undefined ? undefined : id(m, ds.b, 'datasets.b') });
  const twoDatasets = FAMILY_TRAITS[family].datasets === 2;
  if (twoDatasets && !datasets.b) bad(m, `${family} needs two datasets: choose a dataset for B`);
  if (!twoDatasets && datasets.b) bad(m, `${family} trains on one dataset; leave B empty`);
  let advanced: Record<string, number | string | boolean> | undefined;
  if (r.advanced !== undefined) {
    if (typeof r.advanced !== 'object' || r.advanced === null || Array.isArray(r.advanced)) bad(m, '"advanced" must be an object');
    advanced = {};
    for (const [key, value] of Object.entries(r.advanced as Record<string, unknown>)) {
      if (!/^[A-Za-z][A-Za-z0-9]{0,40}$/.test(key)) bad(m, `advanced setting "${key}" is not a valid name`);
      if (!['number', 'string', 'boolean'].includes(typeof value) || (typeof value === 'number' && !Number.isFinite(value)))
        bad(m, `advanced setting "${key}" must be a number, text or true/false`);
      const option = FAMILY_OPTIONS[family].find((o) => o.name === key && o.name !== 'size');
      if (!option) bad(m, `${family} has no setting "${key}"; it takes: ${FAMILY_OPTIONS[family].filter((o) => o.name !== 'size').map((o) => o.name).join(', ')}`);
      const problem = optionProblem(option, value);
      if (problem) bad(m, `${remedyOption(key)} ${problem} (got ${JSON.stringify(value)})`);
      advanced[key] = value as number | string | boolean;
    }
  }
  const initGenerator = r.initGenerator === undefined ? undefined : initGeneratorFiles(m, family, r.initGenerator);
  // The family's own rule (a power of two for ae, vae and gan; a multiple of 4 for cyclegan and cut), as the CLI checks it.
  const sizeProblem = typeof r.size === 'number' ? optionProblem(familyOption(family, 'size'), r.size) : 'must be a number';
  if (sizeProblem) bad(m, `${remedyOption('size')} for ${family} ${sizeProblem} (got ${JSON.stringify(r.size)})`);
  const size = r.size as number;
  return clean({
    family,
    datasets,
    name: text(m, r.name, 'name', { optional: true, max: 80 }),
    size,
    preset: oneOf(m, r.preset, 'preset', PRESETS, true),
    iterations: integer(m, r.iterations, 'iterations', 1, 10_000_000)!,
    batch: integer(m, r.batch, 'batch', 1, MAX_BATCH, true),
    seed: integer(m, r.seed, 'seed', 0, 2 ** 31 - 1, true),
    sampleEvery: integer(m, r.sampleEvery, 'sampleEvery', 1, 10_000_000, true),
    checkpointEvery: integer(m, r.checkpointEvery, 'checkpointEvery', 1, 10_000_000, true),
    backend: oneOf(m, r.backend, 'backend', BACKEND_PREFERENCES, true),
    device: oneOf(m, r.device, 'device', DEVICE_CHOICES, true),
    initGenerator,
    advanced,
  });
}

/** One checkpoint path per generator the family trains (CycleGAN: A → B, then optionally B → A). */
function initGeneratorFiles(m: string, family: FamilyId, value: unknown): string[] {
  const most = FAMILY_TRAITS[family].directions.length;
  if (most === 0) bad(m, `"initGenerator" starts a translator (cyclegan, cut) from a published generator; ${family} has none`);
  if (!Array.isArray(value) || value.length === 0 || value.length > most)
    bad(m, `"initGenerator" must be a list of ${most === 1 ? 'one checkpoint path' : 'one or two checkpoint paths (A → B, then B → A)'} for ${family}`);
  return value.map((path, i) => text(m, path, `initGenerator[${i}]`));
}

function validateImageInput(m: string, raw: unknown): ImageInput {
  const r = record(m, raw, ['path', 'name', 'base64']);
  if ((r.path === undefined) === (r.base64 === undefined)) bad(m, 'give the image either as "path" or as "name" + "base64"');
  if (r.path !== undefined) return { path: text(m, r.path, 'image.path') };
  const name = text(m, r.name, 'image.name', { max: 255 });
  if (/[\\/]/.test(name)) bad(m, '"image.name" must be a file name, not a path');
  return { name, base64: text(m, r.base64, 'image.base64', { max: MAX_BASE64 }) };
}

const REQUEST_VALIDATORS: { [M in MethodName]: Validator<RequestOf<M>> } = {
  'app.info': empty('app.info'),
  'devices.list': empty('devices.list'),
  'fs.list': (raw) => {
    const r = record('fs.list', raw, ['path', 'hidden']);
    return clean({ path: text('fs.list', r.path, 'path', { optional: true }), hidden: flag('fs.list', r.hidden, 'hidden') });
  },
  'fs.choose': (raw) => {
    const r = record('fs.choose', raw, ['path', 'use']);
    return { path: text('fs.choose', r.path, 'path'), use: oneOf('fs.choose', r.use, 'use', FOLDER_USES)! };
  },
  'fs.createFolder': (raw) => {
    const r = record('fs.createFolder', raw, ['path']);
    return { path: text('fs.createFolder', r.path, 'path') };
  },
  'datasets.list': empty('datasets.list'),
  'datasets.add': (raw) => {
    const r = record('datasets.add', raw, ['path', 'name']);
    return clean({ path: text('datasets.add', r.path, 'path'), name: text('datasets.add', r.name, 'name', { optional: true, max: 80 }) });
  },
  'datasets.get': byId('datasets.get', 'id'),
  'datasets.remove': byId('datasets.remove', 'id'),
  'training.start': validateTrain,
  'training.pause': byId('training.pause', 'runId'),
  'training.resume': (raw) => {
    const m = 'training.resume';
    const r = record(m, raw, ['runId', 'iterations']);
    return clean({ runId: id(m, r.runId, 'runId'), iterations: integer(m, r.iterations, 'iterations', 1, 10_000_000, true) });
  },
  'training.stop': byId('training.stop', 'runId'),
  'runs.list': empty('runs.list'),
  'runs.get': byId('runs.get', 'runId'),
  'runs.delete': byId('runs.delete', 'runId'),
  'runs.export': (raw) => {
    const m = 'runs.export';
    const r = record(m, raw, ['runId', 'direction', 'part']);
    return clean({
      runId: id(m, r.runId, 'runId'),
      direction: oneOf(m, r.direction, 'direction', DIRECTIONS, true),
      part: oneOf(m, r.part, 'part', EXPORT_PART_NAMES, true),
    });
  },
  'models.list': empty('models.list'),
  'models.import': (raw) => {
    const m = 'models.import';
    const r = record(m, raw, ['path', 'name', 'base64', 'range']);
    if ((r.path === undefined) === (r.base64 === undefined)) bad(m, 'give the model either as "path" or as "name" + "base64"');
    return clean({
      path: text(m, r.path, 'path', { optional: true }),
      name: text(m, r.name, 'name', { optional: true, max: 255 }),
      base64: text(m, r.base64, 'base64', { optional: true, max: MAX_BASE64 }),
      range: oneOf(m, r.range, 'range', PIXEL_RANGES, true),
    });
  },
  'models.delete': byId('models.delete', 'id'),
  'models.rename': (raw) => {
    const m = 'models.rename';
    const r = record(m, raw, ['id', 'name']);
    const name = text(m, r.name, 'name', { max: 120 }).trim();
    if (!name) bad(m, '"name" must not be blank');
    return { id: id(m, r.id, 'id'), name };
  },
  'models.generate': (raw) => {
    const m = 'models.generate';
    const r = record(m, raw, ['id', 'count', 'seed']);
    return clean({ id: id(m, r.id, 'id'), count: integer(m, r.count, 'count', 1, 64)!, seed: integer(m, r.seed, 'seed', 0, 2 ** 31 - 1, true) });
  },
  'models.interpolate': (raw) => {
    const m = 'models.interpolate';
    const r = record(m, raw, ['id', 'steps', 'seed']);
    return clean({ id: id(m, r.id, 'id'), steps: integer(m, r.steps, 'steps', 2, 32)!, seed: integer(m, r.seed, 'seed', 0, 2 ** 31 - 1, true) });
  },
  'convert.image': (raw) => {
    const m = 'convert.image';
    const r = record(m, raw, ['modelId', 'image', 'device', 'jobId']);
    return clean({
      modelId: id(m, r.modelId, 'modelId'),
      image: validateImageInput(m, r.image),
      device: oneOf(m, r.device, 'device', DEVICE_CHOICES, true),
      jobId: r.jobId === undefined ? undefined : id(m, r.jobId, 'jobId'),
    });
  },
  'convert.cancel': byId('convert.cancel', 'jobId'),
  'convert.save': (raw) => {
    const m = 'convert.save';
    const r = record(m, raw, ['resultId', 'format', 'quality', 'path']);
    return clean({
      resultId: id(m, r.resultId, 'resultId'),
      format: oneOf(m, r.format, 'format', OUTPUT_FORMATS)!,
      quality: integer(m, r.quality, 'quality', 1, 100, true),
      path: text(m, r.path, 'path', { optional: true }),
    });
  },
  'batch.start': (raw) => {
    const m = 'batch.start';
    const r = record(m, raw, ['modelId', 'input', 'output', 'format', 'quality', 'recursive', 'overwrite', 'device']);
    return clean({
      modelId: id(m, r.modelId, 'modelId'),
      input: text(m, r.input, 'input'),
      output: text(m, r.output, 'output'),
      format: oneOf(m, r.format, 'format', FORMAT_CHOICES, true),
      quality: integer(m, r.quality, 'quality', 1, 100, true),
      recursive: flag(m, r.recursive, 'recursive'),
      overwrite: flag(m, r.overwrite, 'overwrite'),
      device: oneOf(m, r.device, 'device', DEVICE_CHOICES, true),
    });
  },
  'batch.cancel': byId('batch.cancel', 'jobId'),
  'batch.preview': (raw) => {
    const r = record('batch.preview', raw, ['jobId', 'path']);
    return { jobId: id('batch.preview', r.jobId, 'jobId'), path: text('batch.preview', r.path, 'path') };
  },
};

export const METHOD_NAMES = Object.keys(REQUEST_VALIDATORS) as MethodName[];

function isMethodName(value: unknown): value is MethodName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(REQUEST_VALIDATORS, value);
}

/** Validates a method name and its request; throws ApiError('bad-request') naming what is wrong. */
export function validateRequest<M extends MethodName>(method: M, raw: unknown): RequestOf<M>;
export function validateRequest(method: unknown, raw: unknown): unknown;
export function validateRequest(method: unknown, raw: unknown): unknown {
  if (!isMethodName(method)) throw new ApiError('bad-request', `unknown method ${JSON.stringify(method)}`);
  return REQUEST_VALIDATORS[method](raw);
}

/**
 * Calls the handler for a method after validating its request: the one path every transport takes. What the
 * library's messages in the answer ask for (a run's last error, a device's reason) is said in the studio's words.
 */
export async function dispatch(handlers: StudioHandlers, method: unknown, raw: unknown): Promise<unknown> {
  const request = validateRequest(method, raw);
  const handler = handlers[method as MethodName] as (request: unknown) => Promise<unknown>;
  return inStudioWords(await handler(request));
}

// ---------------------------------------------------------------------------------------------------
// Transport constants shared by the server, the preload and the renderer (declared in a module of their own,
// which imports nothing, so that the renderer and the preload load them without this file's validators)

export { IPC, MEDIA_PROTOCOL, MEDIA_PROTOCOL_HOST, TOKEN_HEADER, TOKEN_QUERY, MEDIA_KEY_QUERY, mediaKeyOf } from './transport-constants.js';

/** What the preload exposes as window.darkroom (Electron only). */
export interface DarkroomBridge {
  invoke<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>>;
  /** Subscribes to every studio event; returns the unsubscribe function. */
  onEvent(listener: (event: StudioEvent) => void): () => void;
  pickFolder(title?: string): Promise<string | null>;
  pickFile(kind: 'image' | 'onnx'): Promise<string | null>;
  saveFile(defaultName: string): Promise<string | null>;
  /** Starts a native drag of a workspace file out of the window. */
  startDrag(media: MediaRef): void;
  /** Shows a folder in the system's file manager; rejects, saying why, when it is not a folder. */
  openFolder(path: string): Promise<void>;
}
