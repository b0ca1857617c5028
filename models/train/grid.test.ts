import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { tileGrid } from './grid.js';

await tf.setBackend('cpu');

test('a grid tiles rows of images with gaps and maps [-1, 1] to 0–255', async () => {
  const black = tf.fill([3, 4, 4, 3], -1) as tf.Tensor4D;
  const white = tf.fill([2, 4, 4, 3], 1) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const image = await tileGrid({ rows: [{ label: 'input', images: black }, { label: 'output', images: white }] });
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  assert.equal(image.width, 3 * 4 + 2 * 2);
  assert.equal(image.height, 2 * 4 + 2);
  const px = (x: number, y: number) => Array.from(image.data.slice((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));
  assert.deepEqual(px(0, 0), [0, 0, 0], 'first row is black');
  assert.deepEqual(px(4, 0), [128, 128, 128], 'gap between tiles is grey');
  assert.deepEqual(px(0, 6), [255, 255, 255], 'second row is white');
  assert.deepEqual(px(13, 6), [128, 128, 128], 'a short row is padded');
  tf.dispose([black, white]);
});
