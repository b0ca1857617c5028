// Datasets: folders of images the studio knows about (datasets.json in the workspace), each checked once when
// added: how many images, their sizes and formats, thumbnails to recognise it by, and problems by file —
// unreadable (corrupt), too small, greyscale in a colour set, exact duplicates (same bytes), and entries the
// folder's listing left out (links it does not follow).
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { makeThumbnail, readImageForTraining, readImageInfo, readRegularFile } from '../../models/data/image-io.js';
import { FolderListingError, leftOutLines, listImages } from '../../models/data/image-listing.js';
import { readJson, writeFileAtomic, writeJsonAtomic, exists } from '../../models/atomic-fs.js';
import { ApiError, type DatasetImage, type DatasetProblem, type DatasetReport, type DatasetSummary } from '../api.js';
import { claimFolder, mediaRef, reserveId, type Workspace } from './workspace.js';

/** Shorter sides below this are reported as too small to train on. */
export const TINY_SIDE = 32;
/** Thumbnails in a dataset's summary (its card); the report's gallery has one for every readable image. */
export const THUMBNAILS_PER_DATASET = 24;
const THUMBNAIL_SIDE = 128;
/** Channels within this many levels of each other everywhere count as grey. */
const GREY_TOLERANCE = 3;

export interface FolderInspection {
  files: string[];
  count: number;
  sizes: { size: string; count: number }[];
  formats: { format: string; count: number }[];
  problems: DatasetProblem[];
  /** Readable images, in order, for thumbnails. */
  readable: string[];
  /** File names relative to the folder ('/'-separated), in the order of `files`. */
  names: string[];
}

interface StoredDataset extends Omit<DatasetReport, 'thumbnails' | 'images' | 'readable'> {
  thumbnails: string[];
  /** Absent in datasets added before every image got a thumbnail. */
  images?: DatasetImage[];
}

interface DatasetsFile {
  format: 'darkroom-datasets';
  version: 1;
  datasets: StoredDataset[];
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function tally(values: string[]): { key: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

/**
 * Checks every image in a folder, as image-listing.ts lists it (the trainer uses the same list); entries it left
 * out are problems of their own. Throws ApiError('bad-request') when the folder is missing or holds no images.
 */
export async function inspectFolder(dir: string): Promise<FolderInspection> {
  const root = resolve(dir);
  const listing = await listImages(root, { recursive: true }).catch((error: unknown) => {
    throw error instanceof FolderListingError ? new ApiError('bad-request', error.message) : error;
  });
  const files = listing.images.map((image) => image.path);
  if (files.length === 0)
    throw new ApiError(
      'bad-request',
      `${root} holds no images (JPEG, PNG, WebP, TIFF, AVIF, GIF, HEIC), also in its sub-folders. Choose a folder of images.` +
        (listing.leftOut.length > 0 ? ` Left out:\n${leftOutLines(listing.leftOut)}` : ''),
    );

  const problems: DatasetProblem[] = listing.leftOut.map((entry) => ({ file: entry.name, kind: 'left-out', message: entry.reason }));
  const checked = await mapLimited(listing.images, 4, async ({ path: file, name }) => {
    try {
      const info = await readImageInfo(file);
      // A 16×16 thumbnail is enough to tell grey from colour; hashing the bytes finds exact copies.
      const [tiny, bytes] = await Promise.all([readImageForTraining(file, 16), readRegularFile(file)]);
      let grey = true;
      for (let i = 0; i < tiny.length && grey; i += 3) {
        const [r, g, b] = [tiny[i], tiny[i + 1], tiny[i + 2]];
        if (Math.abs(r - g) > GREY_TOLERANCE || Math.abs(g - b) > GREY_TOLERANCE) grey = false;
      }
      return { file, name, info, grey, hash: createHash('sha256').update(bytes).digest('hex') };
    } catch (error) {
      const reason = (error as { reason?: string }).reason ?? (error as Error).message;
      problems.push({ file: name, kind: 'corrupt', message: reason });
      return null;
    }
  });

  const firstWithHash = new Map<string, string>();
  const readable: string[] = [];
  const sizes: string[] = [];
  const formats: string[] = [];
  for (const entry of checked) {
    if (!entry) continue;
    readable.push(entry.file);
    sizes.push(`${entry.info.width}×${entry.info.height}`);
    formats.push(entry.info.format);
    const shorter = Math.min(entry.info.width, entry.info.height);
    if (shorter < TINY_SIDE)
      problems.push({ file: entry.name, kind: 'tiny', message: `${entry.info.width}×${entry.info.height} px: smaller than ${TINY_SIDE} px is too small to learn from` });
    if (entry.grey) problems.push({ file: entry.name, kind: 'grey', message: 'greyscale: the model learns colour from colour images' });
    const original = firstWithHash.get(entry.hash);
    if (original) problems.push({ file: entry.name, kind: 'duplicate', message: `same content as ${original}` });
    else firstWithHash.set(entry.hash, entry.name);
  }
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.kind.localeCompare(b.kind));
  return {
    files,
    count: files.length,
    sizes: tally(sizes).map(({ key, count }) => ({ size: key, count })),
    formats: tally(formats).map(({ key, count }) => ({ format: key, count })),
    problems,
    readable,
    names: listing.images.map((image) => image.name),
  };
}

export class DatasetStore {
  readonly #workspace: Workspace;
  #datasets: StoredDataset[];
  /** Folders being checked right now (an add takes a while; a second add of the same folder is refused). */
  readonly #adding = new Set<string>();

