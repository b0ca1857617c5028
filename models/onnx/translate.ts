// Full-resolution translation of one photo through an image-to-image model: the photo is cut into overlapping
// tiles on the model's stride grid (tiling.ts), each tile runs through the model, and the outputs are blended
// back with weights that sum to one, a band of tile rows at a time so that working memory follows the tile
// size, not the photo size. Alpha is copied through untouched; 16-bit photos stay 16-bit.
import type { RunResult } from './runtime.js';
import { planTiles, reflect, type TilePlan } from './tiling.js';

/** Interleaved pixels as image-io gives and takes them: 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA) channels. */
export interface Pixels {
  width: number;
  height: number;
  channels: number;
  /** 8-bit (Uint8Array) or 16-bit (Uint16Array) samples, row-major, channels interleaved. */
  data: Uint8Array | Uint16Array;
}

/** What the network's values mean: [-1, 1] (Darkroom, most GANs) or [0, 1] (many PyTorch exports). */
export type ValueRange = readonly [number, number];

/** Runs one NCHW float32 tile; OnnxModel.run has this shape. */
export type TileRunner = (input: Float32Array, dims: readonly number[]) => Promise<RunResult>;

export interface TileGeometry {
  tileWidth: number;
  tileHeight: number;
  stride: number;
  fixedSize: boolean;
  overlap?: number;
}

/** Translates `photo` tile by tile with `run`. Throws signal.reason when aborted between tiles. */
export async function translatePixels(run: TileRunner, photo: Pixels, range: ValueRange, geometry: TileGeometry, signal?: AbortSignal): Promise<Pixels> {
  const plan = planTiles({ width: photo.width, height: photo.height, ...geometry });
  const hasAlpha = photo.channels === 2 || photo.channels === 4;
  const outChannels = hasAlpha ? 4 : 3;
  const out: Pixels = {
    width: photo.width,
    height: photo.height,
    channels: outChannels,
    data: photo.data instanceof Uint16Array ? new Uint16Array(photo.width * photo.height * outChannels) : new Uint8Array(photo.width * photo.height * outChannels),
  };
  if (hasAlpha) copyAlpha(photo, out);

  // The band accumulates weighted outputs for rows [bandStart, bandStart + bandRows) of the padded photo.
  const bandRows = Math.max(...plan.rows.map((r) => r.size));
  const rowLength = plan.paddedWidth * 3;
  const band = new Float32Array(bandRows * rowLength);
  let bandStart = 0;

  for (let r = 0; r < plan.rows.length; r++) {
    const row = plan.rows[r];
    // Rows above this tile row are final: no later tile covers them.
    flushRows(band, bandStart, row.start, plan, out, range);
    band.copyWithin(0, (row.start - bandStart) * rowLength);
    band.fill(0, (bandRows - (row.start - bandStart)) * rowLength);
    bandStart = row.start;
    for (let c = 0; c < plan.columns.length; c++) {
      signal?.throwIfAborted();
      const column = plan.columns[c];
      const input = readTile(photo, column.start, row.start, column.size, row.size, range);
      const result = await run(input, [1, 3, row.size, column.size]);
      checkTileOutput(result, row.size, column.size);
      accumulate(band, bandStart, result.data, plan, r, c);
    }
  }
  flushRows(band, bandStart, plan.paddedHeight, plan, out, range);
  return out;
}

/** One tile as NCHW float32 in the model's range; coordinates past the photo's edge reflect back into it. */
function readTile(photo: Pixels, left: number, top: number, width: number, height: number, [low, high]: ValueRange): Float32Array {
  const { channels, data } = photo;
  const colour = channels >= 3 ? 3 : 1;
  const scale = (high - low) / (data instanceof Uint16Array ? 65535 : 255);
  const plane = width * height;
  const tile = new Float32Array(3 * plane);
  const columns = Int32Array.from({ length: width }, (_, x) => reflect(left + x, photo.width) * channels);
  for (let y = 0; y < height; y++) {
    const rowOffset = reflect(top + y, photo.height) * photo.width * channels;
    for (let x = 0; x < width; x++) {
      const src = rowOffset + columns[x];
      const dst = y * width + x;
      for (let ch = 0; ch < 3; ch++) tile[ch * plane + dst] = low + data[src + (colour === 3 ? ch : 0)] * scale;
    }
  }
  return tile;
}

function checkTileOutput(result: RunResult, height: number, width: number): void {
  const [n, c, h, w] = result.dims;
  if (result.dims.length !== 4 || n !== 1 || c !== 3 || h !== height || w !== width)
    throw new Error(`the model turned a [1, 3, ${height}, ${width}] tile into [${result.dims.join(', ')}]; an image-to-image model must keep the size`);
}

/** Adds a tile's output, weighted by its column and row blend weights, into the band. */
function accumulate(band: Float32Array, bandStart: number, output: Float32Array, plan: TilePlan, r: number, c: number): void {
  const row = plan.rows[r];
  const column = plan.columns[c];
  const rowWeights = plan.rowWeights[r];
  const columnWeights = plan.columnWeights[c];
  const plane = row.size * column.size;
  for (let y = 0; y < row.size; y++) {
    const wy = rowWeights[y];
    if (wy === 0) continue;
    const bandRow = (row.start - bandStart + y) * plan.paddedWidth;
    for (let x = 0; x < column.size; x++) {
      const weight = wy * columnWeights[x];
      if (weight === 0) continue;
      const dst = (bandRow + column.start + x) * 3;
      const src = y * column.size + x;
      band[dst] += weight * output[src];
      band[dst + 1] += weight * output[plane + src];
      band[dst + 2] += weight * output[2 * plane + src];
    }
  }
}

/** Writes finished band rows [bandStart, until) that lie inside the photo into `out`, mapped from the model's range. */
function flushRows(band: Float32Array, bandStart: number, until: number, plan: TilePlan, out: Pixels, [low, high]: ValueRange): void {
  const max = out.data instanceof Uint16Array ? 65535 : 255;
  const scale = max / (high - low);
  const last = Math.min(until, plan.height);
  for (let y = bandStart; y < last; y++) {
    const bandRow = (y - bandStart) * plan.paddedWidth * 3;
    const outRow = y * plan.width * out.channels;
    for (let x = 0; x < plan.width; x++) {
      for (let ch = 0; ch < 3; ch++) {
        const v = Math.round((band[bandRow + x * 3 + ch] - low) * scale);
        out.data[outRow + x * out.channels + ch] = v < 0 ? 0 : v > max ? max : v;
      }
    }
  }
}

function copyAlpha(photo: Pixels, out: Pixels): void {
  const pixels = photo.width * photo.height;
  for (let i = 0; i < pixels; i++) out.data[i * out.channels + 3] = photo.data[i * photo.channels + photo.channels - 1];
}
