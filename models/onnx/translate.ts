// Full-resolution translation of one photo through an image-to-image ONNX model. Photos larger than a tile are
// cut into tiles on the model's stride grid (tiling.ts). Instance-normalised models, whose norms need statistics
// over the whole photo, run in stages (staged-plan.ts): each is tiled over tensors kept whole, with margins as
// wide as its outputs reach, so the result is the whole pass's at any size. Other models, and instance-normalised
// ones whose graph cannot be staged, run tile by tile, blended back with weights that sum to one a band of tile
// rows at a time; the latter get their statistics measured on the whole photo (or a shrunk copy) first
// (frozen-norm.ts), so that tiles agree with each other.
//
// Pixels in and out are image-io's: RGB, sRGB, 8- or 16-bit, interleaved. Alpha, EXIF and ICC never come
// through here; image-io's writePhoto carries them from the source to the output.
import { readFile } from 'node:fs/promises';
import { UsageError, option } from '../errors.js';
import { prepareNormSurgery, type NormSurgery } from './frozen-norm.js';
import { OnnxModelError, describeImageModel, openModel, parseRange, type DeviceUse, type ImageModelInfo, type OnnxModel, type RunResult } from './runtime.js';
import { totalmem } from 'node:os';
import { planTiles, roundUpTo, type TilePlan } from './tiling.js';
import { tileBoundForBuffers } from './devices.js';
import { openTrainingSession, type TrainingSession } from './runtime.js';
import { analyseGraph, type StageGraph, type StagedGraph } from './staged-graph.js';
import { defaultStagedBudget, planStages } from './staged-plan.js';
import { runStaged } from './staged-run.js';
import { readTile } from './tile-pixels.js';

/**
 * Largest tile side by default for a network as wide as the standard CycleGAN generator (ngf 64, 9 blocks).
 * Measured in ONNX Runtime on the CPU: about 0.4 GiB above the process's own at 512² (without memory patterns,
 * see runtime.ts), so that a whole conversion, photo buffers and two sessions included, stays within 2 GiB.
 * Narrower networks get larger tiles of the same memory (defaultTileFor).
 */
export const DEFAULT_TILE = 512;
/** The largest default tile, however narrow the network. */
export const MAX_DEFAULT_TILE = 1024;
/** Smaller tiles leave too little room for the overlap that hides seams. */
export const MIN_TILE = 64;
/** Strides tried when a model does not state its own (darkroom.stride). */
const PROBE_STRIDES = [1, 2, 4, 8, 16, 32];

/** RGB pixels, row-major and interleaved, as image-io's readPhoto gives them. */
export interface RgbPixels {
  width: number;
  height: number;
  pixels: Uint8Array | Uint16Array;
}

/** What the network's values mean: [-1, 1] (Darkroom, most GANs) or [0, 1] (many PyTorch exports). */
export type ValueRange = readonly [number, number];

export interface TranslateOptions {
  /**
   * Largest tile side in pixels (default: the translator's `tile`), at most what the device's buffers take
   * (largestTileOn); ignored by models with a fixed input size.
   */
  tile?: number;
  /** '-1,1' or '0,1': the model's value range, overriding its darkroom.range metadata (required when it has none). */
  range?: string;
  /** Bytes of whole tensors a tiled instance-normalised photo may hold (default: defaultStagedBudget). */
  stagedBudget?: number;
  signal?: AbortSignal;
  /**
   * Called after each tile, e.g. for a progress bar on big photos. A photo translated in stages counts its tile
   * runs weighted by their work, so that equal steps take equal time: `done` only grows, and may skip.
   */
  onTile?: (done: number, total: number) => void;
  /**
   * Called before any pixel is translated with the photo's tile count, so a front end can show progress and an
   * estimate from the start; called again with the time one tile should take once it has been measured: after
   * the statistics pass of a model tiled with measured statistics, after the second tile of one in stages.
   */
  onPlan?: (plan: TranslationPlan) => void;
}

