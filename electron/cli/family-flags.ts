// `darkroom train`'s model flags, their help and their checks, all read from the families' option descriptions
// (models/families/family-options.ts): the flag a family takes, the rule it must follow (--size a power of two for
// ae, vae and gan, a multiple of 4 for cyclegan and cut) and its default are the ones the API and the studio use.
import { FAMILY_OPTIONS } from '../../models/families/family-options.js';
import type { FamilyId } from '../../models/families/family.js';
import { describeRule, optionProblem, type OptionInfo } from '../../models/families/option-spec.js';
import { camelCase, kebabCase as kebab, usageError, type OptionSpecs, type OptionValue } from './args.js';

/** How the argument parser reads an option's value; the option's own rule is checked afterwards, per family. */
function parserSpec(option: OptionInfo): OptionSpecs[string] {
  if (option.kind === 'choice') return { kind: 'string', choices: option.choices };
  if (option.kind === 'text') return { kind: 'string' };
  return { kind: option.kind };
}

/** Every family's flags (the union: a family refuses those it does not take in checkFamilyFlags). */
export function familyFlagSpecs(): OptionSpecs {
  const specs: OptionSpecs = {};
  for (const options of Object.values(FAMILY_OPTIONS)) for (const option of options) specs[kebab(option.name)] ??= parserSpec(option);
  return specs;
}

/**
 * The family's options from the parsed flags (camelCase keys, as resolveConfig takes them), each checked against
 * the family's description; a flag the family does not take, or a value its rule refuses, is a usage error.
 */
export function checkFamilyFlags(family: FamilyId, flags: Record<string, OptionValue>, familyFlags: OptionSpecs): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(flags)) {
    if (!(flag in familyFlags)) continue;
    const option = FAMILY_OPTIONS[family].find((o) => o.name === camelCase(flag));
    if (!option) throw usageError('train', `${family} has no option --${flag}; it takes ${FAMILY_OPTIONS[family].map((o) => `--${kebab(o.name)}`).join(', ')}`);
    const problem = optionProblem(option, value);
    if (problem) throw usageError('train', `--${flag} for ${family} ${problem} (got ${value})`);
    options[option.name] = value;
  }
  return options;
}

/** "Model options (by family)" for --help: each flag with its help, its rule and its default. */
export function familyUsage(): string {
  const lines = ['', 'Model options (by family):'];
  for (const [family, options] of Object.entries(FAMILY_OPTIONS)) {
    lines.push(`  ${family}:`);
    for (const o of options) {
      const flag = `--${kebab(o.name)}${o.kind === 'choice' ? ` ${(o.choices ?? []).join('|')}` : ' N'}`;
      const rule = o.kind === 'choice' ? '' : `; ${describeRule(o)}`;
      const fallback = o.default !== null && !o.help.includes('default') ? ` (default ${o.default})` : '';
      lines.push(`    ${flag.padEnd(26)}${o.help}${rule}${fallback}`);
    }
  }
  return lines.join('\n');
}
