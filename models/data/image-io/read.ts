// Reading images: small training arrays, full-resolution photos with everything needed to write them back,
// plain 8-bit decodes, header information and UI thumbnails. Everything comes out oriented and in sRGB.

import { resolve } from 'node:path';
import sharp from './sharp.js';
import { MAX_INPUT_PIXELS, type Photo, type ReadOptions, type RgbImage } from './types.js';
import { probe, readInputFile, run, sharpInput } from './input.js';
import { normaliseExif, resetXmpOrientation } from './metadata.js';

/**
 * Reads an image for training: EXIF orientation applied, first frame only, colour-managed to sRGB
 * (grey, CMYK, 16-bit, ICC-tagged all become 8-bit sRGB RGB), alpha removed, and resized to exactly
 * `size` (a number means square) with a bicubic kernel, ignoring the aspect ratio — as the official
 * CycleGAN's `resize_and_crop` does before its random crop.
 *
 * Alpha is dropped, not composited (like PIL's convert('RGB') in the reference implementation). It is removed
 * before resizing, so the colour under transparent pixels is what the file stores, exactly what readPhoto()
 * gives the model at conversion time.
 *
 * Returns HWC RGB uint8 of length height*width*3. Throws ImageReadError.
 */
export async function readImageForTraining(
  path: string,
  size: number | { width: number; height: number },
  options: TrainingReadOptions = {},
): Promise<Uint8Array> {
  const { width, height } = typeof size === 'number' ? { width: size, height: size } : size;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new RangeError(`readImageForTraining: size must be positive integers, got ${width}×${height}`);
  }
  const maxPixels = options.maxPixels ?? MAX_INPUT_PIXELS;
  const data = await readInputFile(path);
  const { meta, needsP3Fix } = await probe(path, data, maxPixels);
  options.onSourceSize?.(meta.autoOrient?.width ?? meta.width, meta.autoOrient?.height ?? meta.height);
  return run(path, data, maxPixels, async () => {
    let pipeline = sharpInput(data, maxPixels);
    if (meta.hasAlpha) {
      // Remove alpha before resizing (sharp would otherwise resize premultiplied and darken transparent areas).
      const flat = await toSrgb8(pipeline, needsP3Fix).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      pipeline = sharp(flat.data, { raw: { width: flat.info.width, height: flat.info.height, channels: 3 } });
    }
    pipeline = pipeline.resize(width, height, { fit: 'fill', kernel: 'cubic' });
    const out = await toSrgb8(pipeline, needsP3Fix && !meta.hasAlpha).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (out.info.channels !== 3 || out.info.width !== width || out.info.height !== height) {
      throw new Error(`unexpected decode result ${out.info.width}×${out.info.height}×${out.info.channels}`);
    }
    return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
  });
}

export interface TrainingReadOptions extends ReadOptions {
  /** Told the image's own size (as displayed, after EXIF orientation) before it is resized. */
  onSourceSize?: (width: number, height: number) => void;
}

function toSrgb8(pipeline: sharp.Sharp, p3Fix: boolean): sharp.Sharp {
  if (p3Fix) pipeline = pipeline.withIccProfile('srgb', { attach: false });
  return pipeline.toColourspace('srgb');
}

/** Decodes a whole image at full resolution to 8-bit sRGB RGB (oriented, first frame, alpha removed). */
export async function decodeImageFile(path: string, options: ReadOptions = {}): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? MAX_INPUT_PIXELS;
  const data = await readInputFile(path);
  const { needsP3Fix } = await probe(path, data, maxPixels);
  return run(path, data, maxPixels, async () => {
    const out = await toSrgb8(sharpInput(data, maxPixels), needsP3Fix)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length),
      width: out.info.width,
      height: out.info.height,
      channels: 3,
    };
  });
}

export interface ImageInfo {
  /** Size after EXIF orientation. */
  width: number;
  height: number;
  format: string;
  bitDepth: 8 | 16;
  hasAlpha: boolean;
  hasProfile: boolean;
  space: string;
  pages: number;
}

