// All image reading and writing in Darkroom goes through this module: it is the only one that imports sharp.
//
// Three kinds of use:
//  - training data: readImageForTraining() → small 8-bit sRGB RGB arrays at the training load size;
//  - full-resolution conversion: readPhoto() → oriented sRGB pixels plus everything needed to write the result
//    back faithfully (alpha, ICC profile, EXIF, XMP, bit depth, format), and writePhoto();
//  - small things we make ourselves: encodePng()/writePngAtomic() for sample grids, rasterizeSvg() for the
//    procedural scenes, makeThumbnail() for the UI.
//
// Colour: every pixel array handed to the rest of the project is sRGB. Embedded ICC profiles are applied on
// read (CMYK without a profile goes through libvips' default CMYK profile) and, on write, the result is
// converted back to the original RGB or CMYK profile and that profile is embedded again.
//
// A sharp pitfall handled here: for 16-bit RGB images with an embedded profile sharp converts to Display P3,
// not sRGB (its 16-bit working space), and converts from P3 when applying an output profile. We add the
// P3→sRGB step on read, and on write hand sharp 16-bit data tagged with an sRGB profile so that its
// sRGB→P3→target chain is correct.

import sharp from 'sharp';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import { writeFileAtomic as writeAtomic, type AtomicWriteOptions } from '../atomic-fs.js';

// We never reprocess the same pipeline, and libvips' file cache keeps files open (on Windows that blocks
// renames and deletes), so switch the cache off. Inputs are read into buffers by us anyway.
sharp.cache(false);

// ───────────────────────────────────────────── names and types

/** Extensions (lower case, without the dot) that Darkroom treats as images. */
export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'tif', 'tiff', 'avif', 'gif', 'heic', 'heif'] as const;
const IMAGE_EXTENSION_SET: ReadonlySet<string> = new Set(IMAGE_EXTENSIONS);

/** True when the path's extension (case-insensitive) is one of IMAGE_EXTENSIONS. Does not touch the file. */
export function isImagePath(path: string): boolean {
  return IMAGE_EXTENSION_SET.has(extname(path).slice(1).toLowerCase());
}

/** sharp's default limit (0x3FFF × 0x3FFF pixels); larger inputs are refused as likely decompression bombs. */
export const MAX_INPUT_PIXELS = 268_402_689;

/** How float pixel values map to intensity: '-1,1' (tanh generators) or '0,1'. Same spelling as the CLI's --range. */
export type PixelRange = '-1,1' | '0,1';

export type OutputFormat = 'jpg' | 'png' | 'webp' | 'tiff' | 'avif';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['jpg', 'png', 'webp', 'tiff', 'avif'];

export interface ReadOptions {
  /** Refuse images with more pixels than this (default MAX_INPUT_PIXELS). */
  maxPixels?: number;
}

/** Everything about a photo except its RGB pixels; what writePhoto needs to write a faithful result. */
export interface PhotoMeta {
  /** Absolute path the photo was read from (writePhoto refuses to write there), or null. */
  sourcePath: string | null;
  /** Size after EXIF orientation was applied (the size of `pixels`). */
  width: number;
  height: number;
  /**
   * The decoder that read the file: 'jpeg' | 'png' | 'webp' | 'tiff' | 'avif' | 'gif' | … (sharp's names,
   * except that AV1-compressed HEIF is called 'avif').
   */
  format: string;
  /** 8 or 16: the depth of `pixels` and `alpha` (16 for 16-bit, 32-bit and float sources). */
  bitDepth: 8 | 16;
  /** The source's colour interpretation as sharp names it: 'srgb', 'rgb16', 'b-w', 'grey16', 'cmyk', … */
  sourceSpace: string;
  /** Channels in the source file, alpha included (1 grey … 4 RGBA or CMYK). */
  sourceChannels: number;
  /** The source's alpha channel, untouched (same depth as the pixels), or null when it had none. */
  alpha: Uint8Array | Uint16Array | null;
  /**
   * The source's EXIF block as TIFF-structured bytes (starting "II*\0" or "MM\0*", without the JPEG
   * "Exif\0\0" prefix), with its Orientation tag reset to 1 because the pixels are already oriented. Null if none.
   */
  exif: Buffer | null;
  /** The source's embedded ICC profile, or null. */
  icc: Buffer | null;
  /** The source's XMP packet (orientation reset to 1), or null. */
  xmp: string | null;
  /** Pixels per inch, if the file said. */
  density: number | null;
  /** The EXIF orientation (1–8) that was applied to the pixels; 1 when there was none. */
  orientation: number;
}

