// Atomic file writes, the one implementation in Darkroom: write a sibling temporary file, flush it, then
// rename it over the target, so a reader (or a resumed run after a crash) sees the old file or the new
// one, never half of one. Temporary names carry the writer's pid so leftovers of dead writers can be
// told apart from a live writer's and cleaned up.
import { constants as fsConstants, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

const TEMP_NAME = /^\..+\.tmp-(\d+)-[0-9a-f]{8}$/;

/** The longest file name, in bytes, that common file systems take (ext4, btrfs, XFS). */
const MAX_NAME_BYTES = 255;

/**
 * A fresh temporary path beside `path`: `.<name>.tmp-<pid>-<8 hex>`, with <name> shortened (on a character
 * boundary) when needed so the temporary name fits MAX_NAME_BYTES wherever the final name does.
 */
export function tempSibling(path: string): string {
  const suffix = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  let name = basename(path);
  const room = MAX_NAME_BYTES - 1 - suffix.length;
  if (Buffer.byteLength(name) > room) {
    const characters = [...name];
    while (Buffer.byteLength(characters.join('')) > room) characters.pop();
    name = characters.join('');
  }
  return join(dirname(path), `.${name}${suffix}`);
}

/** The pid that wrote a temporary file named by tempSibling, or null for any other name. */
export function tempSiblingWriter(name: string): number | null {
  const match = TEMP_NAME.exec(name);
  return match ? Number(match[1]) : null;
}

export interface AtomicWriteOptions {
  /** false: never replace an existing file; throws an error with code 'EEXIST' instead. Default true. */
  overwrite?: boolean;
}

/**
 * Writes `data` to `path` atomically. On failure the temporary file is removed and `path` is untouched.
 * The folder must exist.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = tempSibling(path);
  let handle: fs.FileHandle | null = null;
  try {
    handle = await fs.open(temp, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o644);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = null;
    if (options.overwrite === false) {
      await createOnly(temp, path);
    } else {
      await fs.rename(temp, path);
    }
  } catch (error) {
    if (handle) await handle.close().catch(() => {});
    await fs.rm(temp, { force: true });
    throw error;
  }
}

/** Moves `temp` to `path` unless `path` exists (then throws code 'EEXIST'). */
async function createOnly(temp: string, path: string): Promise<void> {
  try {
    // link() fails when the target exists: an atomic "create only".
    await fs.link(temp, path);
    await fs.unlink(temp).catch(() => {});
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || !LINK_UNSUPPORTED.has(code ?? '')) throw error;
    // Drives without hard links (FAT32/exFAT cards, some network shares): check, then rename. Only another
    // writer creating `path` in between could be replaced, and its content would be the same conversion.
    if (await exists(path)) throw Object.assign(new Error(`${path} already exists`), { code: 'EEXIST' });
    await fs.rename(temp, path);
  }
}

const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await fs.readFile(path, 'utf8')) as T;
}

export async function exists(path: string): Promise<boolean> {
  return fs.access(path).then(
    () => true,
    () => false,
  );
}

/** Why a write failed and what to do, in plain words, for the causes a person can fix; null for any other error. */
export function writeFailureReason(error: unknown): string | null {
  switch ((error as NodeJS.ErrnoException | null)?.code) {
    case 'ENOSPC':
      return 'the disk is full: free some space on that drive';
    case 'EDQUOT':
      return 'your disk quota is used up: free some space or ask for a larger quota';
    case 'EROFS':
      return 'the drive is read-only: choose a writable folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied: make the folder writable or choose another';
    default:
      return null;
  }
}
