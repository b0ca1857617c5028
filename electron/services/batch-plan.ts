// Which files a batch converts and where each result goes, decided before any pixel is read: the inputs'
// folder trees are mirrored under the output folder, names are kept (with the extension of the output format),
// and nothing is ever planned over an input. Outputs that already exist are skipped, which is what makes a
// rerun after a crash resume where it stopped.
import { promises as fs } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { UsageError } from '../../models/errors.js';
import { IMAGE_EXTENSIONS, extensionFor, isImagePath, type FormatChoice, type OutputFormat } from '../../models/data/image-io.js';
import { exists, tempSiblingWriter } from '../../models/atomic-fs.js';
import { isProcessAlive } from '../../models/process-alive.js';
import { checkOutputFolder, isInside, realPathAllowingMissing } from '../../models/output-folder.js';
import type { BatchItemStatus } from '../api.js';

export type JobStatus = 'pending' | BatchItemStatus;

/** One image of a batch: where it is read, where its result goes, and how it went. */
export interface PlannedImage {
  /** Absolute path of the image to convert. */
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
 * Lists the jobs for `inputs` (files and folders). Folders are mirrored directly under `out`; files given by name
 * go straight into `out`. Throws UsageError, before any work, for inputs that do not exist or are empty paths, an
 * output folder that cannot be one (checkOutputFolder) or lies inside an input folder, and inputs with no images.
 */
export async function planBatch(o: PlanOptions): Promise<PlannedImage[]> {
  if (o.inputs.length === 0) throw new UsageError('give at least one input photo or folder');
  if (o.inputs.some((given) => given.trim() === '')) throw new UsageError('an input is an empty path: give the photos and folders to convert');
  await checkOutputFolder(o.out, 'the output folder');
  const out = resolve(o.out);
  const realOut = await realPathAllowingMissing(out);
  const found: { input: string; relativeOut: string }[] = [];
  for (const given of o.inputs) {
    const input = resolve(given);
    const info = await fs.stat(input).catch(() => null);
    if (!info) throw new UsageError(`input ${given} does not exist`);
    if (info.isDirectory()) {
      const real = await fs.realpath(input);
      if (isInside(out, input) || isInside(realOut, real))
        throw new UsageError(
          `the output folder ${o.out} is inside the input folder ${given}; choose an output folder outside the inputs, so that converted images are never mixed with the originals`,
        );
      const files = await listImages(input, o.recursive);
      if (files.length === 0)
        throw new UsageError(`no images in ${given} (looked for .${IMAGE_EXTENSIONS.join(', .')}${o.recursive ? ' in it and its subfolders' : '; add --recursive to look in subfolders'})`);
      for (const file of files) found.push({ input: join(input, file), relativeOut: file });
    } else {
      if ((await fs.realpath(dirname(input))) === realOut)
        throw new UsageError(
          `the output folder ${o.out} is the folder of the input ${given}; choose another output folder, so that converted images never replace or mix with the originals`,
        );
      found.push({ input, relativeOut: basename(input) });
    }
  }

  const taken = new Map<string, string>();
  const jobs: PlannedImage[] = [];
  const planned = new Set<string>();
  for (const { input, relativeOut } of found) {
    if (planned.has(input)) continue; // the same file reached twice
    planned.add(input);
    const { name, format } = outputNameFor(relativeOut, o.format);
    const output = join(out, dirname(relativeOut), name);
    const job: PlannedImage = { input, output, format, status: 'pending' };
    if (!isImagePath(input)) fail(job, `not an image file (${extname(input) || 'no extension'}); Darkroom converts .${IMAGE_EXTENSIONS.join(', .')}`);
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

/** Image files under `dir` as paths relative to it, sorted; hidden files and folders are left out. */
async function listImages(dir: string, recursive: boolean): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  const walk = async (folder: string) => {
    const real = await fs.realpath(folder);
    if (seen.has(real)) return; // a symbolic link loop
    seen.add(real);
    const entries = await fs.readdir(folder, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && (await fs.stat(path).catch(() => null))?.isDirectory());
      if (isDirectory) {
        if (recursive) await walk(path);
      } else if (isImagePath(entry.name)) files.push(relative(dir, path));
    }
  };
  await walk(dir);
  return files.sort();
}

/**
 * Removes temporary files that an interrupted batch (killed while writing) left in the output folders, so that
 * after a rerun no partial file remains anywhere. Only files of processes that are no longer running are removed.
 */
export async function removeStaleTemporaries(folders: Iterable<string>): Promise<number> {
  let removed = 0;
  for (const folder of new Set(folders)) {
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