/** A full-resolution photo: HWC RGB sRGB pixels (8- or 16-bit) and the metadata needed to write it back. */
export interface Photo extends PhotoMeta {
  pixels: Uint8Array | Uint16Array;
}

export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

// ───────────────────────────────────────────── errors

/** An image file could not be read. `message` names the file and says why in plain words. */
export class ImageReadError extends Error {
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

function shortSharpMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  // libvips repeats itself ("bad seek to …" × 30); the last line is usually the informative one.
  const unique = [...new Set(lines)];
  let msg = unique.length <= 2 ? unique.join('; ') : `${unique[0]}; …; ${unique[unique.length - 1]}`;
  if (msg.length > 240) msg = `${msg.slice(0, 237)}...`;
  return msg;
}

function readErrorFromSharp(path: string, err: unknown, maxPixels: number): ImageReadError {
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
    return new ImageReadError(path, 'UNSUPPORTED', `this kind of image is not supported (${shortSharpMessage(err)})`, {
      cause: err,
    });
  }
  if (/premature end|truncat|unexpected end|insufficient input|read error|short read|end of (file|stream)/i.test(msg)) {
    return new ImageReadError(path, 'CORRUPT', `the file is truncated or damaged (${shortSharpMessage(err)})`, {
      cause: err,
    });
  }
  return new ImageReadError(path, 'CORRUPT', `the file is damaged or not a valid image (${shortSharpMessage(err)})`, {
    cause: err,
  });
}

function formatMegapixels(pixels: number): string {
  return `${Math.round(pixels / 1e6)} megapixels`;
}

/** Reads a whole file, turning file-system errors into ImageReadErrors. */
async function readInputFile(path: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await fsp.readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImageReadError(path, 'NOT_FOUND', 'the file does not exist', { cause: err });
    if (code === 'EISDIR') throw new ImageReadError(path, 'NOT_A_FILE', 'it is a folder, not a file', { cause: err });
    if (code === 'EACCES' || code === 'EPERM') {
      throw new ImageReadError(path, 'NO_PERMISSION', 'permission denied', { cause: err });
    }
    throw new ImageReadError(path, 'IO', (err as Error).message, { cause: err });
  }
  if (data.length === 0) throw new ImageReadError(path, 'EMPTY', 'the file is empty (0 bytes)');
  return data;
}

function sharpInput(data: Buffer, maxPixels: number): sharp.Sharp {
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

async function probe(path: string, data: Buffer, maxPixels: number): Promise<ProbedImage> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(data, { limitInputPixels: false, pages: 1 }).metadata();
  } catch (err) {
    throw readErrorFromSharp(path, err, maxPixels);
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

async function run<T>(path: string, maxPixels: number, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ImageReadError) throw err;
    throw readErrorFromSharp(path, err, maxPixels);
  }
}

