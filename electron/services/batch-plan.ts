// Which files a batch converts and where each result goes, decided before any pixel is read: the inputs'
// folder trees are mirrored under the output folder, names are kept (with the extension of the output format),
// and nothing is ever planned over an input. Outputs that already exist are skipped, which is what makes a
// rerun after a crash resume where it stopped.
import { promises as fs } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UsageError } from '../../models/errors.js';
import { IMAGE_EXTENSIONS, extensionFor, isImagePath, type FormatChoice, type OutputFormat } from '../../models/data/image-io.js';
import { exists, tempSiblingWriter } from '../../models/atomic-fs.js';
import { isProcessAlive } from '../../models/process-alive.js';
import { checkOutputFolder, isInside, realPathAllowingMissing, whyOutsideFolder } from '../../models/output-folder.js';
import { leftOutLines, listImages } from '../../models/data/image-listing.js';
import type { BatchItemStatus } from '../api.js';

export type JobStatus = 'pending' | BatchItemStatus;

/** One image of a batch: where it is read, where its result goes, and how it went. */
export interface PlannedImage {
  /** The image to convert, by its real path (image-listing.ts); for an entry left out, where it was found. */
  input: string;
  /** Absolute path of the file to write. */
  output: string;
  format: OutputFormat;
  status: JobStatus;
  reason?: string;
}

export interface PlanOptions {
  inputs: string[];
  out: string;
  recursive: boolean;
  format: FormatChoice;
  overwrite: boolean;
}

/** Formats that 'same' keeps, by extension; other images (gif, heic…) become PNG. */
const SAME_FORMAT: Record<string, OutputFormat> = { jpg: 'jpg', jpeg: 'jpg', png: 'png', webp: 'webp', tif: 'tiff', tiff: 'tiff', avif: 'avif' };

/** The format a file name's extension stands for, or null for other extensions. */
export function formatOfExtension(file: string): OutputFormat | null {
  return SAME_FORMAT[extname(file).slice(1).toLowerCase()] ?? null;
}

/** The output file name and format for an input name. */
export function outputNameFor(file: string, format: FormatChoice): { name: string; format: OutputFormat } {
  const extension = extname(file);
  const stem = basename(file, extension);
  if (format === 'same') {
    const same = formatOfExtension(file);
    return same ? { name: basename(file), format: same } : { name: `${stem}.png`, format: 'png' };
  }
  return { name: `${stem}.${extensionFor(format)}`, format };
}

/**
 * The one rule for where an output folder may be, for folders and single photos alike: never the folder the
 * images are read from nor inside it (a photo's folder by its given path and where the photo really is), so that
 * converted images never replace or mix with the originals, and a rerun never reads them as inputs. Throws
 * UsageError naming both.
 */
async function refuseOutputAmongInputs(given: string, out: string, realOut: string, input: { given: string; folder: string; photo?: string }): Promise<void> {
  const folders = [input.folder, await fs.realpath(input.folder)];
  if (input.photo !== undefined) folders.push(dirname(input.photo));
  const inside = folders.find((folder) => isInside(out, folder) || isInside(realOut, folder));
  if (inside === undefined) return;
  const where = input.photo === undefined ? `the input folder ${input.given}` : `the folder of the input ${input.given}`;
  const how = out === inside || realOut === inside ? 'is' : 'is inside';
  throw new UsageError(
    `the output folder ${given} ${how} ${where}; choose an output folder outside the inputs' folders, so that converted images never replace or mix with the originals`,
  );
}

/**
 * Lists the jobs for `inputs` (files and folders). Folders are mirrored directly under `out`; files given by name
 * go straight into `out`. A folder is listed by image-listing.ts, as Datasets and the trainer list it: the entries
 * it leaves out (links out of the folder) fail with its reason, and so does a photo whose output a linked
 * sub-folder of `out` would lead out of it; a photo named by itself is read where it leads. Throws UsageError,
 * before any work, for inputs that do not exist or are empty paths, an output folder that cannot be one
 * (checkOutputFolder) or lies inside an input folder, and inputs with no images.
 */
