// A folder of images as a training set: scanned once, decoded once at the load size, cached in memory,
// and served as augmented NHWC float batches in [-1, 1]. Plus EpochSampler, the shuffled-epoch index stream
// whose state goes into checkpoints so a resumed run sees exactly the batches an uninterrupted run would.

import * as tf from '@tensorflow/tfjs';
import { promises as fsp } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { listImages, leftOutLines, FolderListingError, type ImageListing } from './image-listing.js';
import { Rng, type RngState } from '../rng.js';
import { IMAGE_EXTENSIONS, ImageReadError, readImageForTraining } from './image-io.js';
import { UsageError, option } from '../errors.js';

/** A dataset folder is unusable. The message names the folder and says what to do (the CLI exits with 2). */
export class DatasetError extends UsageError {
  readonly dir: string;
  readonly code: 'NOT_FOUND' | 'NOT_A_FOLDER' | 'NO_PERMISSION' | 'NO_IMAGES' | 'NO_USABLE_IMAGES' | 'BAD_OPTIONS';
  constructor(dir: string, code: DatasetError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatasetError';
    this.dir = dir;
    this.code = code;
  }
}

export interface FolderDatasetOptions {
  /** Every image is resized (ignoring aspect) to loadSize × loadSize once, on opening. */
  loadSize: number;
  /** Training crops are cropSize × cropSize (≤ loadSize). */
  cropSize: number;
  /** Random horizontal flips when augmenting. */
  flip: boolean;
  /** Warnings, one message each: the images smaller than the crop, and every file that was skipped. Default: console.warn. */
  onWarning?: (message: string) => void;
  /** Decoding progress. */
  onProgress?: (done: number, total: number) => void;
  /** Parallel decodes (default: min(4, cores)). */
  concurrency?: number;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface FolderDataset {
  /** Absolute path of the folder. */
  readonly dir: string;
  /** Number of usable images. */
  readonly size: number;
  /** Absolute paths of the usable images, in a stable order (sorted by path relative to dir, code-point order). */
  readonly paths: readonly string[];
  /** Image files that could not be read, then entries the listing left out (links it does not follow), with the reason. */
  readonly skipped: readonly SkippedFile[];
  readonly loadSize: number;
  readonly cropSize: number;
  readonly flip: boolean;
  /** The cached HWC RGB uint8 image (loadSize × loadSize × 3) at `index`. Do not modify. */
  image(index: number): Uint8Array;
  /**
   * NHWC float32 in [-1, 1] of shape [indices.length, cropSize, cropSize, 3]. With `augment`, each image gets a
   * random crop offset (x then y, each rng.int(loadSize − cropSize + 1)) and, when flip is on, a horizontal flip
   * if rng.uniform() < 0.5 — drawn in that order, image by image, so the draws depend only on the rng state.
   * Without `augment`: centre crop, no flip, and the rng is not touched. The caller disposes the tensor.
   */
  batch(indices: readonly number[], rng: Rng, augment: boolean): tf.Tensor4D;
  /** Same as batch() but as a plain Float32Array (no TensorFlow). */
  batchArray(indices: readonly number[], rng: Rng, augment: boolean): Float32Array;
}

/** The small-image warning names this many files at most. */
const MAX_LISTED_SMALL = 20;

/**
 * Opens a folder of images as image-listing.ts lists it (recursively; hidden files and folders are ignored, as
 * are files whose extension is not an image extension, and links are followed only to files inside the folder).
 * Unreadable image files are skipped with one warning, entries the listing left out with another. Throws
 * DatasetError when the folder is missing, is a file, or has no usable image.
 */
export async function openFolderDataset(dir: string, options: FolderDatasetOptions): Promise<FolderDataset> {
  const root = resolve(dir);
  const { loadSize, cropSize, flip } = options;
  if (!Number.isInteger(loadSize) || loadSize < 1 || !Number.isInteger(cropSize) || cropSize < 1 || cropSize > loadSize) {
    throw new DatasetError(
      root,
      'BAD_OPTIONS',
      `Bad image sizes for ${root}: load size ${loadSize} and crop size ${cropSize} must be positive integers ` +
        'with crop size ≤ load size.',
    );
  }

  let stat;
  try {
    stat = await fsp.stat(root);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new DatasetError(root, 'NO_PERMISSION', `Cannot open the dataset folder ${root}: permission denied.`, { cause: err });
    }
    throw new DatasetError(
      root,
      'NOT_FOUND',
      `The dataset folder ${root} does not exist. Check the path, or create it and put training images in it.`,
      { cause: err },
    );
  }
  if (!stat.isDirectory()) {
    throw new DatasetError(
      root,
      'NOT_A_FOLDER',
      `${root} is a file, not a folder. Choose the folder that contains the training images.`,
    );
  }