export interface TranslationPlan {
  tiles: number;
  /** Milliseconds one tile is expected to take on this device; null before anything has been measured. */
  msPerTile: number | null;
}

/** A model ready to translate photos, with what was learnt about it once (stride, range, surgery). */
export interface Translator {
  readonly model: OnnxModel;
  readonly info: ImageModelInfo;
  /** Input sizes that are multiples of this come back at the same size. */
  readonly stride: number;
  /** Largest tile side when TranslateOptions.tile does not say (defaultTileFor, on the model's device). */
  readonly tile: number;
  /**
   * Where the last photo ran: the model's device, or for tiled instance-normalised models the device of the
   * per-photo model with whole-photo statistics (which moves to the CPU, with the reason, if its device rejects it).
   */
  readonly device: DeviceUse;
  translate(photo: RgbPixels, options?: TranslateOptions): Promise<Uint8Array | Uint16Array>;
  /** Releases what the translator opened (not `model`, which stays the caller's). */
  dispose(): Promise<void>;
}

/** Translates one photo at its own size. For many photos, createTranslator once and reuse it. */
export async function translatePhoto(model: OnnxModel, photo: RgbPixels, options: TranslateOptions = {}): Promise<Uint8Array | Uint16Array> {
  const translator = await createTranslator(model);
  try {
    return await translator.translate(photo, options);
  } finally {
    await translator.dispose();
  }
}

/**
 * Checks the model (describeImageModel: throws OnnxModelError with the reason) and learns its stride. `modelBytes`
 * defaults to the model's file; without either, instance-normalised models are tiled with per-tile statistics.
 */