export async function planBatch(o: PlanOptions): Promise<PlannedImage[]> {
  if (o.inputs.length === 0) throw new UsageError('give at least one input photo or folder');
  if (o.inputs.some((given) => given.trim() === '')) throw new UsageError('an input is an empty path: give the photos and folders to convert');
  await checkOutputFolder(o.out, 'the output folder');
  const out = resolve(o.out);
  const realOut = await realPathAllowingMissing(out);
  const found: { input: string; relativeOut: string; leftOut?: string }[] = [];
  for (const given of o.inputs) {
    const input = resolve(given);
    const info = await fs.stat(input).catch(() => null);
    if (!info) throw new UsageError(`input ${given} does not exist`);
    if (info.isDirectory()) {
      await refuseOutputAmongInputs(o.out, out, realOut, { given, folder: input });
      // The folder's listing, as Datasets and the trainer see it: links out of the folder are not read.
      const listing = await listImages(input, { recursive: o.recursive });
      const leftOut = listing.leftOut.filter((entry) => o.recursive || !entry.folder);
      if (listing.images.length === 0)
        throw new UsageError(
          `no images in ${given} (looked for .${IMAGE_EXTENSIONS.join(', .')}${o.recursive ? ' in it and its subfolders' : '; add --recursive to look in subfolders'})` +
            (leftOut.length > 0 ? `; left out:\n${leftOutLines(leftOut)}` : ''),
        );
      for (const image of listing.images) found.push({ input: image.path, relativeOut: image.name });
      for (const entry of leftOut) found.push({ input: join(input, entry.name), relativeOut: entry.name, leftOut: entry.reason });
    } else {
      // A photo named by itself is the user's own choice: it is read where it really is.
      const real = await fs.realpath(input);
      await refuseOutputAmongInputs(o.out, out, realOut, { given, folder: dirname(input), photo: real });
      found.push({ input: real, relativeOut: basename(input) });
    }
  }

  const taken = new Map<string, string>();
  const jobs: PlannedImage[] = [];
  const planned = new Set<string>();
  // Judged once a folder: whether writing there would leave the output folder through a link.
  const outsideOf = new Map<string, Promise<string | null>>();
  const whyOutside = (folder: string) => outsideOf.get(folder) ?? outsideOf.set(folder, whyOutsideFolder(folder, out, 'the output folder')).get(folder)!;
  for (const { input, relativeOut, leftOut } of found) {
    const { name, format } = outputNameFor(relativeOut, o.format);
    // An entry left out is shown where its output would have been, under its own name.
    const output = leftOut === undefined ? join(out, ...dirname(relativeOut).split('/'), name) : join(out, ...relativeOut.split('/'));
    if (planned.has(`${input}\0${output}`)) continue; // the same photo given twice
    planned.add(`${input}\0${output}`);
    const job: PlannedImage = { input, output, format, status: 'pending' };
    const outside = leftOut === undefined ? await whyOutside(dirname(output)) : null;
    if (leftOut !== undefined) fail(job, `not converted: ${leftOut}`);
    else if (!isImagePath(relativeOut)) fail(job, `not an image file (${extname(relativeOut) || 'no extension'}); Darkroom converts .${IMAGE_EXTENSIONS.join(', .')}`);
    else if (outside !== null) fail(job, `not converted: ${outside}`);
    else if (taken.has(output)) fail(job, `${taken.get(output)} is converted to the same output ${output}; convert one of them separately or choose another --format`);
    else if (!o.overwrite && (await exists(output))) {
      job.status = 'skipped';
      job.reason = `${output} already exists (converted before); --overwrite replaces it`;
    }
    if (job.status !== 'failed') taken.set(output, input);
    jobs.push(job);
  }
  return jobs;
}

function fail(job: PlannedImage, reason: string): void {
  job.status = 'failed';
  job.reason = reason;
}

/**
 * Removes temporary files that an interrupted batch (killed while writing) left in the output folders, so that
 * after a rerun no partial file remains anywhere. Only files of processes that are no longer running are removed,
 * and only inside `out` (a linked sub-folder leading out of it is left alone).
 */
export async function removeStaleTemporaries(folders: Iterable<string>, out: string): Promise<number> {
  let removed = 0;
  for (const folder of new Set(folders)) {
    if ((await whyOutsideFolder(folder, out, 'the output folder')) !== null) continue;
    const names = await fs.readdir(folder).catch(() => [] as string[]);
    for (const name of names) {
      const pid = tempSiblingWriter(name);
      if (pid !== null && pid !== process.pid && !isProcessAlive(pid)) {
        await fs.rm(join(folder, name), { force: true });
        removed++;
      }
    }
  }
  return removed;
}