  const listing = await listTrainingImages(root);
  // Named inside the folder as the user gave it; read by real path (image-listing.ts).
  const candidates = listing.images.map((image) => join(root, ...image.name.split('/')));
  const leftOut: SkippedFile[] = listing.leftOut.map((entry) => ({ path: join(root, ...entry.name.split('/')), reason: entry.reason }));
  if (candidates.length === 0) {
    throw new DatasetError(
      root,
      'NO_IMAGES',
      `The dataset folder ${root} contains no images (looked for ${IMAGE_EXTENSIONS.join(', ')} files, ` +
        'including in subfolders). Put training images in it.' +
        (leftOut.length > 0 ? ` Left out:\n${leftOutLines(listing.leftOut)}` : ''),
    );
  }

  const decoded: (Uint8Array | null)[] = new Array(candidates.length).fill(null);
  const failures: (SkippedFile | null)[] = new Array(candidates.length).fill(null);
  const sizes: ({ width: number; height: number } | null)[] = new Array(candidates.length).fill(null);
  let done = 0;
  const concurrency = Math.max(1, options.concurrency ?? Math.min(4, availableParallelism()));
  let next = 0;
  const worker = async () => {
    while (next < candidates.length) {
      const i = next++;
      try {
        decoded[i] = await readImageForTraining(listing.images[i].path, loadSize, { onSourceSize: (width, height) => (sizes[i] = { width, height }) });
      } catch (err) {
        if (!(err instanceof ImageReadError)) throw err;
        failures[i] = { path: candidates[i], reason: err.reason };
      }
      options.onProgress?.(++done, candidates.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, candidates.length) }, worker));

  const paths: string[] = [];
  const images: Uint8Array[] = [];
  const unreadable: SkippedFile[] = [];
  const small: string[] = [];
  for (let i = 0; i < candidates.length; i++) {
    const img = decoded[i];
    const size = sizes[i];
    if (img) {
      paths.push(candidates[i]);
      images.push(img);
      if (size && Math.min(size.width, size.height) < cropSize) small.push(`  ${listing.images[i].name} (${size.width}×${size.height})`);
    } else if (failures[i]) {
      unreadable.push(failures[i]!);
    }
  }

  if (images.length === 0) {
    throw new DatasetError(
      root,
      'NO_USABLE_IMAGES',
      `None of the ${candidates.length} image files in ${root} could be read:\n` +
        unreadable.map((s) => `  ${relative(root, s.path)}: ${s.reason}`).join('\n') +
        '\nReplace or re-export these files, or choose another folder.',
    );
  }
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  if (small.length > 0) {
    const listed = small.slice(0, MAX_LISTED_SMALL);
    if (small.length > listed.length) listed.push(`  … and ${small.length - listed.length} more`);
    warn(
      `${small.length} of ${paths.length} images in ${root} are smaller than the ${cropSize} px training crop; they are enlarged, ` +
        `which blurs them. Use larger images, or a smaller ${option('size')}:\n${listed.join('\n')}`,
    );
  }
  if (unreadable.length > 0) {
    warn(
      `Skipped ${unreadable.length} of ${candidates.length} image files in ${root} that could not be read:\n` +
        unreadable.map((s) => `  ${relative(root, s.path)}: ${s.reason}`).join('\n'),
    );
  }
  if (leftOut.length > 0) warn(`Left out ${leftOut.length} ${leftOut.length === 1 ? 'entry' : 'entries'} of ${root}:\n${leftOutLines(listing.leftOut)}`);

  return new CachedFolderDataset(root, paths, images, [...unreadable, ...leftOut], loadSize, cropSize, flip);
}

/** The images the trainer uses: exactly the listing Datasets shows for the same folder (image-listing.ts). */
async function listTrainingImages(root: string): Promise<ImageListing> {
  try {
    return await listImages(root, { recursive: true });
  } catch (err) {
    if (err instanceof FolderListingError) throw new DatasetError(root, err.code, err.message, { cause: err });
    throw err;
  }
}

class CachedFolderDataset implements FolderDataset {
  constructor(
    readonly dir: string,
    readonly paths: readonly string[],
    private readonly images: readonly Uint8Array[],
    readonly skipped: readonly SkippedFile[],
    readonly loadSize: number,
    readonly cropSize: number,
    readonly flip: boolean,
  ) {}

  get size(): number {
    return this.images.length;
  }

