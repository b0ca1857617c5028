// Learning-rate schedule: a constant factor of 1 for `constant` iterations, then a linear decay to zero over
// `decay` iterations (the CycleGAN paper's "constant then linearly decay"). The loop multiplies the family's
// base learning rate by this factor each iteration.
import { FAMILY_TRAITS, type FamilyId } from '../families/family.js';
import { UsageError, option } from '../errors.js';

export interface LrSchedule {
  /** Iterations at the full learning rate. */
  constant: number;
  /** Iterations over which it then falls linearly to zero (0: no decay). */
  decay: number;
}

/** CycleGAN and CUT: half the run constant, half decaying (as in the papers' 100 + 100 epochs). Others: constant. */
export function defaultSchedule(family: FamilyId, totalIterations: number): LrSchedule {
  if (FAMILY_TRAITS[family].decayingLr) {
    const constant = Math.ceil(totalIterations / 2);
    return { constant, decay: totalIterations - constant };
  }
  return { constant: totalIterations, decay: 0 };
}

/** Fills in what the user left out; either length given alone makes the other cover the rest of the run. */
export function resolveSchedule(
  family: FamilyId,
  totalIterations: number,
  given: { constant?: number; decay?: number },
): LrSchedule {
  for (const [name, value] of [['lrConstant', given.constant], ['lrDecay', given.decay]] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0))
      throw new UsageError(`${option(name)} must be a whole number of iterations ≥ 0 (got ${value})`);
  }
  if (given.constant === undefined && given.decay === undefined) return defaultSchedule(family, totalIterations);
  const constant = given.constant ?? Math.max(0, totalIterations - (given.decay ?? 0));
  const decay = given.decay ?? Math.max(0, totalIterations - constant);
  return { constant, decay };
}

/**
 * The factor for the iteration numbered `iteration` (1-based: the first step is iteration 1).
 * Like the reference implementation, the decay starts after `constant` iterations and reaches zero only
 * after the last decaying step, so no training step runs with a zero learning rate.
 */
export function lrFactor(schedule: LrSchedule, iteration: number): number {
  const pastConstant = iteration - 1 - schedule.constant;
  if (pastConstant < 0 || schedule.decay <= 0) return 1;
  return Math.max(0, 1 - (pastConstant + 1) / (schedule.decay + 1));
}

/**
 * The schedule of a run trained further to `newTotal` iterations ("Train more", `--resume RUN --iterations N`).
 * A decaying schedule keeps its constant part and decays over the rest of the new total, so the rate rises again
 * where the old one had reached zero and falls to zero at the new end; a constant schedule stays constant.
 */
export function extendSchedule(schedule: LrSchedule, newTotal: number): LrSchedule {
  if (schedule.decay <= 0) return { constant: newTotal, decay: 0 };
  const constant = Math.min(schedule.constant, newTotal);
  return { constant, decay: newTotal - constant };
}