export async function createTranslator(model: OnnxModel, modelBytes?: Uint8Array): Promise<Translator> {
  const info = describeImageModel(model);
  if (info.batch !== null && info.batch !== 1)
    throw new OnnxModelError(`model ${model.label} takes batches of exactly ${info.batch} images; Darkroom runs one image at a time (export it with a dynamic or 1 batch size)`);
  const fixedSize = info.height !== null || info.width !== null;
  const stride = info.stride ?? (fixedSize ? fixedSizeStride(info) : await probeStride(model));
  const bytes = modelBytes ?? (model.source !== '<bytes>' ? await readFile(model.source) : undefined);
  const surgery = bytes ? prepareNormSurgery(bytes) : null;
  // Instance-normalised graphs whose every operator's geometry is known are translated in exact stages.
  const staged = surgery && bytes ? analyseGraph(bytes) : null;
  const stageParts = new Map<string, Promise<{ graph: StageGraph; session: TrainingSession }>>();
  let statsBytes: Uint8Array | undefined;
  let lastDevice: DeviceUse | null = null;
  // Once the device rejects a rewritten graph, the later ones go straight to the CPU, keeping the reason.
  let rewrittenFallback: string | null = null;
  // The rewritten graphs run where the model runs.
  const rewrittenOptions = () => ({ threads: model.threads, device: rewrittenFallback ? ('cpu' as const) : model.device.name });
  const placedLike = (rewritten: OnnxModel): DeviceUse => {
    rewrittenFallback ??= rewritten.device.fallback;
    return { ...rewritten.device, requested: model.device.requested, fallback: rewrittenFallback };
  };

  const translator: Translator = {
    model,
    info,
    stride,
    get tile() {
      return defaultTileFor(surgery, model.device.maxBufferBytes);
    },
    get device() {
      return lastDevice ?? model.device;
    },
    async translate(photo, options = {}) {
      const range = resolveRange(model, info, options.range);
      const tile = Math.min(options.tile ?? translator.tile, largestTileOn(surgery, model.device.maxBufferBytes));
      const geometry = tileGeometry(model, info, stride, photo, tile);
      const plan = planTiles({ width: photo.width, height: photo.height, ...geometry });
      const tiles = plan.rows.length * plan.columns.length;
      lastDevice = null;
      if (tiles > 1 && staged && surgery && !geometry.fixedSize) {
        const exact = await translateStaged(staged, photo, plan, range, 4 * surgery.firstChannels * tile * tile, options);
        if (exact) return exact;
      }
      options.onPlan?.({ tiles, msPerTile: null });
      if (tiles === 1) return translateWhole(model, photo, plan, range, options);
      if (!surgery) return translatePixels((x, d) => model.run(x, d), photo, plan, range, options);

      // Opened per photo and closed at once: ONNX Runtime keeps a session's working memory until it is released,
      // and the statistics pass needs as much as a tile.
      const statsModel = await openModel(statsBytes ??= surgery.statsModel(), rewrittenOptions());
      let stats: Float32Array;
      try {
        const measured = await measureStatistics(statsModel, photo, plan, geometry, range);
        stats = measured.stats;
        const tilePixels = plan.rows[0].size * plan.columns[0].size;
        options.onPlan?.({ tiles, msPerTile: (measured.runMs * tilePixels) / measured.pixels });
      } finally {
        lastDevice = placedLike(statsModel);
        await statsModel.dispose();
      }
      options.signal?.throwIfAborted();
      const frozen = await openModel(surgery.frozenModel(stats), rewrittenOptions());
      try {
        return await translatePixels((x, d) => frozen.run(x, d), photo, plan, range, options);
      } finally {
        lastDevice = placedLike(frozen);
        await frozen.dispose();
      }
    },
    async dispose() {
      statsBytes = undefined;
      const parts = [...stageParts.values()];
      stageParts.clear();
      for (const part of parts) await (await part.catch(() => null))?.session.release();
    },
  };

  /**
   * The photo in stages (staged-plan.ts): the whole pass's result at any size, within a memory budget; null when
   * the photo is not on the stages' grid. Progress counts tile runs weighted by their work, so that an estimate
   * from the first tile holds for the rest.
   */
  async function translateStaged(graph: StagedGraph, photo: RgbPixels, plan: TilePlan, range: ValueRange, tileBytes: number, options: TranslateOptions): Promise<Uint8Array | Uint16Array | null> {
    const stages = planStages(graph, plan.paddedWidth, plan.paddedHeight, options.stagedBudget ?? defaultStagedBudget(totalmem()));
    const part = (i: number) => {
      const stage = stages.stages[i];
      const key = `${stage.inputs.join(',')}>${stage.outputs.join(',')}`;
      let opened = stageParts.get(key);
      if (!opened) {
        opened = (async () => {
          const stageGraph = graph.stageGraph(stage.outputs, stage.inputs);
          const session = await openTrainingSession(stageGraph.bytes, { ...rewrittenOptions(), label: `${model.label} (stage ${i + 1})`, memoryArena: false });
          rewrittenFallback ??= session.device.fallback;
          lastDevice = { ...session.device, requested: model.device.requested, fallback: rewrittenFallback };
          return { graph: stageGraph, session };
        })();
        stageParts.set(key, opened);
        opened.catch(() => stageParts.delete(key));
      }
      return opened;
    };
    let total = 0;
    let first = { at: 0, work: 0 };
    let reported = 0;
    const planes = await runStaged(graph, stages, photo, plan.paddedWidth, plan.paddedHeight, range, part, {
      tileBytes,
      signal: options.signal,
      onPlan: (tiles) => {
        total = tiles;
        options.onPlan?.({ tiles, msPerTile: null });
      },
      onTile: (done, _, work) => {
        // The estimate comes from the second tile (the first also pays for its session's first run), and progress
        // from then on, so that the estimate comes before the first step.
        if (done === 1) first = { at: performance.now(), work };
        if (done === 2) options.onPlan?.({ tiles: total, msPerTile: (performance.now() - first.at) / (work - first.work) / total });
        const step = Math.min(total, Math.max(1, Math.round(work * total)));
        if ((done >= 2 || total === 1) && step > reported) options.onTile?.((reported = step), total);
      },
    });
    if (!planes) return null;
    checkTileOutput({ data: planes, dims: [1, 3, plan.paddedHeight, plan.paddedWidth] }, plan.paddedHeight, plan.paddedWidth);
    return planesToPixels(planes, plan.paddedWidth, plan.paddedHeight, photo, range);
  }
  return translator;
}

