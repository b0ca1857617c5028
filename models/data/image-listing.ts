// The one listing of a folder's images, for every caller: Datasets, the trainer, Batch and browser mode's folder
// browser. What it lists is what may be read: a symbolic link is followed only to a file inside the folder being
// listed (judged by its real path, like single photos), links to folders are never walked (one inside is listed
// where it really is; one outside is not read), and every entry left out comes with its reason, in the same
// words wherever it is shown. Images are listed by real path, to be opened without following links
// (readRegularFile), so a link swapped in after the listing is not followed either.
import { promises as fs } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { isImagePath, notAFileReason } from './image-io.js';
import { isInside } from '../output-folder.js';
import { UsageError, noSuchFolder, notAFolder } from '../errors.js';

export interface ListedImage {
  /** Its path inside the listed folder, '/'-separated: what a person sees (a link keeps its own name). */
  name: string;
  /** Its real path (no link in it), to open it by. */
  path: string;
}

export interface ListedFolder {
  name: string;
  /** Its real path. */
  path: string;
}

/** An entry the listing left out: a link it does not follow, a sub-folder it cannot open. */
export interface LeftOutEntry {
  /** Its path inside the listed folder, '/'-separated. */
  name: string;
  /** Why, and what to do, in plain words. */
  reason: string;
  /** It is, or leads to, a folder (a listing that does not walk sub-folders has nothing to say of those). */
  folder: boolean;
}

export interface ImageListing {
  /** The listed folder's real path. */
  folder: string;
  /** Sorted by name (code-point order). */
  images: ListedImage[];
  /** Sub-folders, when not recursive (the folder browser); sorted by name. */
  folders: ListedFolder[];
  /** Sorted by name. */
  leftOut: LeftOutEntry[];
}

export interface ListingOptions {
  /** Walk sub-folders too (their images are named by their path inside the folder). */
  recursive: boolean;
  /** List hidden files and folders (names starting with '.') too; the default leaves them out silently. */
  hidden?: boolean;
}

/** The listed folder itself cannot be listed; the message names it and says what to do. */
export class FolderListingError extends UsageError {
  override name = 'FolderListingError';
  constructor(
    readonly folder: string,
    readonly code: 'NOT_FOUND' | 'NOT_A_FOLDER' | 'NO_PERMISSION',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const slashed = (path: string) => path.split(sep).join('/');

/** Lists the images in `folder` (see the top of this file). Throws FolderListingError when the folder cannot be listed. */
export async function listImages(folder: string, options: ListingOptions): Promise<ImageListing> {
  const root = await realFolder(folder);
  const listing: ImageListing = { folder: root, images: [], folders: [], leftOut: [] };
  const nameOf = (path: string) => slashed(relative(root, path));

  const walk = async (dir: string): Promise<void> => {
    // A sub-folder replaced by a link since its parent was read is not followed either.
    if (dir !== root && (await fs.realpath(dir).catch(() => null)) !== dir) {
      listing.leftOut.push({ name: `${nameOf(dir)}/`, reason: 'it changed while the folder was listed: list the folder again', folder: true });
      return;
    }
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (dir === root) throw cannotList(folder, error);
      listing.leftOut.push({ name: `${nameOf(dir)}/`, reason: cannotOpenReason(error), folder: true });
      return [];
    });
    for (const entry of entries) {
      if (entry.name.startsWith('.') && !options.hidden) continue; // .DS_Store, .git, our own temporary files
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (options.recursive) await walk(path);
        else listing.folders.push({ name: entry.name, path });
      } else if (entry.isFile()) {
        if (isImagePath(entry.name)) listing.images.push({ name: nameOf(path), path });
      } else if (entry.isSymbolicLink()) {
        const judged = await judgeLink(path, root, dir);
        if (judged.kind === 'image') listing.images.push({ name: nameOf(path), path: judged.path });
        else if (isImagePath(entry.name) || judged.isFolder) listing.leftOut.push({ name: nameOf(path), reason: judged.reason, folder: judged.isFolder });
      } else if (isImagePath(entry.name)) {
        // A FIFO would block a read forever, a device never end.
        listing.leftOut.push({ name: nameOf(path), reason: notAFileReason(entry), folder: false });
      }
    }
  };
  await walk(root);
  listing.images.sort(byName);
  listing.folders.sort(byName);
  listing.leftOut.sort(byName);
  return listing;
}

