// Browser mode's folder browser: what is in a folder on the machine running the studio. Folders and images
// only (other files are none of the page's business), folders first; hidden ones only when asked for.
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isImagePath } from '../../models/data/image-io.js';
import { noSuchFolder, notAFolder } from '../../models/errors.js';
import { ApiError, type FolderEntry, type FolderListing } from '../api.js';

/** More entries than this are cut (a folder of 100 000 photos need not cross the wire to pick it). */
const MAX_ENTRIES = 2000;

export async function listFolder(path: string, options: { hidden?: boolean } = {}): Promise<FolderListing> {
  const folder = resolve(path);
  const entries = await fs.readdir(folder, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOTDIR') throw new ApiError('bad-request', notAFolder(folder));
    if (error.code === 'EACCES' || error.code === 'EPERM') throw new ApiError('bad-request', `${folder} cannot be opened: permission denied`);
    throw new ApiError('not-found', noSuchFolder(folder));
  });
  const listed: FolderEntry[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') && !options.hidden) continue;
    const full = join(folder, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await fs.stat(full).catch(() => null);
      isDir = target?.isDirectory() ?? false;
      isFile = target?.isFile() ?? false;
    }
    if (isDir) listed.push({ name: entry.name, path: full, kind: 'folder' });
    else if (isFile && isImagePath(entry.name)) listed.push({ name: entry.name, path: full, kind: 'image' });
  }
  listed.sort((a, b) => Number(b.kind === 'folder') - Number(a.kind === 'folder') || a.name.localeCompare(b.name));
  const parent = dirname(folder);
  return { path: folder, parent: parent === folder ? null : parent, entries: listed.slice(0, MAX_ENTRIES) };
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
