// Photos for the batch and convert tests, fabricated with sharp: EXIF orientation 6, a Display P3 profile,
// alpha, 16-bit, a nested folder, and every kind of bad file a real folder can hold.
import sharp from 'sharp';
import { deflateSync } from 'node:zlib';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { texturedPhoto } from '../../models/onnx/convert-fixtures.js';
import { pngChunk } from '../../models/data/image-io.js';

function raw(width: number, height: number, seed: number) {
  const p = texturedPhoto(width, height, seed);
  return sharp(p.pixels, { raw: { width, height, channels: 3 } });
}

async function write(path: string, data: Uint8Array | string): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  await fs.writeFile(path, data);
}

/** Good photos, by path relative to the folder, with the size they display at. */
export const GOOD_PHOTOS: Record<string, { width: number; height: number }> = {
  'oriented.jpg': { width: 80, height: 120 }, // stored 120×80 with EXIF orientation 6
  'p3.png': { width: 96, height: 64 },
  'alpha.png': { width: 90, height: 60 },
  'deep.png': { width: 80, height: 60 },
  'sub/nested.webp': { width: 70, height: 50 },
};

export const EXIF_COPYRIGHT = 'darkroom batch test';

export async function writeGoodPhotos(dir: string): Promise<void> {
  await write(join(dir, 'oriented.jpg'), await raw(120, 80, 1).withMetadata({ orientation: 6 }).withExif({ IFD0: { Copyright: EXIF_COPYRIGHT } }).jpeg({ quality: 95 }).toBuffer());
  await write(join(dir, 'p3.png'), await raw(96, 64, 2).withIccProfile('p3', { attach: true }).png().toBuffer());
  const rgb = texturedPhoto(90, 60, 3).pixels;
  const rgba = new Uint8Array(90 * 60 * 4);
  for (let i = 0; i < 90 * 60; i++) {
    rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = (i * 7) % 256; // every alpha value, in a pattern no model would produce
  }
  await write(join(dir, 'alpha.png'), await sharp(rgba, { raw: { width: 90, height: 60, channels: 4 } }).png().toBuffer());
  const deep = Uint16Array.from(texturedPhoto(80, 60, 4, 16).pixels);
  await write(join(dir, 'deep.png'), await sharp(deep, { raw: { width: 80, height: 60, channels: 3 } }).toColourspace('rgb16').png().toBuffer());
  await write(join(dir, 'sub', 'nested.webp'), await raw(70, 50, 5).webp({ quality: 90 }).toBuffer());
}

/** Bad files with the words their failure reason should contain. */
export const BAD_FILES: Record<string, RegExp> = {
  'empty.jpg': /empty/,
  'truncated.jpg': /truncated|damaged/,
  'not-an-image.png': /not an image/,
  'bomb.png': /limit|decompression bomb/,
  'corrupt.png': /damaged|truncated/,
};

export async function writeBadFiles(dir: string): Promise<void> {
  await write(join(dir, 'empty.jpg'), new Uint8Array(0));
  const jpeg = await raw(200, 150, 6).jpeg().toBuffer();
  await write(join(dir, 'truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  await write(join(dir, 'not-an-image.png'), 'These are notes, not a picture.\n');
  await write(join(dir, 'bomb.png'), bombPng(20000, 20000));
  const png = Buffer.from(await raw(64, 64, 7).png({ compressionLevel: 9 }).toBuffer());
  const idat = png.indexOf('IDAT');
  for (let i = idat + 20; i < idat + 60; i++) png[i] ^= 0x5a; // scramble the compressed pixels
  await write(join(dir, 'corrupt.png'), png);
}

/** A small PNG that declares width × height pixels: what a decompression bomb looks like before decoding. */
function bombPng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = deflateSync(Buffer.alloc((width * 3 + 1) * 4)); // the first rows only
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk('IHDR', header), pngChunk('IDAT', rows), pngChunk('IEND', Buffer.alloc(0))]);
}

/** Every file under `dir`, relative, sorted (hidden ones included: that is where partial files would hide). */
export async function listTree(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}
