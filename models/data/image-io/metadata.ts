// EXIF, XMP and ICC helpers, and the PNG chunks through which writePhoto() attaches a photo's metadata
// (sharp cannot attach raw EXIF bytes to raw pixels, but it keeps EXIF that it read from a PNG).

import sharp from './sharp.js';

// ───────────────────────────────────────────── EXIF / XMP / ICC

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

export function resetXmpOrientation(xmp: string): string {
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
export function srgbProfile(): Promise<Buffer> {
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
export function insertPngChunks(png: Buffer, chunks: Buffer[]): Buffer {
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
