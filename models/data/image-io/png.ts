// PNGs that Darkroom makes itself: sample grids from pixels, and procedural scenes from SVG.

import sharp from './sharp.js';
import type { PixelRange } from './types.js';
import { checkRange, floatToUint8 } from './pixels.js';
import { writeImageFileAtomic } from './write.js';

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
