// Folders Darkroom writes into (a batch's output folder, a training run's folder): checked before any work, and
// created one level at a time. Node's recursive mkdir loops forever where a folder exists but refuses children
// (mkdir /proc/self/x answers "no such file", so it makes the parent again, which exists, and retries), so
// creation here never loops without a bound. Also the one place for "is this path inside that folder?".
import { constants as fsConstants, promises as fs } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from './errors.js';
import { writeFailureReason } from './atomic-fs.js';

/** The real path of `path`, resolving symlinks in the part that exists (the rest may not exist yet). */
export async function realPathAllowingMissing(path: string): Promise<string> {
  const real = await fs.realpath(path).catch(() => null);
  if (real !== null) return real;
  const parent = dirname(path);
  return parent === path ? path : join(await realPathAllowingMissing(parent), basename(path));
}

/** Whether `child` is `parent` or lies under it (plain path comparison: resolve both first). */
export const isInside = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);

/** Whether `folder` is, or will be once created, inside `container`, by path or through symbolic links. */
export async function isInsideFolder(folder: string, container: string): Promise<boolean> {
  const [a, b] = [resolve(folder), resolve(container)];
  return isInside(a, b) || isInside(await realPathAllowingMissing(a), await realPathAllowingMissing(b));
}

/**
 * Checks, without writing anything, that `path` can be an output folder: not empty, not a file, and its nearest
 * existing ancestor a folder. `label` names it in messages, e.g. "the output folder". Throws UsageError.
 */
export async function checkOutputFolder(path: string, label: string): Promise<void> {
  if (path.trim() === '') throw new UsageError(`${label} is an empty path: give the folder to write into`);
  const target = resolve(path);
  for (let current = target; ; current = dirname(current)) {
    const info = await fs.stat(current).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' || error.code === 'ENOTDIR' ? null : error));
    if (info instanceof Error) throw new UsageError(`${label} ${path} cannot be used: ${writeFailureReason(info) ?? info.message}`);
    if (info?.isDirectory()) return;
    if (info) {
      throw new UsageError(
        current === target
          ? `${label} ${path} is a file, not a folder: choose a folder (it is created when it does not exist)`
          : `${label} ${path} cannot be created: ${current} is a file, not a folder`,
      );
    }
    if (dirname(current) === current) return; // a missing root: creating will say so
  }
}

/** Creates `path` and its missing parents one level at a time, then checks it is writable. Throws UsageError. */
export async function createOutputFolder(path: string, label: string): Promise<string> {
  await checkOutputFolder(path, label);
  const target = resolve(path);
  const missing: string[] = [];
  for (let current = target; !(await isFolder(current)); current = dirname(current)) {
    if (dirname(current) === current) throw new UsageError(`${label} ${path} cannot be created: ${current} does not exist`);
    missing.unshift(current);
  }
  for (const folder of missing) {
    try {
      await fs.mkdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && (await isFolder(folder))) continue;
      const reason =
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? `${dirname(folder)} does not take new folders (a system folder?); choose a folder of your own`
          : (writeFailureReason(error) ?? (error as Error).message);
      throw new UsageError(`cannot create ${label} ${path}: ${reason}`, { cause: error });
    }
  }
  await fs.access(target, fsConstants.W_OK).catch((error: unknown) => {
    throw new UsageError(`cannot write into ${label} ${path}: ${writeFailureReason(error) ?? (error as Error).message}`, { cause: error });
  });
  return target;
}

async function isFolder(path: string): Promise<boolean> {
  return (await fs.stat(path).catch(() => null))?.isDirectory() ?? false;
}

/**
 * Why writing into `folder` would leave `container`, the folder a job writes into: a symbolic link on the way
 * leads out (judged by real paths, for levels that do not exist yet too). Null when it stays inside.
 */
export async function whyOutsideFolder(folder: string, container: string, label: string): Promise<string | null> {
  const [real, realContainer] = await Promise.all([realPathAllowingMissing(resolve(folder)), realPathAllowingMissing(resolve(container))]);
  if (isInside(real, realContainer)) return null;
  return `${folder} leads to ${real}, outside ${label} ${container}: Darkroom writes only inside ${label}; remove the link, or choose ${real} as ${label}`;
}

/**
 * Creates `folder` inside `container` one level at a time, each level judged by its real path before anything is
 * made in it, so a linked sub-folder never leads a write out (mkdir's recursive mode follows links). Returns the
 * folder's real path, to write into. Throws UsageError naming the link.
 */
export async function createFolderInside(folder: string, container: string, label: string): Promise<string> {
  const base = resolve(container);
  const target = resolve(folder);
  if (!isInside(target, base)) throw new Error(`${folder} is not inside ${container}`);
  const realContainer = await fs.realpath(base);
  let real = realContainer;
  let shown = base;
  for (const part of relative(base, target).split(sep).filter(Boolean)) {
    shown = join(shown, part);
    // Made under the checked real path of the level above, so a link swapped in up there is not followed.
    const next = join(real, part);
    await fs.mkdir(next).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw new UsageError(`cannot create ${shown}: ${writeFailureReason(error) ?? error.message}`, { cause: error });
    });
    real = await fs.realpath(next).catch(() => next);
    if (!isInside(real, realContainer)) throw new UsageError((await whyOutsideFolder(shown, container, label)) ?? `${shown} leads outside ${label} ${container}`);
    if (!(await isFolder(real))) throw new UsageError(`${shown} is not a folder: remove it, or choose another ${label}`);
  }
  return real;
}
