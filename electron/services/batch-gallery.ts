// The Batch view's gallery: a thumbnail of each converted photo as it is written, and on request the photo
// before and after at full size for the before/after view. Both are PNG/JPEG copies in the workspace's
// convert cache (the output folder itself is not served), made from the batch's own record of what it
// converted: a request names a photo by its input path, never a file to read.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { decodeImageFile, encodePng, makeThumbnail } from '../../models/data/image-io.js';
import { writeFileAtomic } from '../../models/atomic-fs.js';
import { ApiError, type ResponseOf, type StudioBatchEvent } from '../api.js';
import { mediaRef, type Workspace } from './workspace.js';

/** Thumbnails per batch: enough to browse, bounded for folders of thousands. */
export const MAX_THUMBNAILS = 200;
const THUMBNAIL_SIDE = 192;
/** Finished batches whose photos can still be opened. */
const KEEP_BATCHES = 5;

export type BatchPreview = ResponseOf<'batch.preview'>;

interface Converted {
  output: string;
  index: number;
}

export class BatchGallery {
  readonly #workspace: Workspace;
  readonly #batches = new Map<string, Map<string, Converted>>();

  constructor(workspace: Workspace) {
    this.#workspace = workspace;
  }

  /**
   * Wraps a batch's event listener: events pass on unchanged, and each converted photo is followed by a
   * 'thumbnail' event once its thumbnail is made (one at a time, beside the batch; a failure only skips it).
   */
  follow(jobId: string, emit: (event: StudioBatchEvent) => void): (event: StudioBatchEvent) => void {
    const converted = new Map<string, Converted>();
    this.#batches.set(jobId, converted);
    for (const old of [...this.#batches.keys()].slice(0, Math.max(0, this.#batches.size - KEEP_BATCHES))) this.#batches.delete(old);
    const dir = this.#dir(jobId);
    let chain = fs.mkdir(dir, { recursive: true }).then(() => {});
    return (event) => {
      emit(event);
      if (event.type !== 'item' || event.status !== 'done') return;
      const entry = { output: event.output, index: converted.size };
      converted.set(event.path, entry);
      if (entry.index >= MAX_THUMBNAILS) return;
      chain = chain.then(async () => {
        const file = join(dir, `thumb-${entry.index}.jpg`);
        await writeFileAtomic(file, await makeThumbnail(entry.output, THUMBNAIL_SIDE));
        emit({ type: 'thumbnail', path: event.path, media: mediaRef(this.#workspace, file) });
      }).catch(() => {});
    };
  }

  /** The photo before and after, as PNGs the page can show (an input may be TIFF or HEIC). */
  async preview(jobId: string, path: string): Promise<BatchPreview> {
    const entry = this.#batches.get(jobId)?.get(path);
    if (!entry) throw new ApiError('not-found', 'That photo is not among the batch\'s converted photos any more; open it from the output folder.');
    const dir = this.#dir(jobId);
    const [before, after] = await Promise.all(
      [path, entry.output].map(async (source, side) => {
        const file = join(dir, `photo-${entry.index}-${side === 0 ? 'before' : 'after'}.png`);
        const decoded = await decodeImageFile(source);
        await writeFileAtomic(file, await encodePng(decoded.data, decoded.width, decoded.height, 3));
        return { media: mediaRef(this.#workspace, file), width: decoded.width, height: decoded.height };
      }),
    );
    return { before: before.media, after: after.media, width: after.width, height: after.height };
  }

  #dir(jobId: string): string {
    return join(this.#workspace.paths.convert, jobId);
  }
}
