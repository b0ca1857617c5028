// The Train form's labels and rules, read from the family's own option description (sent by app.info), so
// the form accepts exactly the sizes the studio's API and `darkroom train` accept.
import type { FamilyInfo } from '../../../electron/api.js';
import { describeRule, findOption, optionProblem, type OptionInfo } from '../../../models/families/option-spec.js';

/** Why the form cannot train this family at this size, or null (also null before the families are known). */
export function sizeProblem(family: FamilyInfo | undefined, size: number): string | null {
  const option = family && findOption(family.options, 'size');
  if (!option || optionProblem(option, size) === null) return null;
  return `Image size for ${family.title} must be ${describeRule(option)}.`;
}

/** The size field's min, max and step (a power of two has no single step: the field leaves it to the check). */
export function sizeField(family: FamilyInfo | undefined): { min?: number; max?: number; step?: number } {
  const option = family && findOption(family.options, 'size');
  if (!option) return {};
  return { min: option.min, max: option.max, step: option.powerOfTwo ? undefined : option.multipleOf ?? 1 };
}

/**
 * What an option the form leaves empty takes, in the option's own words: "default (50)", or, where another option
 * decides it (a preset, CUT's mode), "set by Preset"; empty when there is nothing to say.
 */
export function leftEmpty(options: readonly OptionInfo[], option: OptionInfo): string {
  if (option.default !== null) return `default (${option.default})`;
  const decider = option.defaultFrom === undefined ? undefined : findOption(options, option.defaultFrom);
  return decider ? `set by ${decider.label}` : '';
}