/** "  name: reason" lines for messages and warnings: the same words everywhere an entry left out is told of. */
export function leftOutLines(leftOut: readonly LeftOutEntry[]): string {
  return leftOut.map((entry) => `  ${entry.name}: ${entry.reason}`).join('\n');
}

/**
 * The one wording for a link that leads out of the folder being read, wherever one is left out: the listings of
 * images and the studio's own folders (a run folder linked in from outside the workspace). `what`: what to do.
 */
export function linkOutReason(target: string, root: string, what: string): string {
  return `a link to ${target}, outside ${root}: Darkroom reads only what is inside the folder; ${what}`;
}

type LinkJudgement = { kind: 'image'; path: string } | { kind: 'left out'; reason: string; isFolder: boolean };

/** Where a link in `dir` (inside `root`) leads, and whether the listing takes it. */
async function judgeLink(link: string, root: string, dir: string): Promise<LinkJudgement> {
  let target: string;
  try {
    target = await fs.realpath(link);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { kind: 'left out', isFolder: false, reason: 'a loop of symbolic links that never reaches a file: remove the link or point it at a photo' };
    const written = await fs.readlink(link).catch(() => '?');
    return { kind: 'left out', isFolder: false, reason: `a link to ${written}, which does not exist: remove the link or point it at a photo` };
  }
  const info = await fs.stat(target).catch(() => null);
  const isFolder = info?.isDirectory() ?? false;
  if (!isInside(target, root)) {
    const what = isFolder ? `choose ${target} itself` : `copy the photo into ${root}, or choose the folder it is in`;
    return { kind: 'left out', isFolder, reason: linkOutReason(target, root, what) };
  }
  if (isFolder) {
    const inside = slashed(relative(root, target)) || '.';
    // A link to the folder itself or to one it is in leads round in a circle.
    if (isInside(dir, target)) return { kind: 'left out', isFolder, reason: `a link back to ${inside === '.' ? 'this folder' : inside} (a loop): Darkroom does not follow it; remove the link` };
    return { kind: 'left out', isFolder, reason: `a link to the folder ${inside} in this folder: its images are listed there, once` };
  }
  if (info && !info.isFile()) return { kind: 'left out', isFolder, reason: `a link to ${slashed(relative(root, target))}: ${notAFileReason(info)}` };
  if (!isImagePath(target)) return { kind: 'left out', isFolder, reason: `a link to ${slashed(relative(root, target))}, which is not an image file` };
  return { kind: 'image', path: target };
}

async function realFolder(folder: string): Promise<string> {
  let real: string;
  try {
    real = await fs.realpath(folder);
  } catch (error) {
    throw cannotList(folder, error as NodeJS.ErrnoException);
  }
  if (!(await fs.stat(real)).isDirectory()) throw new FolderListingError(folder, 'NOT_A_FOLDER', notAFolder(folder));
  return real;
}

function cannotList(folder: string, error: NodeJS.ErrnoException): FolderListingError {
  if (error.code === 'ENOTDIR') return new FolderListingError(folder, 'NOT_A_FOLDER', notAFolder(folder), { cause: error });
  if (error.code === 'EACCES' || error.code === 'EPERM')
    return new FolderListingError(folder, 'NO_PERMISSION', `The folder ${folder} cannot be opened: permission denied. Make it readable, or choose another folder`, { cause: error });
  if (error.code === 'ELOOP') return new FolderListingError(folder, 'NOT_FOUND', `${folder} is a loop of symbolic links that never reaches a folder: fix the link or choose the folder itself`, { cause: error });
  return new FolderListingError(folder, 'NOT_FOUND', noSuchFolder(folder), { cause: error });
}

function cannotOpenReason(error: NodeJS.ErrnoException): string {
  return error.code === 'EACCES' || error.code === 'EPERM' ? 'a folder that cannot be opened (permission denied): make it readable to include its images' : `a folder that cannot be opened (${error.message})`;
}
