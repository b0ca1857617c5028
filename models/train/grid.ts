// Tiles a family's SampleGrid (rows of NHWC images in [-1, 1]) into one RGB picture: one row per grid row,
// images side by side, separated by a thin gap. No labels are drawn: row meanings are in the docs/UI.
import * as tf from '@tensorflow/tfjs';
import type { SampleGrid } from '../families/family.js';

/** Gap between tiles, in pixels. */
const GAP = 2;
/** Gap colour in [-1, 1]: mid grey, so it reads against both dark and light images. */
const GAP_VALUE = 0;

export interface RgbImage {
  /** Interleaved RGB, row-major, 0–255. */
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

/** Renders the grid; does not dispose its rows. */
export async function tileGrid(grid: SampleGrid): Promise<RgbImage> {
  if (grid.rows.length === 0) throw new Error('sample grid has no rows');
  const [, h, w] = grid.rows[0].images.shape;
  const cols = Math.max(...grid.rows.map((r) => r.images.shape[0]));
  for (const row of grid.rows) {
    if (row.images.shape[1] !== h || row.images.shape[2] !== w)
      throw new Error(`sample grid row "${row.label}" has ${row.images.shape[1]}×${row.images.shape[2]} images, expected ${h}×${w}`);
  }
  const picture = tf.tidy(() => {
    const rowStrips = grid.rows.map((row) => {
      let images: tf.Tensor4D = row.images.shape[3] === 1 ? tf.tile(row.images, [1, 1, 1, 3]) : row.images.slice([0, 0, 0, 0], [-1, -1, -1, 3]);
      // A short row is padded with blank tiles so every row has the same width.
      const missing = cols - images.shape[0];
      if (missing > 0) images = tf.concat([images, tf.fill([missing, h, w, 3], GAP_VALUE)]) as tf.Tensor4D;
      const padded = tf.pad(images, [[0, 0], [0, 0], [0, GAP], [0, 0]], GAP_VALUE);
      // [n, h, w+gap, 3] → [h, n·(w+gap), 3]
      return tf.reshape(tf.transpose(padded, [1, 0, 2, 3]), [h, cols * (w + GAP), 3]);
    });
    const withGaps = rowStrips.map((strip) => tf.pad(strip, [[0, GAP], [0, 0], [0, 0]], GAP_VALUE));
    const full = tf.concat(withGaps, 0).slice([0, 0, 0], [grid.rows.length * (h + GAP) - GAP, cols * (w + GAP) - GAP, 3]);
    return tf.clipByValue(tf.round(tf.mul(tf.add(full, 1), 127.5)), 0, 255).toInt();
  });
  const [height, width] = picture.shape;
  try {
    const data = Uint8Array.from(await picture.data());
    return { data, width, height, channels: 3 };
  } finally {
    picture.dispose();
  }
}