/**
 * The default tile side for a model. ONNX Runtime's working memory grows with the tile's area times the network's
 * width at full resolution, which in the generators here is the channel count of the first instance norm (ngf).
 * A network narrower than ngf 64 gets the tile of the same memory as DEFAULT_TILE at ngf 64 (the light preset,
 * ngf 32: 724 px; on a 4000×3000 photo 30 tiles instead of 63, and a fifth less overlap to compute), up to
 * MAX_DEFAULT_TILE. Models without instance norm, or wider ones, keep DEFAULT_TILE. A GPU gets the same memory
 * (WebGPU does not say how much the GPU has; any GPU worth using has this much), bounded by its buffer limits.
 */
export function defaultTileFor(surgery: Pick<NormSurgery, 'firstChannels'> | null, maxBufferBytes: number | null = null): number {
  const byMemory = !surgery || surgery.firstChannels >= 64 ? DEFAULT_TILE : Math.min(MAX_DEFAULT_TILE, Math.floor(DEFAULT_TILE * Math.sqrt(64 / surgery.firstChannels)));
  return Math.min(byMemory, largestTileOn(surgery, maxBufferBytes));
}

/**
 * The largest tile side a device takes for a model: on WebGPU, every tensor is one buffer, so the widest
 * full-resolution feature map (ngf channels, 64 when the model does not show it) must fit the adapter's
 * maxBufferSize and maxStorageBufferBindingSize; at least MIN_TILE. Infinity where the device sets no such limit.
 */
export function largestTileOn(surgery: Pick<NormSurgery, 'firstChannels'> | null, maxBufferBytes: number | null): number {
  const bound = tileBoundForBuffers(maxBufferBytes, surgery?.firstChannels ?? 64);
  return bound === null ? Infinity : Math.max(MIN_TILE, bound);
}

/** The range to use: --range when given, else the model's darkroom.range; UsageError when neither says. */
export function resolveRange(model: OnnxModel, info: ImageModelInfo, requested: string | undefined): ValueRange {
  if (requested !== undefined) {
    const range = parseRange(requested);
    if ((requested !== '-1,1' && requested !== '0,1') || !range) throw new UsageError(`${option('range')} must be -1,1 or 0,1 (got "${requested}")`);
    return range;
  }
  if (info.range) return info.range;
  throw new UsageError(
    `model ${model.label} does not say which value range it works in (${info.rangeNote ?? 'no darkroom.range metadata'}); ` +
      `pass ${option('range', '-1,1')} (tanh generators such as CycleGAN) or ${option('range', '0,1')}`,
  );
}

interface Geometry {
  tileWidth: number;
  tileHeight: number;
  stride: number;
  fixedSize: boolean;
}

function tileGeometry(model: OnnxModel, info: ImageModelInfo, stride: number, photo: RgbPixels, tile: number): Geometry {
  if (info.height !== null || info.width !== null) {
    const tileWidth = info.width ?? info.height!;
    const tileHeight = info.height ?? info.width!;
    const needsTiles = photo.width > tileWidth || photo.height > tileHeight;
    if (needsTiles && Math.min(tileWidth, tileHeight) < MIN_TILE)
      throw new OnnxModelError(
        `model ${model.label} takes only ${tileWidth}×${tileHeight} inputs, too small to tile a ${photo.width}×${photo.height} photo ` +
          `without seams (tiles need at least ${MIN_TILE}×${MIN_TILE}); use a model with a dynamic or larger input size`,
      );
    return { tileWidth, tileHeight, stride, fixedSize: true };
  }
  if (!Number.isInteger(tile) || tile < MIN_TILE) throw new UsageError(`${option('tile')} must be a whole number of at least ${MIN_TILE} pixels (got ${tile})`);
  // Round down to the stride so that tiles keep their size through the network.
  const aligned = Math.max(stride, Math.floor(tile / stride) * stride);
  return { tileWidth: aligned, tileHeight: aligned, stride, fixedSize: false };
}

