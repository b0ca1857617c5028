// The five model families by id, with their options and the "new images from the prior" helper
// behind `darkroom sample`.
import type * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import type { Rng } from '../rng.js';
import { ae, AE_OPTIONS } from './ae.js';
import { cyclegan, CYCLEGAN_OPTIONS } from './cyclegan.js';
import { cut, CUT_OPTIONS } from './cut.js';
import { FAMILY_IDS, type FamilyId, type FamilyModel, type ModelFamily } from './family.js';
import { gan, GAN_OPTIONS, GanModel } from './gan.js';
import type { OptionInfo } from './options.js';
import { vae, VAE_OPTIONS, VaeModel } from './vae.js';

export type { OptionInfo } from './options.js';

// Each family checks its own config type; the registry hands configs through as resolveConfig made them.
export const FAMILIES: Record<FamilyId, ModelFamily> = {
  ae,
  vae,
  gan,
  cyclegan,
  cut,
};

/** Every option each family's resolveConfig accepts (anything else is a UsageError), with help and defaults. */
export const FAMILY_OPTIONS: Record<FamilyId, readonly OptionInfo[]> = {
  ae: AE_OPTIONS,
  vae: VAE_OPTIONS,
  gan: GAN_OPTIONS,
  cyclegan: CYCLEGAN_OPTIONS,
  cut: CUT_OPTIONS,
};

function isFamilyId(id: string): id is FamilyId {
  return (FAMILY_IDS as readonly string[]).includes(id);
}

export function getFamily(id: string): ModelFamily {
  if (!isFamilyId(id)) throw new UsageError(`unknown model family "${id}"; choose one of ${FAMILY_IDS.join(', ')}`);
  return FAMILIES[id];
}

/** Whether `darkroom sample` works for this family (it needs a prior to draw from). */
export const canSample = (id: FamilyId): boolean => id === 'vae' || id === 'gan';

/** count new images drawn from the prior of a vae or gan (NHWC in [-1, 1]; caller disposes). */
export function sampleImages(model: FamilyModel, count: number, rng: Rng): tf.Tensor4D {
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`--count must be a whole number ≥ 1; got ${count}`);
  if (model instanceof VaeModel || model instanceof GanModel) return model.sample(count, rng);
  throw new UsageError(`${model.family} models cannot draw new images from noise; sampling works for vae and gan runs`);
}
