// PatchNCE against a direct computation written out here (the reference's form: the positive, the negatives at
// the other sampled locations of the same image, the self-pair masked), including its gradient; location sampling
// and its gradient.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.js';
import { patchNceLoss, sampleFeatures, samplePositions } from './patch-nce.js';
import { tfOps } from '../diff/objective.js';

before(async () => {
  await tf.setBackend('cpu');
});

const B = 2;
const S = 5;
const D = 4;
const T = 0.07;

/** Unit vectors [B][S][D], in float64. */
function unitVectors(rng: Rng): number[][][] {
  return Array.from({ length: B }, () =>
    Array.from({ length: S }, () => {
      const v = Array.from({ length: D }, () => rng.normal());
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    }),
  );
}

/** The reference's loss: logits [q·k⁺, q·k⁻ (self-pair set to −10)] / τ, cross-entropy with target 0, mean. */
function directLoss(q: number[][][], k: number[][][]): number {
  const dot = (x: number[], y: number[]) => x.reduce((s, xi, i) => s + xi * y[i], 0);
  let total = 0;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < S; i++) {
      const logits = [dot(q[b][i], k[b][i]) / T, ...k[b].map((kj, j) => (j === i ? -10 : dot(q[b][i], kj)) / T)];
      const max = Math.max(...logits);
      const lse = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
      total += lse - logits[0];
    }
  }
  return total / (B * S);
}

test('patchNceLoss equals the reference computation, and so does its gradient with respect to the queries', () => {
  const rng = new Rng(3);
  const q = unitVectors(rng);
  const k = unitVectors(rng);
  const expected = directLoss(q, k);
  const keys = tf.tensor3d(k);
  const [value] = tf.tidy(() => patchNceLoss(tfOps, tf.tensor3d(q), keys).dataSync());
  assert.ok(Math.abs(value - expected) <= 1e-4 * Math.abs(expected), `loss ${value} vs ${expected}`);
  // d loss / d q by central differences of the direct computation (float64) against tfjs's gradient.
  const grad = tf.tidy(() => tf.grad((x: tf.Tensor) => patchNceLoss(tfOps, x as tf.Tensor3D, keys))(tf.tensor3d(q)).arraySync()) as number[][][];
  const eps = 1e-6;
  for (let trial = 0; trial < 12; trial++) {
    const [b, i, d] = [rng.int(B), rng.int(S), rng.int(D)];
    const at = (delta: number) => directLoss(q.map((qb, bb) => qb.map((qi, ii) => qi.map((x, dd) => (bb === b && ii === i && dd === d ? x + delta : x)))), k);
    const fd = (at(eps) - at(-eps)) / (2 * eps);
    assert.ok(Math.abs(fd - grad[b][i][d]) <= 1e-3 * Math.max(1, Math.abs(fd)), `∂/∂q[${b}][${i}][${d}]: ${grad[b][i][d]} vs ${fd}`);
  }
  keys.dispose();
});

test('a near-perfect match (each query nearest its own key) gives a loss near zero; a shuffled one does not', () => {
  const rng = new Rng(4);
  const k = unitVectors(rng);
  const shuffled = k.map((kb) => kb.map((_, i) => kb[(i + 1) % S]));
  const loss = (q: number[][][]) => tf.tidy(() => patchNceLoss(tfOps, tf.tensor3d(q), tf.tensor3d(k)).dataSync()[0]);
  assert.ok(loss(k) < directLoss(shuffled, k) / 10, `matched ${loss(k)}, shuffled ${directLoss(shuffled, k)}`);
  assert.ok(Math.abs(loss(shuffled) - directLoss(shuffled, k)) < 1e-3 * directLoss(shuffled, k));
});

test('sampled locations are distinct; sampleFeatures picks each image’s features there and its gradient lands there', () => {
  const rng = new Rng(5);
  const positions = samplePositions(3, 4, 5, rng);
  assert.equal(new Set(positions).size, 5);
  assert.ok(positions.every((p) => p >= 0 && p < 12));
  assert.equal(samplePositions(2, 2, 256, rng).length, 4, 'a small map gives all its locations');
  const values = Array.from({ length: 2 * 3 * 4 * 3 }, (_, i) => i);
  const x = tf.tensor4d(values, [2, 3, 4, 3]);
  const p = tf.tensor1d(positions, 'int32');
  const picked = tf.tidy(() => sampleFeatures(x, p).arraySync());
  for (let b = 0; b < 2; b++) {
    positions.forEach((pos, s) => {
      for (let c = 0; c < 3; c++) assert.equal(picked[b][s][c], values[(b * 12 + pos) * 3 + c]);
    });
  }
  const w = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 9);
  const gx = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(sampleFeatures(t as tf.Tensor4D, p), w)))(x).arraySync()) as number[][][][];
  const wv = w.arraySync() as number[][][];
  for (let b = 0; b < 2; b++) {
    for (let pos = 0; pos < 12; pos++) {
      const s = positions.indexOf(pos);
      for (let c = 0; c < 3; c++) assert.equal(gx[b][Math.floor(pos / 4)][pos % 4][c], s < 0 ? 0 : wv[b][s][c]);
    }
  }
  tf.dispose([x, p, w]);
});