/** For fixed-size models without darkroom.stride: the largest power of two up to 16 that divides both sides. */
function fixedSizeStride(info: ImageModelInfo): number {
  const sides = [info.width, info.height].filter((v): v is number => v !== null);
  let stride = 16;
  while (stride > 1 && !sides.every((s) => s % stride === 0)) stride /= 2;
  return stride;
}

/**
 * The model's stride, found by running it on small inputs of 64 + s pixels: the smallest s whose input comes back
 * at the same size. Refuses models that keep no size at all.
 */
async function probeStride(model: OnnxModel): Promise<number> {
  for (const stride of PROBE_STRIDES) {
    const side = 64 + stride;
    try {
      const { dims } = await model.run(new Float32Array(3 * side * side), [1, 3, side, side]);
      if (dims[2] === side && dims[3] === side) return stride;
    } catch {
      // Some graphs (e.g. U-Nets concatenating skips) reject sizes off their grid: try the next stride.
    }
  }
  throw new OnnxModelError(`model ${model.label} does not return images at the size it is given; Darkroom converts with image-to-image models that keep the size`);
}

/**
 * Runs the statistics model on the whole photo padded as the tiles see it, or, when that is larger than a tile
 * budget allows, on a copy shrunk (by area averaging) to fit. Returns the statistics vector, the pixels it ran on and how long the run took.
 */
async function measureStatistics(statsModel: OnnxModel, photo: RgbPixels, plan: TilePlan, geometry: Geometry, range: ValueRange): Promise<{ stats: Float32Array; pixels: number; runMs: number }> {
  let width = plan.paddedWidth;
  let height = plan.paddedHeight;
  let input: Float32Array;
  const budget = Math.max(DEFAULT_TILE * DEFAULT_TILE, geometry.tileWidth * geometry.tileHeight);
  if (geometry.fixedSize) {
    width = geometry.tileWidth;
    height = geometry.tileHeight;
    input = shrinkToNchw(photo, width, height, range);
  } else if (width * height <= budget) {
    input = readTile(photo, 0, 0, width, height, range);
  } else {
    const scale = Math.sqrt(budget / (photo.width * photo.height));
    width = roundUpTo(Math.max(geometry.stride, Math.floor(photo.width * scale)), geometry.stride);
    height = roundUpTo(Math.max(geometry.stride, Math.floor(photo.height * scale)), geometry.stride);
    input = shrinkToNchw(photo, width, height, range);
  }
  // Only the model's run is timed: shrinking a huge photo first says nothing about how long a tile takes.
  const started = performance.now();
  const stats = (await statsModel.run(input, [1, 3, height, width])).data;
  return { stats, pixels: width * height, runMs: performance.now() - started };
}

/** One tile covering the (stride-padded) photo: no blending, the output goes straight to interleaved pixels. */
async function translateWhole(model: OnnxModel, photo: RgbPixels, plan: TilePlan, range: ValueRange, options: TranslateOptions): Promise<Uint8Array | Uint16Array> {
  const { paddedWidth: width, paddedHeight: height } = plan;
  options.signal?.throwIfAborted();
  const result = await model.run(readTile(photo, 0, 0, width, height, range), [1, 3, height, width]);
  checkTileOutput(result, height, width);
  options.onTile?.(1, 1);
  return planesToPixels(result.data, width, height, photo, range);
}

/** Model output planes [3, height, width] over the padded photo, as the photo's interleaved pixels. */
function planesToPixels(planes: Float32Array, width: number, height: number, photo: RgbPixels, range: ValueRange): Uint8Array | Uint16Array {
  const out = photo.pixels instanceof Uint16Array ? new Uint16Array(photo.width * photo.height * 3) : new Uint8Array(photo.width * photo.height * 3);
  const plane = width * height;
  const rgb = [planes.subarray(0, plane), planes.subarray(plane, 2 * plane), planes.subarray(2 * plane)];
  const row = new Float32Array(photo.width * 3);
  for (let y = 0; y < photo.height; y++) {
    for (let c = 0; c < 3; c++) {
      const channel = rgb[c];
      for (let x = 0, src = y * width; x < photo.width; x++, src++) row[x * 3 + c] = channel[src];
    }
    storeRow(row, out, y * photo.width * 3, range);
  }
  return out;
}