// ───────────────────────────────────────────── reading

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
  options: ReadOptions = {},
): Promise<Uint8Array> {
  const { width, height } = typeof size === 'number' ? { width: size, height: size } : size;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new RangeError(`readImageForTraining: size must be positive integers, got ${width}×${height}`);
  }
  const maxPixels = options.maxPixels ?? MAX_INPUT_PIXELS;
  const data = await readInputFile(path);
  const { meta, needsP3Fix } = await probe(path, data, maxPixels);
  return run(path, maxPixels, async () => {
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

function toSrgb8(pipeline: sharp.Sharp, p3Fix: boolean): sharp.Sharp {
  if (p3Fix) pipeline = pipeline.withIccProfile('srgb', { attach: false });
  return pipeline.toColourspace('srgb');
}

/** Decodes a whole image at full resolution to 8-bit sRGB RGB (oriented, first frame, alpha removed). */
export async function decodeImageFile(path: string, options: ReadOptions = {}): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? MAX_INPUT_PIXELS;
  const data = await readInputFile(path);
  const { needsP3Fix } = await probe(path, data, maxPixels);
  return run(path, maxPixels, async () => {
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
  return run(path, maxPixels, () =>
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
  return run(path, maxPixels, async () => {
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

// ───────────────────────────────────────────── EXIF / XMP / ICC helpers

const EXIF_PREFIX = Buffer.from('Exif\0\0', 'latin1');

/** Strips a JPEG "Exif\0\0" prefix, checks the TIFF header, and resets Orientation to 1. */
export function normaliseExif(exif: Buffer | undefined | null): Buffer | null {
  if (!exif || exif.length < 8) return null;
  let tiff = exif.subarray(0, EXIF_PREFIX.length).equals(EXIF_PREFIX) ? exif.subarray(EXIF_PREFIX.length) : exif;
  const magic = tiff.subarray(0, 4).toString('latin1');
  if (magic !== 'II*\0' && magic !== 'MM\0*') return null;
  tiff = Buffer.from(tiff); // own copy
  setExifOrientation(tiff, 1);
  return tiff;
}

/** Reads the Orientation tag (0x0112) of IFD0 in TIFF-structured EXIF bytes; undefined if absent. */
export function getExifOrientation(tiff: Buffer): number | undefined {
  let found: number | undefined;
  visitIfd0(tiff, (tag, type, valueOffset, read16) => {
    if (tag === 0x0112 && type === 3) found = read16(valueOffset);
  });
  return found;
}

function setExifOrientation(tiff: Buffer, value: number): void {
  visitIfd0(tiff, (tag, type, valueOffset, _read16, write16) => {
    if (tag === 0x0112 && type === 3) write16(valueOffset, value);
  });
}

function visitIfd0(
  b: Buffer,
  visit: (tag: number, type: number, valueOffset: number, read16: (o: number) => number, write16: (o: number, v: number) => void) => void,
): void {
  if (b.length < 8) return;
  const le = b[0] === 0x49;
  const read16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const write16 = (o: number, v: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const ifd0 = le ? b.readUInt32LE(4) : b.readUInt32BE(4);
  if (ifd0 + 2 > b.length) return;
  const count = read16(ifd0);
  for (let i = 0; i < count; i++) {
    const entry = ifd0 + 2 + i * 12;
    if (entry + 12 > b.length) return;
    visit(read16(entry), read16(entry + 2), entry + 8, read16, write16);
  }
}

function resetXmpOrientation(xmp: string): string {
  return xmp
    .replace(/(tiff:Orientation\s*=\s*["'])\d(["'])/g, '$11$2')
    .replace(/(<tiff:Orientation>)\s*\d\s*(<\/tiff:Orientation>)/g, '$11$2');
}

/** The data colour space of an ICC profile ('RGB', 'GRAY', 'CMYK', …) from its header, or null. */
export function iccColourSpace(icc: Buffer | null): string | null {
  if (!icc || icc.length < 128 || icc.subarray(36, 40).toString('latin1') !== 'acsp') return null;
  return icc.subarray(16, 20).toString('latin1').trim();
}

let srgbProfileCache: Promise<Buffer> | null = null;
/** libvips' built-in sRGB profile as bytes (extracted once). */
function srgbProfile(): Promise<Buffer> {
  srgbProfileCache ??= (async () => {
    const png = await sharp(Buffer.alloc(3, 128), { raw: { width: 1, height: 1, channels: 3 } })
      .withIccProfile('srgb', { attach: true })
      .png()
      .toBuffer();
    const meta = await sharp(png).metadata();
    if (!meta.icc) throw new Error('could not obtain the built-in sRGB profile');
    return meta.icc;
  })();
  return srgbProfileCache;
}

// ───────────────────────────────────────────── PNG chunks

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk (length, type, data, CRC): for adding metadata chunks, and for test fixtures. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Inserts ancillary chunks right after IHDR, dropping any existing chunks of the same types. */
function insertPngChunks(png: Buffer, chunks: Buffer[]): Buffer {
  const types = new Set(chunks.map((c) => c.subarray(4, 8).toString('latin1')));
  const parts: Buffer[] = [png.subarray(0, 8)];
  let offset = 8;
  let first = true;
  while (offset + 12 <= png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.subarray(offset + 4, offset + 8).toString('latin1');
    const end = offset + 12 + length;
    if (!types.has(type)) parts.push(png.subarray(offset, end));
    if (first) {
      parts.push(...chunks); // after IHDR
      first = false;
    }
    offset = end;
  }
  return Buffer.concat(parts);
}

// ───────────────────────────────────────────── pixel conversion

function checkRange(range: PixelRange | undefined, what: string): PixelRange {
  if (range !== '-1,1' && range !== '0,1') {
    throw new TypeError(`${what}: float pixels need a range ('-1,1' or '0,1'), got ${String(range)}`);
  }
  return range;
}

/** Float pixels in `range` → uint8, rounded and clamped. */
export function floatToUint8(pixels: Float32Array, range: PixelRange): Uint8Array {
  checkRange(range, 'floatToUint8');
  const out = new Uint8Array(pixels.length);
  const [scale, shift] = range === '-1,1' ? [127.5, 1] : [255, 0];
  for (let i = 0; i < pixels.length; i++) {
    const v = Math.round((pixels[i] + shift) * scale);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v; // NaN → 0 via Uint8Array conversion
  }
  return out;
}

/** Float pixels in `range` → uint16, rounded and clamped. */
export function floatToUint16(pixels: Float32Array, range: PixelRange): Uint16Array {
  checkRange(range, 'floatToUint16');
  const out = new Uint16Array(pixels.length);
  const [scale, shift] = range === '-1,1' ? [32767.5, 1] : [65535, 0];
  for (let i = 0; i < pixels.length; i++) {
    const v = Math.round((pixels[i] + shift) * scale);
    out[i] = v < 0 ? 0 : v > 65535 ? 65535 : v;
  }
  return out;
}

/** Integer pixels (8- or 16-bit) → float in `range`. */
export function pixelsToFloat(pixels: Uint8Array | Uint16Array, range: PixelRange): Float32Array {
  checkRange(range, 'pixelsToFloat');
  const max = pixels instanceof Uint16Array ? 65535 : 255;
  const out = new Float32Array(pixels.length);
  if (range === '-1,1') for (let i = 0; i < pixels.length; i++) out[i] = (pixels[i] / max) * 2 - 1;
  else for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / max;
  return out;
}

// ───────────────────────────────────────────── PNG encoding (sample grids)

export interface EncodePngOptions {
  /** Required for Float32Array pixels. */
  range?: PixelRange;
  /** zlib level 0–9 (default 6). */
  compressionLevel?: number;
}

/** Encodes HWC pixels (uint8, or float with a known range) as an 8-bit PNG. channels: 1 grey, 3 RGB, 4 RGBA. */
export async function encodePng(
  pixels: Uint8Array | Uint8ClampedArray | Float32Array,
  width: number,
  height: number,
  channels: 1 | 3 | 4 = 3,
  options: EncodePngOptions = {},
): Promise<Buffer> {
  if (pixels.length !== width * height * channels) {
    throw new RangeError(`encodePng: expected ${width}×${height}×${channels} = ${width * height * channels} values, got ${pixels.length}`);
  }
  const bytes = pixels instanceof Float32Array ? floatToUint8(pixels, checkRange(options.range, 'encodePng')) : pixels;
  let img = sharp(bytes, { raw: { width, height, channels } });
  if (channels === 1) img = img.toColourspace('b-w');
  return img.png({ compressionLevel: options.compressionLevel ?? 6 }).toBuffer();
}

/** encodePng() then an atomic write to `path`. */
export async function writePngAtomic(
  path: string,
  pixels: Uint8Array | Uint8ClampedArray | Float32Array,
  width: number,
  height: number,
  channels: 1 | 3 | 4 = 3,
  options: EncodePngOptions = {},
): Promise<void> {
  await writeImageFileAtomic(path, await encodePng(pixels, width, height, channels, options));
}

/** Renders an SVG document to an RGB PNG (alpha dropped) at the SVG's own width/height. */
export async function rasterizeSvg(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg, 'utf8'), { density: 72 }).removeAlpha().png({ compressionLevel: 9 }).toBuffer();
}

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
export function resolveOutputFormat(requested: OutputFormat | 'same', sourceFormat: string): OutputFormat {
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
  format?: OutputFormat | 'same';
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
