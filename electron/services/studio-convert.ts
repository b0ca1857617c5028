// The studio's Convert and Batch: one photo translated at full resolution by the convert service for the
// before/after view (kept in the workspace cache under the conversion's id) and written from there, in the chosen
// format, when saved; whole folders through the batch service.
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { basename, extname, join } from 'node:path';
import { extensionFor, isImagePath, type OutputFormat } from '../../models/data/image-io.js';
import { writeFileAtomic } from '../../models/atomic-fs.js';
import { convertOffThread, encodeOffThread, type ThreadProgress } from './convert-thread.js';
import { TileTimes } from './tile-times.js';
import { ApiError, type BatchRequest, type ConvertProgress, type ConvertResult, type DeviceChoice, type ImageInput, type JobRef, type ModelInfo, type SavedImage, type StudioEvent } from '../api.js';
import { startBatchJob, type BatchJob } from './studio-batch.js';
import { BatchGallery, type BatchPreview } from './batch-gallery.js';
import { modelLabel, requireRange, type ModelStore } from './models.js';
import { mediaRef, type Workspace } from './workspace.js';
import { trustedAccess, type AccessPolicy } from './access-policy.js';

/** What a cancelled conversion answers (the Convert view keeps its previous result and says nothing more). */
export const CANCELLED = 'The conversion was cancelled.';

/** Converted photos remembered for saving (their files stay in the workspace cache). */
const KEEP_RESULTS = 50;

interface Kept {
  result: ConvertResult;
  dir: string;
  /** The conversion's result as the view shows it (a PNG): what Save writes, in the format asked for. */
  translated: string;
}

/**
 * The range option for the converter: refuses a model whose range is unknown; -1,1 and 0,1 are passed (a choice
 * made at import wins over the metadata); any other range was declared by the model, and translate reads it there.
 */
function rangeOption(model: ModelInfo): string | undefined {
  requireRange(model);
  return model.range === '-1,1' || model.range === '0,1' ? model.range : undefined;
}

export class ConvertJobs {
  readonly #workspace: Workspace;
  readonly #models: ModelStore;
  readonly #emit: (event: StudioEvent) => void;
  readonly #results = new Map<string, Kept>();
  readonly #batches = new Map<string, BatchJob>();
  readonly #gallery: BatchGallery;
  /** How long a tile took, per model and device, for the next photo's up-front estimate. */
  readonly #tileTimes = new TileTimes();
  /** Photos being converted under a caller's job id, to cancel them between tiles. */
  readonly #converting = new Map<string, AbortController>();

  readonly #keepResults: number;
  readonly #access: AccessPolicy;

  constructor(workspace: Workspace, models: ModelStore, emit: (event: StudioEvent) => void, keepResults = KEEP_RESULTS, access: AccessPolicy = trustedAccess()) {
    this.#workspace = workspace;
    this.#gallery = new BatchGallery(workspace);
    this.#keepResults = keepResults;
    this.#access = access;
    this.#models = models;
    this.#emit = emit;
  }

