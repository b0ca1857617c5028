// The scalar objectives the families share, stated once in diff/objective.ts's language so that both training
// engines run them: pass tfOps for TensorFlow.js tensors (inside tf.tidy or a gradient closure). All are means over
// every element unless they say otherwise.
import type { Ops } from '../diff/objective.js';

export type ReconLoss = 'l1' | 'l2';

/** Mean absolute error. */
export const l1 = <T>(o: Ops<T>, a: T, b: T): T => o.mean(o.unary('abs', o.sub(a, b)));

const squared = <T>(o: Ops<T>, x: T): T => o.mul(x, x);

/** Mean squared error. */
export const mse = <T>(o: Ops<T>, a: T, b: T): T => o.mean(squared(o, o.sub(a, b)));

/** Mean squared distance of scores from a constant target (LSGAN: 1 for real, 0 for fake). */
export const mseTo = <T>(o: Ops<T>, scores: T, target: number): T => o.mean(squared(o, target === 0 ? scores : o.sub(scores, o.scalar(target))));

/** Mean reconstruction error per element. */
export const reconMean = <T>(o: Ops<T>, kind: ReconLoss, y: T, x: T): T => (kind === 'l1' ? l1(o, y, x) : mse(o, y, x));

/** Reconstruction error summed over each image's pixels and channels, averaged over the batch. */
export function reconPerImage<T>(o: Ops<T>, kind: ReconLoss, y: T, x: T): T {
  const d = o.sub(y, x);
  return o.mean(o.sumPerItem(kind === 'l1' ? o.unary('abs', d) : squared(o, d)));
}

/** KL(N(μ, σ²) ‖ N(0, I)) summed over latent dimensions, averaged over the batch; logVar = log σ²; both [N, k]. */
export function klToStandardNormal<T>(o: Ops<T>, mu: T, logVar: T): T {
  const perDim = o.scale(o.sub(o.sub(o.add(o.scalar(1), logVar), squared(o, mu)), o.unary('exp', logVar)), -0.5);
  return o.mean(o.sumLast(perDim));
}

/** −log σ(logit), computed stably: the BCE of a logit against the label 1. */
export const bceReal = <T>(o: Ops<T>, logits: T): T => o.mean(o.unary('softplus', o.unary('neg', logits)));

/** −log(1 − σ(logit)): the BCE of a logit against the label 0. */
export const bceFake = <T>(o: Ops<T>, logits: T): T => o.mean(o.unary('softplus', logits));
