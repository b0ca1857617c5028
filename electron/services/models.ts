// Models: the ONNX files the studio can use — exported from runs or imported from elsewhere — kept in the
// workspace's models/ folder as <id>.onnx beside <id>.json (what we learnt about it). Importing checks the file
// with ONNX Runtime first. VAE decoders and GAN generators (latent → image) draw new images and latent
// interpolation strips.
import { existsSync, promises as fs } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { encodePng, floatToUint8, type PixelRange } from '../../models/data/image-io.js';
import { describeImageModel, openModel, parseRange, type OnnxModel } from '../../models/onnx/runtime.js';
import { valueRangeOf } from '../../models/onnx/image-model.js';
import { Rng } from '../../models/rng.js';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../../models/atomic-fs.js';
import { importGenerator, isCheckpointPath } from '../../models/import/import-generator.js';
import { ApiError, DIRECTIONS, EXPORT_PART_NAMES, FAMILY_IDS, type Direction, type ExportPartName, type FamilyId, type ModelInfo, type ModelOrigin } from '../api.js';
import { DARKROOM_VERSION } from './version.js';
import { claimFile, mediaRef, reserveId, type Workspace } from './workspace.js';

const FAMILIES = new Set<string>(FAMILY_IDS);
const PARTS = new Set<string>(EXPORT_PART_NAMES);
const KNOWN_DIRECTIONS = new Set<string>(DIRECTIONS);

type StoredModel = Omit<ModelInfo, 'media' | 'origin'>;

/** Where a stored model came from, read from what it records (so models stored before this was shown have one too). */
function originOf(stored: StoredModel): ModelOrigin {
  if (stored.sourceRun) return { kind: 'trained', runId: stored.sourceRun };
  const m = stored.metadata ?? {};
  if (m['darkroom.source'] === 'imported') return { kind: 'imported', file: m['darkroom.sourceFile'] ?? '?', architecture: m['darkroom.architecture'] ?? '?' };
  return { kind: 'onnx' };
}

/** What a model file says about itself, checked: an image-to-image model or a latent → image generator. */
async function describeModelFile(source: string | Uint8Array, label: string): Promise<Omit<StoredModel, 'id' | 'name' | 'sourceRun' | 'createdAt' | 'bytes'>> {
  let model: OnnxModel;
  try {
    model = await openModel(source, { device: 'cpu', threads: 1, label });
  } catch (error) {
    throw new ApiError('bad-request', `${label} is not an ONNX model Darkroom can open: ${(error as Error).message}`);
  }
  try {
    const metadata = { ...model.metadata };
    const family = FAMILIES.has(metadata['darkroom.family']) ? (metadata['darkroom.family'] as FamilyId) : 'external';
    const part = PARTS.has(metadata['darkroom.part']) ? (metadata['darkroom.part'] as ExportPartName) : 'unknown';
    const direction = KNOWN_DIRECTIONS.has(metadata['darkroom.direction']) ? (metadata['darkroom.direction'] as Direction) : null;
    const trainSize = Number(metadata['darkroom.trainSize']) || null;
    // The metadata's range, or the one a final Tanh or Sigmoid fixes. Unknown stays unknown: guessing -1,1 would
    // give washed-out or clipped pictures without a word.
    const known = valueRangeOf(model).range;
    const range = known ? `${known[0]},${known[1]}` : null;
    const input = model.inputs[0];
    if (input && input.dims.length === 2 && model.outputs[0]?.dims.length === 4) {
      const latentSize = typeof input.dims[1] === 'number' ? input.dims[1] : Number(metadata['darkroom.latentSize']);
      if (!Number.isInteger(latentSize) || latentSize < 1) throw new ApiError('bad-request', `${label} takes a vector of unknown length; Darkroom cannot draw inputs for it`);
      return { family, part, direction, range, trainSize, input: 'latent', latentSize, metadata };
    }
    try {
      describeImageModel(model);
    } catch (error) {
      throw new ApiError('bad-request', `${label}: ${(error as Error).message.replace(/^model \S+ /, 'this model ')}`);
    }
    return { family, part, direction, range, trainSize, input: 'image', latentSize: null, metadata };
  } finally {
    await model.dispose();
  }
}

/**
 * What messages call a model the studio keeps (its file in the workspace is Darkroom's copy): its name, and for an
 * imported checkpoint the file it came from.
 */
export function modelLabel(model: ModelInfo): string {
  return `“${model.name}”${model.origin.kind === 'imported' ? ` (imported from ${model.origin.file})` : ''}`;
}

/** Says whether a workspace path is a link leading outside it (browser mode), in the listings' words; null if not. */
export type LeadsOutOfWorkspace = (path: string) => Promise<string | null>;