  async convertImage(modelId: string, image: ImageInput, device?: DeviceChoice, jobId?: string): Promise<ConvertResult> {
    if (jobId !== undefined && this.#converting.has(jobId)) throw new ApiError('conflict', `A photo is already being converted as "${jobId}".`);
    const controller = new AbortController();
    if (jobId !== undefined) this.#converting.set(jobId, controller);
    try {
      return await this.#convertImage(modelId, image, device, jobId, controller.signal);
    } catch (error) {
      if (controller.signal.aborted) throw new ApiError('conflict', CANCELLED);
      throw error;
    } finally {
      if (jobId !== undefined) this.#converting.delete(jobId);
    }
  }

  /** Stops a photo's conversion after the tile being translated; its request then fails with CANCELLED. */
  cancelConversion(jobId: string): void {
    const controller = this.#converting.get(jobId);
    if (!controller) throw new ApiError('not-found', 'That photo is not being converted any more.');
    controller.abort();
  }

  async #convertImage(modelId: string, image: ImageInput, device: DeviceChoice | undefined, jobId: string | undefined, signal: AbortSignal): Promise<ConvertResult> {
    const model = await this.#models.get(modelId);
    if (model.input !== 'image') throw new ApiError('bad-request', `${model.name} draws images from noise; choose an image-to-image model to convert photos`);
    const range = rangeOption(model);
    const inputName = image.path ? basename(image.path) : image.name!;
    if (!isImagePath(inputName)) throw new ApiError('bad-request', `${inputName} is not an image file Darkroom reads (JPEG, PNG, WebP, TIFF, AVIF, GIF, HEIC)`);
    const id = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const dir = join(this.#workspace.paths.convert, id);
    await fs.mkdir(dir, { recursive: true });
    try {
      const modelFile = await this.#models.fileOf(modelId);
      const clock = this.#tileTimes.start(modelFile, device);
      const emit = (event: ConvertProgress) => jobId !== undefined && this.#emit({ type: 'convert', jobId, event });
      const progress: ThreadProgress = {
        signal,
        onPlan: (plan) => emit({ done: 0, total: plan.tiles, estimatedSeconds: clock.estimate(plan) }),
        onTile: (done, total) => (clock.tileDone(done, total), emit({ done, total })),
      };
      return await this.#convertInto(dir, id, modelId, modelLabel(model), inputName, image, range, device, progress);
    } catch (error) {
      // A photo that could not be converted leaves nothing behind in the cache.
      await fs.rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async #convertInto(
    dir: string,
    id: string,
    modelId: string,
    label: string,
    inputName: string,
    image: ImageInput,
    range: string | undefined,
    device: DeviceChoice | undefined,
    progress: ThreadProgress,
  ): Promise<ConvertResult> {
    // The worker reads a file: the photo is copied into the cache (the conversion carries its EXIF, ICC profile and alpha).
    const original = join(dir, `original${extname(inputName).toLowerCase()}`);
    if (image.path) await this.#copyIn(image.path, original);
    else await writeFileAtomic(original, Buffer.from(image.base64!, 'base64'));

    const modelFile = await this.#models.fileOf(modelId);
    const translated = join(dir, 'translated.png');
    // Browsers cannot show every input format (TIFF, HEIC): the "before" view gets a PNG of the same pixels.
    const preview = join(dir, 'before.png');
    // Off the studio's thread: a huge photo's tiles would otherwise hold up every other request.
    const converted = await convertOffThread({ model: modelFile, input: original, output: translated, preview, options: { format: 'png', range, device, label } }, progress);

    const result: ConvertResult = {
      id,
      modelId,
      inputName,
      input: mediaRef(this.#workspace, preview),
      inputPath: preview,
      output: mediaRef(this.#workspace, translated),
      width: converted.width,
      height: converted.height,
      elapsedMs: Math.round(converted.elapsedMs),
      device: converted.device,
    };
    this.#results.set(id, { result, dir, translated });
    // The oldest results are forgotten and their files removed, so the cache holds at most keepResults photos.
    for (const [oldId, old] of [...this.#results].slice(0, Math.max(0, this.#results.size - this.#keepResults))) {
      this.#results.delete(oldId);
      await fs.rm(old.dir, { recursive: true, force: true });
    }
    return result;
  }

  /**
   * Copies a photo into the served cache from the file the access policy opened (symlinks resolved, a regular
   * file where the policy allows), never by its path again: a link swapped in meanwhile cannot leak another file.
   */
  async #copyIn(path: string, original: string): Promise<void> {
    const source = await this.#access.openFile(path, 'image');
    const partial = `${original}.part`;
    try {
      await pipeline(source.createReadStream({ autoClose: false }), createWriteStream(partial, { flags: 'wx' }));
    } finally {
      await source.close();
    }
    await fs.rename(partial, original);
  }

  /** Writes the converted photo, as the view showed it, in the chosen format: the model does not run again. */
  async save(request: { resultId: string; format: OutputFormat; quality?: number; path?: string }): Promise<SavedImage> {
    if (request.path && !this.#access.savesToNamedPaths)
      throw new ApiError('bad-request', "In browser mode a converted photo is saved through the browser's downloads, not to a path on this machine: leave out \"path\".");
    const kept = this.#results.get(request.resultId);
    if (!kept) throw new ApiError('not-found', 'That converted photo is no longer available; convert it again.');
    const fileName = `${basename(kept.result.inputName, extname(kept.result.inputName))}-translated.${extensionFor(request.format)}`;
    const target = request.path ?? join(kept.dir, fileName);
    await encodeOffThread({ input: kept.translated, output: target, options: { format: request.format, quality: request.quality } });
    const stat = await fs.stat(target);
    return {
      media: request.path ? kept.result.output : mediaRef(this.#workspace, target),
      path: request.path ?? null,
      fileName,
      bytes: stat.size,
    };
  }

  async startBatch(request: BatchRequest): Promise<JobRef> {
    await this.#access.writableFolder(request.output);
    request = { ...request, input: await this.#access.readableFolder(request.input) };
    const modelFile = await this.#models.fileOf(request.modelId);
    const model = await this.#models.get(request.modelId);
    if (model.input !== 'image') throw new ApiError('bad-request', `${model.name} draws images from noise; choose an image-to-image model`);
    const jobId = `batch-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
    const onEvent = this.#gallery.follow(jobId, (event) => this.#emit({ type: 'batch', jobId, event }));
    const job = await startBatchJob({ ...request, modelFile, modelLabel: modelLabel(model), range: rangeOption(model) }, onEvent);
    this.#batches.set(jobId, job);
    void job.done.finally(() => this.#batches.delete(jobId));
    return { jobId };
  }

  batchPreview(jobId: string, path: string): Promise<BatchPreview> {
    return this.#gallery.preview(jobId, path);
  }

  cancelBatch(jobId: string): void {
    const job = this.#batches.get(jobId);
    if (!job) throw new ApiError('not-found', `No batch "${jobId}" is running.`);
    job.cancel();
  }

  cancelAll(): void {
    for (const job of this.#batches.values()) job.cancel();
  }
}