function checkTileOutput({ dims, data }: RunResult, height: number, width: number): void {
  const [n, channels, h, w] = dims;
  if (dims.length !== 4 || n !== 1 || channels !== 3 || h !== height || w !== width)
    throw new OnnxModelError(`the model turned a [1, 3, ${height}, ${width}] tile into [${dims.join(', ')}]; an image-to-image model must keep the size`);
  // Stored as pixels, NaN becomes black and infinities black or white: a broken model must not pass for a dark photo.
  for (let i = 0; i < data.length; i++) {
    const value = data[i];
    if (value - value !== 0)
      throw new Error(
        `the model's output holds ${Number.isNaN(value) ? 'NaN (not-a-number) values' : 'infinite values'}, so the photo would come out black: ` +
          'the model is broken (trained until it diverged, or exported wrongly); export it again from a good checkpoint',
      );
  }
}

/**
 * Model values (interleaved RGB) into `out` from `offset`, mapped from the model's range and rounded. 8-bit output
 * goes through a clamped view, whose stores round and clamp natively (NaN becomes 0), at a fraction of the cost of
 * Math.round and two comparisons per value.
 */
function storeRow(values: Float32Array, out: Uint8Array | Uint16Array, offset: number, [low, high]: ValueRange): void {
  if (out instanceof Uint8Array) {
    const clamped = new Uint8ClampedArray(out.buffer, out.byteOffset + offset, values.length);
    const scale = 255 / (high - low);
    for (let i = 0; i < values.length; i++) clamped[i] = (values[i] - low) * scale;
    return;
  }
  const scale = 65535 / (high - low);
  for (let i = 0; i < values.length; i++) {
    const v = Math.round((values[i] - low) * scale);
    out[offset + i] = v < 0 ? 0 : v > 65535 ? 65535 : v; // NaN becomes 0 in the typed array
  }
}

/** Translates `photo` tile by tile along `plan` with `run`. Throws signal.reason when aborted between tiles. */
async function translatePixels(run: (input: Float32Array, dims: readonly number[]) => Promise<RunResult>, photo: RgbPixels, plan: TilePlan, range: ValueRange, options: TranslateOptions): Promise<Uint8Array | Uint16Array> {
  const out = photo.pixels instanceof Uint16Array ? new Uint16Array(photo.width * photo.height * 3) : new Uint8Array(photo.width * photo.height * 3);
  // The band accumulates weighted outputs for rows [bandStart, bandStart + bandRows) of the padded photo.
  const bandRows = Math.max(...plan.rows.map((r) => r.size));
  const rowLength = plan.paddedWidth * 3;
  const band = new Float32Array(bandRows * rowLength);
  let bandStart = 0;
  const total = plan.rows.length * plan.columns.length;
  let done = 0;
  for (let r = 0; r < plan.rows.length; r++) {
    const row = plan.rows[r];
    // Rows above this tile row are final: no later tile covers them.
    flushRows(band, bandStart, row.start, plan, out, range);
    const shift = row.start - bandStart;
    band.copyWithin(0, shift * rowLength);
    band.fill(0, (bandRows - shift) * rowLength);
    bandStart = row.start;
    for (let c = 0; c < plan.columns.length; c++) {
      options.signal?.throwIfAborted();
      const column = plan.columns[c];
      const result = await run(readTile(photo, column.start, row.start, column.size, row.size, range), [1, 3, row.size, column.size]);
      checkTileOutput(result, row.size, column.size);
      accumulate(band, bandStart, result.data, plan, r, c);
      options.onTile?.(++done, total);
    }
  }
  flushRows(band, bandStart, plan.paddedHeight, plan, out, range);
  return out;
}

/**
 * The photo resized to width × height by area averaging, as NCHW float32 in the model's range. Separable: rows
 * are averaged across first (every source pixel read once), then columns, in flat typed arrays (a 12-megapixel
 * photo in about a fifth of the time of averaging each output pixel's whole box).
 */
