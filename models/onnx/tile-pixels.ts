// Photo pixels as the model's input: a region of an interleaved RGB photo as NCHW float32 in the model's value
// range, shared by whole, tiled and staged translation.
import { reflect } from './tiling.js';
import type { RgbPixels, ValueRange } from './translate.js';

/** A region as NCHW float32 in the model's range; coordinates past the photo's edge reflect back into it. */
export function readTile(photo: RgbPixels, left: number, top: number, width: number, height: number, [low, high]: ValueRange): Float32Array {
  const { pixels } = photo;
  const scale = (high - low) / (pixels instanceof Uint16Array ? 65535 : 255);
  const plane = width * height;
  const tile = new Float32Array(3 * plane);
  const columns = Int32Array.from({ length: width }, (_, x) => reflect(left + x, photo.width) * 3);
  for (let y = 0; y < height; y++) {
    const rowOffset = reflect(top + y, photo.height) * photo.width * 3;
    for (let x = 0; x < width; x++) {
      const src = rowOffset + columns[x];
      const dst = y * width + x;
      tile[dst] = low + pixels[src] * scale;
      tile[plane + dst] = low + pixels[src + 1] * scale;
      tile[2 * plane + dst] = low + pixels[src + 2] * scale;
    }
  }
  return tile;
}