export class ModelStore {
  readonly #workspace: Workspace;
  readonly #leadsOut: LeadsOutOfWorkspace;

  constructor(workspace: Workspace, leadsOut: LeadsOutOfWorkspace = async () => null) {
    this.#workspace = workspace;
    this.#leadsOut = leadsOut;
  }

  #paths(id: string) {
    return { onnx: join(this.#workspace.paths.models, `${id}.onnx`), json: join(this.#workspace.paths.models, `${id}.json`) };
  }

  async list(): Promise<ModelInfo[]> {
    const names = await fs.readdir(this.#workspace.paths.models).catch(() => [] as string[]);
    const models: ModelInfo[] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
      const id = name.slice(0, -'.json'.length);
      const model = await this.get(id).catch(() => null);
      if (model) models.push(model);
    }
    // Newest first; one export's models share a time, and then a run's forward direction (A → B) comes first.
    return models.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || (a.direction ?? '').localeCompare(b.direction ?? ''));
  }

  async get(id: string): Promise<ModelInfo> {
    const paths = this.#paths(id);
    // A model file (or the models folder) linked in from outside the workspace is not read in browser mode.
    for (const file of [paths.json, paths.onnx]) {
      const reason = await this.#leadsOut(file);
      if (reason) throw new ApiError('bad-request', `The model ${id} is not read: ${basename(file)} is ${reason}`);
    }
    const stored = await readJson<StoredModel>(paths.json).catch(() => null);
    if (!stored || !(await fs.stat(paths.onnx).catch(() => null))) throw new ApiError('not-found', `There is no model "${id}"; it may have been deleted.`);
    return { ...stored, origin: originOf(stored), media: mediaRef(this.#workspace, paths.onnx) };
  }

  /** The .onnx file of a model, for conversion. */
  async fileOf(id: string): Promise<string> {
    await this.get(id);
    return this.#paths(id).onnx;
  }

  /**
   * Checks and copies a model file (or uploaded bytes) into the workspace. A PyTorch or safetensors checkpoint (by its
   * name's extension) is imported first (models/import: refused files are bad requests, nothing is stored).
   */
  /** `range`: the pixel range chosen by the user, for a model whose metadata does not say (it wins over the metadata). */
  /** `replaces`: the id of a model this one takes the place of (a run exported again), kept with its name. */
  async import(
    source: { path: string } | { bytes: Uint8Array; name: string },
    options: { name?: string; sourceRun?: string; range?: PixelRange; replaces?: string; createdAt?: string } = {},
  ): Promise<ModelInfo> {
    let bytes: Uint8Array;
    let fileName: string;
    if ('path' in source) {
      const stat = await fs.stat(source.path).catch(() => null);
      if (!stat?.isFile()) throw new ApiError('bad-request', `${source.path} does not exist or is not a file; choose an .onnx, .pth or .safetensors file`);
      bytes = await fs.readFile(source.path);
      fileName = basename(source.path);
    } else {
      bytes = source.bytes;
      fileName = source.name;
    }
    if (isCheckpointPath(fileName)) bytes = importGenerator(bytes, fileName, { version: DARKROOM_VERSION, ...(options.name ? { name: options.name } : {}) }).onnx;
    const described = await describeModelFile(bytes, fileName);
    const replaced = options.replaces ? await this.get(options.replaces).catch(() => null) : null;
    const name = replaced?.name ?? options.name ?? basename(fileName, extname(fileName));
    // An empty <id>.onnx claims the id (a model is listed by its .json, so the claim is never shown);
    // an id with a .json left over from a lost .onnx is not reused either.
    const id = replaced?.id ?? (await reserveId(name, (candidate) => claimFile(this.#paths(candidate).onnx), (candidate) => existsSync(this.#paths(candidate).json)));
    const paths = this.#paths(id);
    const createdAt = options.createdAt ?? new Date().toISOString();
    const stored: StoredModel = { id, name, ...described, range: options.range ?? described.range, sourceRun: options.sourceRun ?? null, createdAt, bytes: bytes.length };
    try {
      await writeFileAtomic(paths.onnx, bytes);
      // The .json is written last: a model is listed only once both files are complete.
      await writeJsonAtomic(paths.json, stored);
    } catch (error) {
      // A replaced model keeps its old files where the new ones could not be written whole.
      if (!replaced) await fs.rm(paths.onnx, { force: true });
      throw error;
    }
    return { ...stored, origin: originOf(stored), media: mediaRef(this.#workspace, paths.onnx) };
  }

  async rename(id: string, name: string): Promise<ModelInfo> {
    const { media: _media, origin: _origin, ...stored } = await this.get(id);
    const renamed: StoredModel = { ...stored, name };
    await writeJsonAtomic(this.#paths(id).json, renamed);
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    const paths = this.#paths(id);
    await fs.rm(paths.json, { force: true });
    await fs.rm(paths.onnx, { force: true });
  }

  /** `count` new images from N(0, I) latents through a latent → image model. */
  async generate(id: string, count: number, seed: number): Promise<string[]> {
    const model = await this.#latentModel(id);
    const rng = new Rng(seed);
    const latents = Array.from({ length: count }, () => rng.normals(model.latentSize));
    return this.#render(id, model, latents, `gen-${seed}`);
  }

  /** `steps` images along the great circle between two random latents (spherical interpolation keeps the norm typical). */
  async interpolate(id: string, steps: number, seed: number): Promise<string[]> {
    const model = await this.#latentModel(id);
    const rng = new Rng(seed);
    const a = rng.normals(model.latentSize);
    const b = rng.normals(model.latentSize);
    const latents = Array.from({ length: steps }, (_, i) => slerp(a, b, i / (steps - 1)));
    return this.#render(id, model, latents, `lerp-${seed}`);
  }

  async #latentModel(id: string): Promise<{ file: string; latentSize: number; range: [number, number] }> {
    const info = await this.get(id);
    if (info.input !== 'latent' || !info.latentSize)
      throw new ApiError('bad-request', `${info.name} translates images; only VAE decoders and GAN generators draw new images from noise`);
    return { file: this.#paths(id).onnx, latentSize: info.latentSize, range: requireRange(info) };
  }

  async #render(id: string, model: { file: string; latentSize: number; range: [number, number] }, latents: Float32Array[], tag: string): Promise<string[]> {
    const { latentSize } = model;
    const session = await openModel(model.file);
    try {
      const input = new Float32Array(latents.length * latentSize);
      latents.forEach((z, i) => input.set(z, i * latentSize));
      const { data, dims } = await session.run(input, [latents.length, latentSize]);
      const [n, channels, height, width] = dims;
      if (channels !== 3 && channels !== 1) throw new ApiError('failed', `model ${id} gave images with ${channels} channels; expected 3 (RGB)`);
      const dir = join(this.#workspace.paths.generated, id);
      await fs.mkdir(dir, { recursive: true });
      const refs: string[] = [];
      const plane = height * width;
      const bytes = toBytes(data, model.range);
      for (let i = 0; i < n; i++) {
        // NCHW → HWC, a grey channel repeated.
        const rgb = new Uint8Array(plane * 3);
        for (let p = 0; p < plane; p++)
          for (let c = 0; c < 3; c++) rgb[p * 3 + c] = bytes[i * channels * plane + (channels === 1 ? 0 : c) * plane + p];
        const target = join(dir, `${tag}-${String(i).padStart(2, '0')}.png`);
        await writeFileAtomic(target, await encodePng(rgb, width, height, 3));
        refs.push(mediaRef(this.#workspace, target));
      }
      return refs;
    } finally {
      await session.dispose();
    }
  }
}

/** The model's pixel range; a model that does not say cannot be shown or converted until the user chooses. */
export function requireRange(model: Pick<ModelInfo, 'name' | 'range'>): [number, number] {
  const range = parseRange(model.range ?? undefined);
  if (!range)
    throw new ApiError('bad-request', `${model.name} does not say which pixel range it works in; import it again in Models and choose -1..1 (tanh models such as CycleGAN) or 0..1`);
  return range;
}

/** Model output in `range` → bytes; ranges other than image-io's two are mapped onto 0..1 first. */
function toBytes(data: Float32Array, [low, high]: [number, number]): Uint8Array {
  const known: PixelRange | null = low === -1 && high === 1 ? '-1,1' : low === 0 && high === 1 ? '0,1' : null;
  if (known) return floatToUint8(data, known);
  return floatToUint8(data.map((v) => (v - low) / (high - low)), '0,1');
}

export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const dot = a.reduce((s, x, i) => s + x * b[i], 0) / (norm(a) * norm(b) || 1);
  const omega = Math.acos(Math.min(1, Math.max(-1, dot)));
  const out = new Float32Array(a.length);
  if (omega < 1e-6) {
    for (let i = 0; i < a.length; i++) out[i] = (1 - t) * a[i] + t * b[i];
    return out;
  }
  const wa = Math.sin((1 - t) * omega) / Math.sin(omega);
  const wb = Math.sin(t * omega) / Math.sin(omega);
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i] + wb * b[i];
  return out;
}
