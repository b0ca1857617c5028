// Conversion between float pixels (in a model's range) and 8- or 16-bit integer pixels.

import type { PixelRange } from './types.js';

export function checkRange(range: PixelRange | undefined, what: string): PixelRange {
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
