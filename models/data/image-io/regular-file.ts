// Reading a file's bytes only when it is a regular file. A named pipe (FIFO) blocks a plain read until some
// writer comes, and a device such as /dev/zero never ends, so an image folder holding either would hang a job.
// The file is opened without blocking and checked on the open handle, so it cannot be swapped in between. Nor
// does the open follow a link: callers pass real paths (listed by image-listing.ts, or resolved), so a link
// found there was swapped in since, and it might lead out of the folders Darkroom may read.

import { constants as fsConstants, promises as fsp, type Stats } from 'node:fs';
import { ImageReadError } from './errors.js';

// Windows has no FIFOs to block on, and neither O_NONBLOCK nor O_NOFOLLOW.
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0) | (fsConstants.O_NOFOLLOW ?? 0);

/** Reads a whole regular file; anything else (a folder, FIFO, device, socket) or a failed read throws ImageReadError. */
export async function readRegularFile(path: string): Promise<Buffer> {
  let handle: fsp.FileHandle | null = null;
  try {
    handle = await fsp.open(path, OPEN_FLAGS);
    const info = await handle.stat();
    if (!info.isFile()) throw new ImageReadError(path, 'NOT_A_FILE', notAFileReason(info));
    return await handle.readFile();
  } catch (err) {
    if (err instanceof ImageReadError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImageReadError(path, 'NOT_FOUND', 'the file does not exist', { cause: err });
    if (code === 'ELOOP' || code === 'EMLINK')
      throw new ImageReadError(path, 'NOT_A_FILE', 'it is a symbolic link now, not the photo that was listed: list the folder again', { cause: err });
    if (code === 'EISDIR') throw new ImageReadError(path, 'NOT_A_FILE', 'it is a folder, not a file', { cause: err });
    if (code === 'EACCES' || code === 'EPERM') throw new ImageReadError(path, 'NO_PERMISSION', 'permission denied', { cause: err });
    throw new ImageReadError(path, 'IO', (err as Error).message, { cause: err });
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

type FileKind = Pick<Stats, 'isDirectory' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>;

/** Why a folder, FIFO, device or socket is not read, in the words every reader and listing uses. */
export function notAFileReason(info: FileKind): string {
  return `it is ${kindOf(info)}, not a file`;
}

function kindOf(info: FileKind): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}
