// PatchNCE (Park, Efros, Zhang, Zhu, "Contrastive Learning for Unpaired Image-to-Image Translation", ECCV 2020):
// a translated image's patch should be nearer the input patch at the same place than any other input patch of
// that image. Features come from the generator's own encoder; each tapped layer has a small MLP head (two dense
// layers of 256 units), and its outputs are L2-normalised. At S random locations per layer, the output image's
// feature (query) takes the input's feature at the same location (key) as its positive and the input's features
// at the other S − 1 sampled locations as negatives: cross-entropy over the S scores divided by τ = 0.07.
// The reference masks the self-pair among the negatives with a score of −10 (weight e^(−10/τ) ≈ 10⁻⁶² against the
// others): here the positive simply sits on the diagonal of the S × S score matrix, the same loss.
import * as tf from '@tensorflow/tfjs';
import type { Net } from '../nets/net.js';
import type { Ops } from '../diff/objective.js';
import type { NetSpec } from '../nets/spec.js';
import type { Rng } from '../rng.js';

const NCE_TEMPERATURE = 0.07;
const NCE_HEAD_UNITS = 256;

/** The two-layer MLP (dense, ReLU, dense) that projects one tapped layer's C channels to the contrastive space. */
export function buildNceHead(name: string, channels: number): NetSpec {
  return {
    name,
    input: { kind: 'vector', size: channels },
    layers: [
      { op: 'dense', name: 'fc0', units: NCE_HEAD_UNITS, bias: true },
      { op: 'act', fn: 'relu' },
      { op: 'dense', name: 'fc1', units: NCE_HEAD_UNITS, bias: true },
    ],
  };
}

/** `count` distinct locations of an h×w map (all of them, shuffled, when it has fewer), drawn from rng. */
export function samplePositions(h: number, w: number, count: number, rng: Rng): Int32Array {
  return Int32Array.from(rng.permutation(h * w).slice(0, count));
}

/**
 * Rows of a [rows, cols] matrix. Its gradient scatters back (tf.gather's own gradient needs UnsortedSegmentSum,
 * which the wasm backend lacks); the rows are distinct, so scattering equals summing.
 */
const gatherDistinctRows = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [matrix, rows] = args as [tf.Tensor2D, tf.Tensor1D];
  return {
    value: tf.gather(matrix, rows),
    gradFunc: (dy: tf.Tensor) => [tf.scatterND(tf.expandDims(rows, 1), dy, matrix.shape), tf.zerosLike(rows)],
  };
});

/** Each image's features at the given locations of its H×W map: [B, H, W, C] → [B, S, C]. */
export function sampleFeatures(features: tf.Tensor4D, positions: tf.Tensor1D): tf.Tensor3D {
  const [b, h, w, c] = features.shape;
  // Locations first, so one row gather serves the whole batch: [H·W, B·C].
  const byLocation = tf.reshape(tf.transpose(tf.reshape(features, [b, h * w, c]), [1, 0, 2]), [h * w, b * c]);
  const picked = gatherDistinctRows(byLocation, positions) as tf.Tensor2D;
  return tf.transpose(tf.reshape(picked, [positions.shape[0], b, c]), [1, 0, 2]);
}

/** Sampled features [B, S, C] through a layer's head, L2-normalised: [B, S, 256]. */
export function projectPatches<T>(o: Ops<T>, head: Net, sampled: T, shape: readonly [number, number, number]): T {
  const [b, s, c] = shape;
  const projected = o.reshape(o.net(head, o.reshape(sampled, [b * s, c])), [b, s, NCE_HEAD_UNITS]);
  // The tiny term under the root keeps the gradient finite for a zero vector (a tap without its bias is exactly zero
  // where a flat region went through ReLU; the heads' biases start at zero): √'s 1/0 would make it NaN. Below
  // float32's resolution for any other vector, so it changes nothing else.
  const norm = o.unary('sqrt', o.add(o.sumLast(o.mul(projected, projected), true), o.scalar(1e-24)));
  return o.div(projected, o.add(norm, o.scalar(1e-7)));
}

/**
 * Mean over images and locations of −log softmax_j(q_i·k_j / τ)[i]: queries q, keys k, both [B, S, D] and
 * L2-normalised. The log-sum-exp needs no shift by its maximum: unit vectors keep every score within ±1/τ (±14.3),
 * whose exponentials a float32 sum of thousands holds exactly enough.
 */
export function patchNceLoss<T>(o: Ops<T>, queries: T, keys: T, temperature = NCE_TEMPERATURE): T {
  const scores = o.scale(o.matmul(queries, keys, true), 1 / temperature);
  const positives = o.scale(o.sumLast(o.mul(queries, keys)), 1 / temperature);
  return o.mean(o.sub(o.unary('log', o.sumLast(o.unary('exp', scores))), positives));
}
