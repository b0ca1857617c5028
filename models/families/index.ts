// The five model families by id, with their options and the "new images from the prior" helper
// behind `darkroom sample`.
import type * as tf from '@tensorflow/tfjs';
import { UsageError, option } from '../errors.js';
import type { Rng } from '../rng.js';
import { ae } from './ae.js';
import { cyclegan } from './cyclegan.js';
import { cut } from './cut.js';
import { FAMILY_IDS, FAMILY_TRAITS, type FamilyId, type FamilyModel, type ModelFamily } from './family.js';
import { gan } from './gan.js';
import { vae } from './vae.js';

export { FAMILY_OPTIONS, type OptionInfo } from './family-options.js';

// Each family checks its own config type; the registry hands configs through as resolveConfig made them.
export const FAMILIES: Record<FamilyId, ModelFamily> = {
  ae,
  vae,
  gan,
  cyclegan,
  cut,
};

function isFamilyId(id: string): id is FamilyId {
  return (FAMILY_IDS as readonly string[]).includes(id);
}

export function getFamily(id: string): ModelFamily {
  if (!isFamilyId(id)) throw new UsageError(`unknown model family "${id}"; choose one of ${FAMILY_IDS.join(', ')}`);
  return FAMILIES[id];
}

/** Whether `darkroom sample` works for this family (it needs a prior to draw from). */
export const canSample = (id: FamilyId): boolean => FAMILY_TRAITS[id].samples;

/** The families that can, in words: "vae and gan". */
export const samplingFamilies = (): string => {
  const ids = FAMILY_IDS.filter(canSample);
  return ids.length > 1 ? `${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]}` : ids.join('');
};

/** count new images drawn from the prior of a vae or gan (NHWC in [-1, 1]; caller disposes). */
export function sampleImages(model: FamilyModel, count: number, rng: Rng): tf.Tensor4D {
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`${option('count')} must be a whole number ≥ 1; got ${count}`);
  if (canSample(model.family) && model.sample) return model.sample(count, rng);
  throw new UsageError(`${model.family} models cannot draw new images from noise; sampling works for ${samplingFamilies()} runs`);
}
