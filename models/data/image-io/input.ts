// Getting a file into sharp safely, for every reader in read.ts: the bytes are read with plain-word errors,
// the header is probed first (HEVC HEIC and decompression bombs are refused before decoding), and sharp's
// failures are mapped to ImageReadErrors that say what is wrong with the file in plain words (libvips's own text
// stays in the error's cause, never in the reason a person reads).

import sharp from './sharp.js';
import { ImageReadError } from './errors.js';
import { readRegularFile } from './regular-file.js';

/**
 * Whether a JPEG or PNG stops before its end marker (EOI; IEND), judged from the bytes; null for other formats.
 * libvips's own words for the same truncated file vary from run to run (its error buffer is shared by concurrent
 * decodes), so the reason a person reads comes from the file, and Datasets and Batch give the same one.
 */
function endsEarly(data: Buffer): boolean | null {
  const tail = data.subarray(Math.max(0, data.length - 64));
  if (data.length >= 2 && data[0] === 0xff && data[1] === 0xd8) return !tail.includes(Buffer.from([0xff, 0xd9]));
  if (data.length >= 8 && data.subarray(1, 4).toString('latin1') === 'PNG') return !tail.includes(Buffer.from('IEND', 'latin1'));
  return null;
}

function readErrorFromSharp(path: string, data: Buffer, err: unknown, maxPixels: number): ImageReadError {
  const msg = err instanceof Error ? err.message : String(err);
  if (/exceeds pixel limit/i.test(msg)) {
    return new ImageReadError(
      path,
      'TOO_LARGE',
      `the image is larger than the limit of ${formatMegapixels(maxPixels)} (a safety limit against ` +
        'decompression bombs); downscale it first',
      { cause: err },
    );
  }
  if (/unsupported image format/i.test(msg)) {
    return new ImageReadError(path, 'NOT_AN_IMAGE', 'not an image, or in a format Darkroom cannot read', { cause: err });
  }
  if (/unsupported (codec|feature)|no decoder|hevc/i.test(msg)) {
    return new ImageReadError(path, 'UNSUPPORTED', 'this kind of image is not supported', {
      cause: err,
    });
  }
  const truncated = endsEarly(data) ?? /premature end|truncat|unexpected end|insufficient input|read error|short read|end of (file|stream)/i.test(msg);
  if (truncated) {
    return new ImageReadError(path, 'CORRUPT', 'the file is truncated or damaged', {
      cause: err,
    });
  }
  return new ImageReadError(path, 'CORRUPT', 'the file is damaged or not a valid image', {
    cause: err,
  });
}

function formatMegapixels(pixels: number): string {
  return `${Math.round(pixels / 1e6)} megapixels`;
}

/** Reads a whole regular file, turning file-system errors into ImageReadErrors; an empty file is one too. */
export async function readInputFile(path: string): Promise<Buffer> {
  const data = await readRegularFile(path);
  if (data.length === 0) throw new ImageReadError(path, 'EMPTY', 'the file is empty (0 bytes)');
  return data;
}

export function sharpInput(data: Buffer, maxPixels: number): sharp.Sharp {
  // failOn 'error': reject truncated and damaged pixel data, but accept files that merely warn (common with
  // some cameras' JPEGs). pages 1: the first frame of animations and multi-page files.
  return sharp(data, { failOn: 'error', limitInputPixels: maxPixels, autoOrient: true, pages: 1 });
}

interface ProbedImage {
  meta: sharp.Metadata;
  is16: boolean;
  /** sharp converts 16-bit tagged RGB to P3; add a P3→sRGB step when this is true. */
  needsP3Fix: boolean;
}

export async function probe(path: string, data: Buffer, maxPixels: number): Promise<ProbedImage> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(data, { limitInputPixels: false, pages: 1 }).metadata();
  } catch (err) {
    throw readErrorFromSharp(path, data, err, maxPixels);
  }
  if (meta.format === 'heif' && meta.compression === 'hevc') {
    throw new ImageReadError(
      path,
      'UNSUPPORTED',
      'HEIC photos (HEVC-compressed) cannot be decoded by this build; convert them to JPEG or PNG first',
    );
  }
  if (meta.width * meta.height > maxPixels) {
    throw new ImageReadError(
      path,
      'TOO_LARGE',
      `the image is ${meta.width}×${meta.height}, larger than the limit of ${formatMegapixels(maxPixels)} ` +
        '(a safety limit against decompression bombs); downscale it first',
    );
  }
  const is16 = meta.depth !== 'uchar' && meta.depth !== 'char';
  const needsP3Fix = is16 && meta.hasProfile && meta.space === 'rgb16';
  return { meta, is16, needsP3Fix };
}

export async function run<T>(path: string, data: Buffer, maxPixels: number, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ImageReadError) throw err;
    throw readErrorFromSharp(path, data, err, maxPixels);
  }
}