function shrinkToNchw(photo: RgbPixels, width: number, height: number, [low, high]: ValueRange): Float32Array {
  const scale = (high - low) / (photo.pixels instanceof Uint16Array ? 65535 : 255);
  const xs = boxWeights(photo.width, width);
  const ys = boxWeights(photo.height, height);
  const { pixels } = photo;
  // Across: [photo.height, width, 3].
  const across = new Float32Array(photo.height * width * 3);
  for (let sy = 0; sy < photo.height; sy++) {
    const source = sy * photo.width * 3;
    const target = sy * width * 3;
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = xs.offsets[x]; k < xs.offsets[x + 1]; k++) {
        const src = source + xs.sources[k] * 3;
        const w = xs.weights[k];
        r += w * pixels[src];
        g += w * pixels[src + 1];
        b += w * pixels[src + 2];
      }
      across[target + x * 3] = r;
      across[target + x * 3 + 1] = g;
      across[target + x * 3 + 2] = b;
    }
  }
  // Down, into the model's planes.
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  const row = new Float32Array(width * 3);
  for (let y = 0; y < height; y++) {
    row.fill(0);
    for (let k = ys.offsets[y]; k < ys.offsets[y + 1]; k++) {
      const source = ys.sources[k] * width * 3;
      const w = ys.weights[k];
      for (let i = 0; i < row.length; i++) row[i] += w * across[source + i];
    }
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) out[c * plane + y * width + x] = low + row[x * 3 + c] * scale;
  }
  return out;
}

/**
 * For each output position i, the source positions its box covers and their weights (summing to one), flat:
 * taps offsets[i] … offsets[i + 1] − 1 of `sources` and `weights`.
 */
function boxWeights(from: number, to: number): { offsets: Int32Array; sources: Int32Array; weights: Float32Array } {
  const ratio = from / to;
  const offsets = new Int32Array(to + 1);
  const sources: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < to; i++) {
    const start = i * ratio;
    const end = Math.min(from, (i + 1) * ratio);
    for (let s = Math.floor(start); s < end; s++) {
      sources.push(Math.min(s, from - 1));
      weights.push((Math.min(end, s + 1) - Math.max(start, s)) / (end - start));
    }
    offsets[i + 1] = sources.length;
  }
  return { offsets, sources: Int32Array.from(sources), weights: Float32Array.from(weights) };
}

/** Adds a tile's output, weighted by its column and row blend weights, into the band. */
function accumulate(band: Float32Array, bandStart: number, output: Float32Array, plan: TilePlan, r: number, c: number): void {
  const row = plan.rows[r];
  const column = plan.columns[c];
  const rowWeights = plan.rowWeights[r];
  const columnWeights = plan.columnWeights[c];
  const plane = row.size * column.size;
  for (let y = 0; y < row.size; y++) {
    const wy = rowWeights[y];
    if (wy === 0) continue;
    const bandRow = (row.start - bandStart + y) * plan.paddedWidth;
    for (let x = 0; x < column.size; x++) {
      const weight = wy * columnWeights[x];
      if (weight === 0) continue;
      const dst = (bandRow + column.start + x) * 3;
      const src = y * column.size + x;
      band[dst] += weight * output[src];
      band[dst + 1] += weight * output[plane + src];
      band[dst + 2] += weight * output[2 * plane + src];
    }
  }
}

/** Writes finished band rows [bandStart, until) that lie inside the photo into `out`, mapped from the model's range. */
function flushRows(band: Float32Array, bandStart: number, until: number, plan: TilePlan, out: Uint8Array | Uint16Array, range: ValueRange): void {
  const last = Math.min(until, plan.height);
  const length = plan.width * 3;
  for (let y = bandStart; y < last; y++) {
    const bandRow = (y - bandStart) * plan.paddedWidth * 3;
    storeRow(band.subarray(bandRow, bandRow + length), out, y * length, range);
  }
}