  private constructor(workspace: Workspace, datasets: StoredDataset[]) {
    this.#workspace = workspace;
    this.#datasets = datasets;
  }

  static async open(workspace: Workspace): Promise<DatasetStore> {
    const file = workspace.paths.datasetsJson;
    if (!(await exists(file))) return new DatasetStore(workspace, []);
    try {
      const stored = await readJson<DatasetsFile>(file);
      return new DatasetStore(workspace, Array.isArray(stored.datasets) ? stored.datasets : []);
    } catch (error) {
      throw new ApiError('failed', `${file} cannot be read (${(error as Error).message}); fix or delete it, then start again`);
    }
  }

  list(): DatasetSummary[] {
    return this.#datasets.map((d) => this.#summary(d));
  }

  get(id: string): DatasetReport {
    const stored = this.#find(id);
    // Older datasets kept only their summary thumbnails, without file names.
    const images = stored.images ?? stored.thumbnails.map((thumbnail, i) => ({ file: `image ${i + 1}`, thumbnail }));
    return { ...this.#summary(stored), images, sizes: stored.sizes, formats: stored.formats, problems: stored.problems };
  }

  /** The folder of a dataset, for training. */
  pathOf(id: string): string {
    return this.#find(id).path;
  }

  async add(path: string, name?: string): Promise<DatasetReport> {
    const folder = resolve(path);
    const already = this.#datasets.find((d) => d.path === folder);
    if (already) throw new ApiError('conflict', `${folder} is already a dataset (“${already.name}”).`);
    if (this.#adding.has(folder)) throw new ApiError('conflict', `${folder} is being added already; wait for its check to finish.`);
    this.#adding.add(folder);
    try {
      return await this.#add(folder, name);
    } finally {
      this.#adding.delete(folder);
    }
  }

  async #add(folder: string, name: string | undefined): Promise<DatasetReport> {
    const inspection = await inspectFolder(folder);
    const displayName = name?.trim() || basename(folder) || folder;
    // The thumbnail folder claims the id: a second add at the same time gets the next one.
    const id = await reserveId(displayName, (candidate) => claimFolder(this.#thumbnailDir(candidate)), (candidate) => this.#datasets.some((d) => d.id === candidate));
    let images: DatasetImage[];
    try {
      const refs = await this.#writeThumbnails(id, inspection.readable);
      const byFile = new Map(inspection.readable.map((file, i) => [file, refs[i]]));
      images = inspection.files.map((file, i) => ({ file: inspection.names[i], thumbnail: byFile.get(file) ?? null }));
    } catch (error) {
      await fs.rm(this.#thumbnailDir(id), { recursive: true, force: true });
      throw error;
    }
    const stored: StoredDataset = {
      id,
      name: displayName,
      path: folder,
      count: inspection.count,
      addedAt: new Date().toISOString(),
      thumbnails: images.flatMap((image) => (image.thumbnail ? [image.thumbnail] : [])).slice(0, THUMBNAILS_PER_DATASET),
      images,
      problemCount: inspection.problems.length,
      sizes: inspection.sizes,
      formats: inspection.formats,
      problems: inspection.problems,
    };
    this.#datasets = [...this.#datasets, stored];
    await this.#save();
    return this.get(id);
  }

  async remove(id: string): Promise<void> {
    this.#find(id);
    this.#datasets = this.#datasets.filter((d) => d.id !== id);
    await this.#save();
    await fs.rm(this.#thumbnailDir(id), { recursive: true, force: true });
  }

  #thumbnailDir(id: string): string {
    return join(this.#workspace.paths.thumbnails, id);
  }

  #find(id: string): StoredDataset {
    const found = this.#datasets.find((d) => d.id === id);
    if (!found) throw new ApiError('not-found', `There is no dataset "${id}"; it may have been removed.`);
    return found;
  }

  #summary(d: StoredDataset): DatasetSummary {
    return {
      id: d.id,
      name: d.name,
      path: d.path,
      count: d.count,
      addedAt: d.addedAt,
      thumbnails: d.thumbnails,
      problemCount: d.problemCount,
      readable: d.count - d.problems.filter((p) => p.kind === 'corrupt').length,
    };
  }

  /** One thumbnail per file, in order; null where one cannot be made. */
  async #writeThumbnails(id: string, files: string[]): Promise<(string | null)[]> {
    // The folder was just claimed for this id (reserveId), so it is empty.
    const dir = this.#thumbnailDir(id);
    const refs = await mapLimited(files, 4, async (file, i) => {
      const target = join(dir, `${String(i).padStart(6, '0')}.jpg`);
      try {
        await writeFileAtomic(target, await makeThumbnail(file, THUMBNAIL_SIDE));
        return mediaRef(this.#workspace, target);
      } catch {
        return null;
      }
    });
    return refs;
  }

  async #save(): Promise<void> {
    const file: DatasetsFile = { format: 'darkroom-datasets', version: 1, datasets: this.#datasets };
    await writeJsonAtomic(this.#workspace.paths.datasetsJson, file);
  }
}
