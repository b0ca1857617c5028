// The scalar objectives the families share. All take NHWC (or [N, k]) tensors and return means over
// every element unless they say otherwise; call inside tf.tidy or a gradient closure.
import * as tf from '@tensorflow/tfjs';

export type ReconLoss = 'l1' | 'l2';

/** Mean absolute error. */
export const l1 = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.mean(tf.abs(tf.sub(a, b)));

/** Mean squared error. */
export const mse = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.mean(tf.squaredDifference(a, b));

/** Mean squared distance of scores from a constant target (LSGAN: 1 for real, 0 for fake). */
export const mseTo = (scores: tf.Tensor, target: number): tf.Scalar => tf.mean(tf.square(tf.sub(scores, target)));

/** Mean reconstruction error per element. */
export const reconMean = (kind: ReconLoss, y: tf.Tensor, x: tf.Tensor): tf.Scalar => (kind === 'l1' ? l1(y, x) : mse(y, x));

/** Reconstruction error summed over each image's pixels and channels, averaged over the batch. */
export function reconPerImage(kind: ReconLoss, y: tf.Tensor, x: tf.Tensor): tf.Scalar {
  const err = kind === 'l1' ? tf.abs(tf.sub(y, x)) : tf.squaredDifference(y, x);
  return tf.mean(tf.sum(err, [1, 2, 3]));
}

/** KL(N(μ, σ²) ‖ N(0, I)) summed over latent dimensions, averaged over the batch; logVar = log σ². */
export function klToStandardNormal(mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Scalar {
  const perDim = tf.mul(-0.5, tf.sub(tf.sub(tf.add(1, logVar), tf.square(mu)), tf.exp(logVar)));
  return tf.mean(tf.sum(perDim, 1));
}

/** −log σ(logit), computed stably: the BCE of a logit against the label 1. */
export const bceReal = (logits: tf.Tensor): tf.Scalar => tf.mean(tf.softplus(tf.neg(logits)));

/** −log(1 − σ(logit)): the BCE of a logit against the label 0. */
export const bceFake = (logits: tf.Tensor): tf.Scalar => tf.mean(tf.softplus(logits));