/** Reads only the header (fast): size as displayed, format, depth. Throws ImageReadError. */
export async function readImageInfo(path: string, options: ReadOptions = {}): Promise<ImageInfo> {
  const maxPixels = options.maxPixels ?? MAX_INPUT_PIXELS;
  const data = await readInputFile(path);
  const { meta, is16 } = await probe(path, data, maxPixels);
  return {
    width: meta.autoOrient?.width ?? meta.width,
    height: meta.autoOrient?.height ?? meta.height,
    format: formatName(meta),
    bitDepth: is16 ? 16 : 8,
    hasAlpha: meta.hasAlpha,
    hasProfile: meta.hasProfile,
    space: meta.space,
    pages: meta.pages ?? 1,
  };
}

/** A small JPEG preview (longest side `maxSide`, oriented, sRGB, transparent areas on white) for the UI. */
export async function makeThumbnail(path: string, maxSide = 256, options: ReadOptions = {}): Promise<Buffer> {
  const maxPixels = options.maxPixels ?? MAX_INPUT_PIXELS;
  const data = await readInputFile(path);
  const { needsP3Fix } = await probe(path, data, maxPixels);
  return run(path, data, maxPixels, () =>
    toSrgb8(sharpInput(data, maxPixels).resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true }), needsP3Fix)
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 85 })
      .toBuffer(),
  );
}

function formatName(meta: sharp.Metadata): string {
  if (meta.format === 'heif') return meta.compression === 'hevc' ? 'heic' : 'avif';
  return meta.format;
}

/**
 * Reads a photo at full resolution for conversion: EXIF orientation applied, first frame, colour-managed
 * to sRGB, as RGB (grey and CMYK converted) at 8 bits, or 16 bits when the source has more than 8.
 * The alpha channel is returned separately and untouched. EXIF (orientation reset to 1), ICC and XMP are
 * returned so writePhoto() can carry them to the output. Throws ImageReadError.
 */
export async function readPhoto(path: string, options: ReadOptions = {}): Promise<Photo> {
  const maxPixels = options.maxPixels ?? MAX_INPUT_PIXELS;
  const data = await readInputFile(path);
  const { meta, is16, needsP3Fix } = await probe(path, data, maxPixels);
  return run(path, data, maxPixels, async () => {
    let pipeline = sharpInput(data, maxPixels);
    if (needsP3Fix) pipeline = pipeline.withIccProfile('srgb', { attach: false });
    pipeline = pipeline.toColourspace(is16 ? 'rgb16' : 'srgb');
    const out = await pipeline.raw({ depth: is16 ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
    const { width, height, channels } = out.info;
    if (channels !== 3 && channels !== 4) throw new Error(`unexpected channel count ${channels}`);
    const all = is16 ? asUint16(out.data) : new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
    let pixels: Uint8Array | Uint16Array = all;
    let alpha: Uint8Array | Uint16Array | null = null;
    if (channels === 4) {
      const n = width * height;
      pixels = is16 ? new Uint16Array(n * 3) : new Uint8Array(n * 3);
      alpha = is16 ? new Uint16Array(n) : new Uint8Array(n);
      for (let i = 0, j = 0; i < n; i++, j += 4) {
        pixels[i * 3] = all[j];
        pixels[i * 3 + 1] = all[j + 1];
        pixels[i * 3 + 2] = all[j + 2];
        alpha[i] = all[j + 3];
      }
    }
    return {
      sourcePath: resolve(path),
      width,
      height,
      format: formatName(meta),
      bitDepth: is16 ? 16 : 8,
      pixels,
      sourceSpace: meta.space,
      sourceChannels: meta.channels,
      alpha,
      exif: normaliseExif(meta.exif),
      icc: meta.icc && meta.icc.length >= 128 ? Buffer.from(meta.icc) : null,
      xmp: meta.xmp ? resetXmpOrientation(meta.xmp.toString('utf8')) : null,
      density: meta.density ?? null,
      orientation: meta.orientation ?? 1,
    };
  });
}

function asUint16(buf: Buffer): Uint16Array {
  if (buf.byteOffset % 2 === 0) return new Uint16Array(buf.buffer, buf.byteOffset, buf.length / 2);
  const copy = new Uint8Array(buf.length);
  copy.set(buf);
  return new Uint16Array(copy.buffer);
}
