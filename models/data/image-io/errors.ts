// The two errors image-io throws, and the shortening of libvips' long messages that both use.
import { UsageError } from '../../errors.js';

/** An image file could not be read (the user's to fix: another file, a repaired one). `message` names the file and says why in plain words. */
export class ImageReadError extends UsageError {
  readonly path: string;
  readonly reason: string;
  readonly code: 'NOT_FOUND' | 'NOT_A_FILE' | 'NO_PERMISSION' | 'EMPTY' | 'NOT_AN_IMAGE' | 'CORRUPT' | 'TOO_LARGE' | 'UNSUPPORTED' | 'IO';
  constructor(path: string, code: ImageReadError['code'], reason: string, options?: { cause?: unknown }) {
    super(`Cannot read image ${path}: ${reason}`, options);
    this.name = 'ImageReadError';
    this.path = path;
    this.reason = reason;
    this.code = code;
  }
}

/** An image could not be written, or writing was refused (e.g. the output is the input). */
export class ImageWriteError extends Error {
  readonly path: string;
  readonly code: 'OUTPUT_IS_INPUT' | 'EXISTS' | 'BAD_PIXELS' | 'ENCODE' | 'IO';
  constructor(path: string, code: ImageWriteError['code'], reason: string, options?: { cause?: unknown }) {
    super(`Cannot write image ${path}: ${reason}`, options);
    this.name = 'ImageWriteError';
    this.path = path;
    this.code = code;
  }
}

export function shortSharpMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  // libvips repeats itself ("bad seek to …" × 30); the last line is usually the informative one.
  const unique = [...new Set(lines)];
  let msg = unique.length <= 2 ? unique.join('; ') : `${unique[0]}; …; ${unique[unique.length - 1]}`;
  if (msg.length > 240) msg = `${msg.slice(0, 237)}...`;
  return msg;
}
