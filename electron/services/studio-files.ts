// Browser mode's folder browser: what is in a folder on the machine running the studio. Folders and images
// only (other files are none of the page's business), folders first; hidden ones only when asked for; and the
// links the studio does not follow, with the reason.
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { FolderListingError, listImages } from '../../models/data/image-listing.js';
import { noSuchFolder, notAFolder } from '../../models/errors.js';
import { ApiError, type FolderEntry, type FolderListing } from '../api.js';

/** More entries than this are cut (a folder of 100 000 photos need not cross the wire to pick it). */
const MAX_ENTRIES = 2000;

export async function listFolder(path: string, options: { hidden?: boolean } = {}): Promise<FolderListing> {
  const folder = resolve(path);
  // The same listing as Datasets, the trainer and Batch: its image count is what they would use here, and the
  // links it does not follow are shown with the same reasons.
  const listing = await listImages(folder, { recursive: false, hidden: options.hidden }).catch((error: unknown) => {
    if (!(error instanceof FolderListingError)) throw error;
    throw new ApiError(error.code === 'NOT_FOUND' ? 'not-found' : 'bad-request', error.message);
  });
  const entries: FolderEntry[] = [
    ...listing.folders.map((f) => ({ name: f.name, path: join(folder, f.name), kind: 'folder' as const })),
    ...listing.images.map((image) => ({ name: image.name, path: join(folder, image.name), kind: 'image' as const })),
  ];
  entries.sort((a, b) => Number(b.kind === 'folder') - Number(a.kind === 'folder') || a.name.localeCompare(b.name));
  const parent = dirname(folder);
  return {
    path: folder,
    parent: parent === folder ? null : parent,
    entries: entries.slice(0, MAX_ENTRIES),
    leftOut: listing.leftOut.slice(0, MAX_ENTRIES).map(({ name, reason }) => ({ name, reason })),
  };
}

/**
 * The user's pictures folder: XDG_PICTURES_DIR where the desktop names one (Linux), else ~/Pictures (also the
 * name on macOS and Windows); null when neither exists.
 */
export async function picturesFolder(home = homedir(), env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  for (const candidate of [env.XDG_PICTURES_DIR, join(home, 'Pictures')]) {
    if (!candidate || !isAbsolute(candidate)) continue;
    if ((await fs.stat(candidate).catch(() => null))?.isDirectory()) return candidate;
  }
  return null;
}

/** A folder to show in the system's file manager (Electron's "Open output folder"): absolute and existing. */
export async function folderToOpen(path: unknown): Promise<string> {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0') || !isAbsolute(path))
    throw new ApiError('bad-request', 'Only a full folder path can be opened in the file manager');
  const stat = await fs.stat(path).catch(() => null);
  if (!stat) throw new ApiError('not-found', noSuchFolder(path));
  if (!stat.isDirectory()) throw new ApiError('bad-request', notAFolder(path));
  return resolve(path);
}