  image(index: number): Uint8Array {
    const img = this.images[index];
    if (!img) throw new RangeError(`image index ${index} out of range 0..${this.size - 1}`);
    return img;
  }

  batchArray(indices: readonly number[], rng: Rng, augment: boolean): Float32Array {
    const L = this.loadSize;
    const C = this.cropSize;
    const out = new Float32Array(indices.length * C * C * 3);
    const centre = Math.floor((L - C) / 2);
    let o = 0;
    for (const index of indices) {
      const img = this.image(index);
      let x0 = centre;
      let y0 = centre;
      let mirror = false;
      if (augment) {
        x0 = rng.int(L - C + 1);
        y0 = rng.int(L - C + 1);
        if (this.flip) mirror = rng.uniform() < 0.5;
      }
      for (let y = 0; y < C; y++) {
        const row = ((y0 + y) * L + x0) * 3;
        for (let x = 0; x < C; x++) {
          const s = row + (mirror ? C - 1 - x : x) * 3;
          out[o++] = img[s] / 127.5 - 1;
          out[o++] = img[s + 1] / 127.5 - 1;
          out[o++] = img[s + 2] / 127.5 - 1;
        }
      }
    }
    return out;
  }

  batch(indices: readonly number[], rng: Rng, augment: boolean): tf.Tensor4D {
    const data = this.batchArray(indices, rng, augment);
    return tf.tensor4d(data, [indices.length, this.cropSize, this.cropSize, 3], 'float32');
  }
}

// ───────────────────────────────────────────── EpochSampler

export interface EpochSamplerState {
  version: 1;
  size: number;
  batchSize: number;
  /** Index of the epoch the next index comes from (0-based). */
  epoch: number;
  /** How many indices of the current epoch's order have been used. */
  position: number;
  /** The current epoch's order (a permutation of 0..size-1). */
  order: number[];
  /** State of the sampler's own generator (draws the next epochs' orders). */
  rng: RngState;
}

/**
 * Yields batches of dataset indices over shuffled epochs: each epoch is a fresh permutation of 0..size-1, and
 * every index is used once per epoch. Batches are always full: a batch that runs past the end of an epoch is
 * completed from the next epoch's permutation (so no image is dropped and shapes stay constant).
 *
 * The sampler owns the Rng it is given (pass a dedicated one, e.g. `rng.fork()`); getState() includes it, and
 * `new EpochSampler(state)` continues with exactly the same batches.
 */
export class EpochSampler {
  readonly size: number;
  readonly batchSize: number;
  private rng: Rng;
  private order: number[];
  private _epoch: number;
  private _position: number;

  constructor(init: { size: number; batchSize: number; rng: Rng } | EpochSamplerState) {
    if ('version' in init) {
      if (init.version !== 1 || init.order.length !== init.size) throw new Error('EpochSampler: invalid saved state');
      this.size = init.size;
      this.batchSize = init.batchSize;
      this.rng = new Rng(init.rng);
      this.order = [...init.order];
      this._epoch = init.epoch;
      this._position = init.position;
    } else {
      this.size = init.size;
      this.batchSize = init.batchSize;
      this.rng = init.rng;
      this._epoch = 0;
      this._position = 0;
      this.order = [];
    }
    if (!Number.isInteger(this.size) || this.size < 1) throw new RangeError(`EpochSampler: size must be ≥ 1, got ${this.size}`);
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new RangeError(`EpochSampler: batchSize must be ≥ 1, got ${this.batchSize}`);
    }
    if (this.order.length === 0) this.order = this.rng.permutation(this.size);
  }

  /** Index of the epoch the next index comes from (0-based); equals the number of completed epochs. */
  get epoch(): number {
    return this._position === this.size ? this._epoch + 1 : this._epoch;
  }

  /** Indices already used from the current epoch. */
  get position(): number {
    return this._position === this.size ? 0 : this._position;
  }

  /** Completed epochs as a fraction, e.g. 2.25 (for logs and the --epochs stopping rule). */
  get progress(): number {
    return this._epoch + this._position / this.size;
  }

  /** The next batch of indices (always batchSize long). */
  next(): number[] {
    const batch: number[] = [];
    while (batch.length < this.batchSize) {
      if (this._position === this.size) {
        this.order = this.rng.permutation(this.size);
        this._epoch++;
        this._position = 0;
      }
      batch.push(this.order[this._position++]);
    }
    return batch;
  }

  getState(): EpochSamplerState {
    return {
      version: 1,
      size: this.size,
      batchSize: this.batchSize,
      epoch: this._epoch,
      position: this._position,
      order: [...this.order],
      rng: this.rng.getState(),
    };
  }
}
