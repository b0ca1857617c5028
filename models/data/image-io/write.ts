// Writing photos: the result of a conversion written faithfully (alpha, ICC profile, EXIF, XMP, density,
// bit depth, format), atomically and never over the input; plus the atomic write that every image file uses.

import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import { writeFailureReason, writeFileAtomic as writeAtomic, type AtomicWriteOptions } from '../../atomic-fs.js';
import sharp from './sharp.js';
import type { FormatChoice, OutputFormat, PhotoMeta, PixelRange } from './types.js';
import { ImageWriteError, shortSharpMessage } from './errors.js';
import { checkRange, floatToUint16, floatToUint8 } from './pixels.js';
import { iccColourSpace, insertPngChunks, pngChunk, srgbProfile } from './metadata.js';

// ───────────────────────────────────────────── atomic files

/**
 * Writes `data` to `path` atomically (see models/atomic-fs.ts). With `overwrite: false` an existing `path`
 * is never replaced (ImageWriteError code 'EXISTS').
 */
export async function writeImageFileAtomic(path: string, data: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  try {
    await writeAtomic(path, data, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ImageWriteError(path, 'EXISTS', 'the file already exists', { cause: err });
    const reason = writeFailureReason(err);
    if (reason) throw new ImageWriteError(path, 'IO', reason, { cause: err });
    throw err;
  }
}

// ───────────────────────────────────────────── writing photos

/**
 * Throws ImageWriteError 'OUTPUT_IS_INPUT' when `outputPath` names the same file as `inputPath`
 * (same resolved path, or — if both exist — the same file through a link or a case-insensitive file system).
 */
export async function assertNotInput(outputPath: string, inputPath: string | null | undefined): Promise<void> {
  if (!inputPath) return;
  const out = resolve(outputPath);
  const inp = resolve(inputPath);
  let same = out === inp;
  if (!same) {
    const [a, b] = await Promise.all([fsp.stat(out).catch(() => null), fsp.stat(inp).catch(() => null)]);
    same = !!a && !!b && a.dev === b.dev && a.ino === b.ino && a.ino !== 0;
  }
  if (same) {
    throw new ImageWriteError(outputPath, 'OUTPUT_IS_INPUT', `it is the input file ${inputPath}; refusing to overwrite an input`);
  }
}

/** The output format used for `requested` given the source: 'same' keeps the source's format where we can write it. */
export function resolveOutputFormat(requested: FormatChoice, sourceFormat: string): OutputFormat {
  if (requested !== 'same') return requested;
  switch (sourceFormat) {
    case 'jpeg':
      return 'jpg';
    case 'png':
    case 'webp':
    case 'tiff':
    case 'avif':
      return sourceFormat;
    default:
      return 'png'; // gif (palette would ruin the result), heic, svg, … → lossless PNG
  }
}

/** The usual file extension (without dot) for an output format. */
export function extensionFor(format: OutputFormat): string {
  return format === 'tiff' ? 'tif' : format;
}

export interface WritePhotoOptions {
  /** Output format (default 'same'). */
  format?: FormatChoice;
  /** 1–100 for jpg/webp/avif (defaults 92 / 90 / 60). */
  quality?: number;
  /** Required when `pixels` is a Float32Array. */
  range?: PixelRange;
  /** Also refuse to write over this path (in addition to meta.sourcePath). */
  inputPath?: string;
  /** false: fail with ImageWriteError 'EXISTS' rather than replace an existing file. Default true. */
  overwrite?: boolean;
}

const ALPHA_FORMATS: ReadonlySet<OutputFormat> = new Set(['png', 'webp', 'tiff', 'avif']);
const DEEP_FORMATS: ReadonlySet<OutputFormat> = new Set(['png', 'tiff']);

/**
 * Writes translated RGB pixels (HWC, meta.width × meta.height, sRGB; uint8, uint16, or float with `range`)
 * as a photo, carrying over what readPhoto() found:
 *  - the alpha channel is re-attached (for jpg, which has none, the image is flattened onto white);
 *  - where the source had an RGB ICC profile the pixels are converted from sRGB to it and it is embedded
 *    (CMYK profiles too, for jpg/tiff output; other formats and grey profiles get sRGB with an sRGB profile);
 *  - EXIF (orientation 1) and XMP are kept — except EXIF in TIFF, which libvips cannot write;
 *  - the DPI is kept for jpg, png and tiff;
 *  - 16-bit output for png/tiff when the pixels have 16-bit precision (Uint16Array, or float from a 16-bit source).
 * The file is written atomically, and never over meta.sourcePath or options.inputPath.
 * Returns the format written.
 */
export async function writePhoto(
  path: string,
  pixels: Uint8Array | Uint16Array | Float32Array,
  meta: PhotoMeta,
  options: WritePhotoOptions = {},
): Promise<{ format: OutputFormat; bitDepth: 8 | 16 }> {
  await assertNotInput(path, meta.sourcePath);
  await assertNotInput(path, options.inputPath);
  const format = resolveOutputFormat(options.format ?? 'same', meta.format);
  const { width, height } = meta;
  const n = width * height;
  if (pixels.length !== n * 3) {
    throw new ImageWriteError(path, 'BAD_PIXELS', `expected ${width}×${height}×3 = ${n * 3} values, got ${pixels.length}`);
  }

  // Work depth: 16 when the pixels carry more than 8 bits.
  const deep = pixels instanceof Uint16Array || (pixels instanceof Float32Array && meta.bitDepth === 16);
  let rgb: Uint8Array | Uint16Array;
  if (pixels instanceof Float32Array) {
    const range = checkRange(options.range, 'writePhoto');
    rgb = deep ? floatToUint16(pixels, range) : floatToUint8(pixels, range);
  } else {
    rgb = pixels;
  }

  const keepAlpha = meta.alpha !== null && ALPHA_FORMATS.has(format);
  if (meta.alpha && meta.alpha.length !== n) {
    throw new ImageWriteError(path, 'BAD_PIXELS', `alpha has ${meta.alpha.length} values, expected ${n}`);
  }
  const channels = meta.alpha ? 4 : 3;
  // Without alpha the pixels are already what sharp takes (when their depth is the work depth).
  const reuse = !meta.alpha && (deep ? rgb instanceof Uint16Array : rgb instanceof Uint8Array);
  const interleaved = reuse ? rgb : deep ? new Uint16Array(n * channels) : new Uint8Array(n * channels);
  if (!reuse) {
    for (let i = 0; i < n; i++) {
      interleaved[i * channels] = rgb[i * 3];
      interleaved[i * channels + 1] = rgb[i * 3 + 1];
      interleaved[i * channels + 2] = rgb[i * 3 + 2];
    }
  }
  if (meta.alpha) {
    const a = meta.alpha;
    const conv = deep === (a instanceof Uint16Array) ? 1 : deep ? 257 : 1 / 257;
    for (let i = 0; i < n; i++) interleaved[i * channels + 3] = conv === 1 ? a[i] : Math.round(a[i] * conv);
  }

  // Target profile.
  const iccSpace = iccColourSpace(meta.icc);
  let target: { kind: 'file'; icc: Buffer } | { kind: 'srgb' } | null = null;
  if (meta.icc && iccSpace === 'RGB') target = { kind: 'file', icc: meta.icc };
  else if (meta.icc && iccSpace === 'CMYK' && (format === 'jpg' || format === 'tiff') && !keepAlpha) target = { kind: 'file', icc: meta.icc };
  else if (meta.icc) target = { kind: 'srgb' };

  let iccFile: string | null = null;
  try {
    // Stage 1: a lossless PNG carrying the pixels, EXIF and density (and, at 16 bits with a target profile, an
    // sRGB tag so sharp's 16-bit sRGB→P3→target chain starts from the right place). Sharp cannot attach raw
    // EXIF bytes to raw pixels, but it keeps EXIF that it read from a file.
    let raw = sharp(interleaved, { raw: { width, height, channels } });
    raw = raw.toColourspace(deep ? 'rgb16' : 'srgb');
    let png = await raw.png({ compressionLevel: 0, adaptiveFiltering: false }).toBuffer();
    const chunks: Buffer[] = [];
    if (deep && target) {
      const profile = await srgbProfile();
      chunks.push(pngChunk('iCCP', Buffer.concat([Buffer.from('sRGB\0\0', 'latin1'), deflateSync(profile)])));
    }
    if (meta.exif) chunks.push(pngChunk('eXIf', meta.exif));
    if (meta.density && meta.density > 0) {
      const ppm = Math.round(meta.density / 0.0254);
      const phys = Buffer.alloc(9);
      phys.writeUInt32BE(ppm, 0);
      phys.writeUInt32BE(ppm, 4);
      phys[8] = 1;
      chunks.push(pngChunk('pHYs', phys));
    }
    if (chunks.length) png = insertPngChunks(png, chunks);

    // Stage 2: the real encode.
    let out = sharp(png, { limitInputPixels: false });
    if (!keepAlpha && meta.alpha) out = out.flatten({ background: '#ffffff' });
    out = out.toColourspace(deep && DEEP_FORMATS.has(format) ? 'rgb16' : 'srgb');
    if (target?.kind === 'file') {
      iccFile = join(tmpdir(), `darkroom-${process.pid}-${randomBytes(6).toString('hex')}.icc`);
      await fsp.writeFile(iccFile, target.icc);
      out = out.withIccProfile(iccFile, { attach: true });
    } else if (target?.kind === 'srgb') {
      out = out.withIccProfile('srgb', { attach: true });
    }
    if (meta.exif) out = out.keepExif();
    if (meta.xmp) out = out.withXmp(meta.xmp);
    const q = options.quality;
    switch (format) {
      case 'jpg':
        out = out.jpeg({ quality: q ?? 92, chromaSubsampling: (q ?? 92) >= 90 ? '4:4:4' : '4:2:0' });
        break;
      case 'png':
        out = out.png({ compressionLevel: 6 });
        break;
      case 'webp':
        out = out.webp({ quality: q ?? 90 });
        break;
      case 'tiff':
        // sharp's TIFF writer sets its own resolution (default 1 px/mm) unless told.
        out = out.tiff({
          compression: 'deflate',
          predictor: 'horizontal',
          ...(meta.density && meta.density > 0
            ? { xres: meta.density / 25.4, yres: meta.density / 25.4, resolutionUnit: 'inch' as const }
            : {}),
        });
        break;
      case 'avif':
        out = out.avif({ quality: q ?? 60 });
        break;
    }
    let encoded: Buffer;
    try {
      encoded = await out.toBuffer();
    } catch (err) {
      throw new ImageWriteError(path, 'ENCODE', shortSharpMessage(err), { cause: err });
    }
    try {
      await writeImageFileAtomic(path, encoded, { overwrite: options.overwrite });
    } catch (err) {
      if (err instanceof ImageWriteError) throw err;
      throw new ImageWriteError(path, 'IO', (err as Error).message, { cause: err });
    }
    return { format, bitDepth: deep && DEEP_FORMATS.has(format) ? 16 : 8 };
  } finally {
    if (iccFile) await fsp.unlink(iccFile).catch(() => {});
  }
}
