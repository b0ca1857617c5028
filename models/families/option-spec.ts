// One option a family takes, described whole: its kind, default, range, rule and choices. resolveConfig, the CLI's
// flags and help, the API's validators and the studio's Train form all read these descriptions and check values
// with optionProblem, so an image size one of them accepts is accepted by all. This module imports nothing: the
// studio's page loads it (renderer/src/runtime-imports.test.ts holds that).

/** int: a whole number; number: any finite number; choice: one of `choices`; text: any non-empty text. */
export type OptionKind = 'int' | 'number' | 'choice' | 'text';

export interface OptionInfo {
  /** The option's key (resolveConfig's, the API's; the CLI's flag is its kebab-case: lambdaNce → --lambda-nce). */
  name: string;
  /** What a person calls it: the Train form's label, and how the studio names the option in a message. */
  label: string;
  help: string;
  kind: OptionKind;
  /** The value used when the option is left out; null: decided by another option (`defaultFrom`), see help. */
  default: number | string | null;
  /** Where the default is null: the option of the same family that decides the value (preset, mode). */
  defaultFrom?: string;
  /** Numbers: the smallest value allowed. */
  min?: number;
  /** Numbers: a value the option must be greater than (a rate can be tiny, never 0). */
  above?: number;
  /** Numbers: the largest value allowed. */
  max?: number;
  /** int: only 16, 32, 64… (the pyramid nets halve the image down to 4 pixels). */
  powerOfTwo?: boolean;
  /** int: only multiples of this (the translators' two stride-2 downsamplings need multiples of 4). */
  multipleOf?: number;
  /** choice: the values allowed. */
  choices?: readonly string[];
}

/** A value as a number: numbers as they are, numeric text ("64", " 2e-4") parsed; anything else NaN. */
export function numericValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return NaN;
}

const isPowerOfTwo = (n: number) => n >= 1 && Number.isInteger(Math.log2(n));

/** What the option accepts, in words: "a power of two from 16 to 1024", "one of l1, l2", "a number greater than 0, at most 1". */
export function describeRule(option: OptionInfo): string {
  if (option.kind === 'choice') return `one of ${(option.choices ?? []).join(', ')}`;
  if (option.kind === 'text') return 'some text';
  const what = option.powerOfTwo ? 'a power of two' : option.multipleOf ? `a multiple of ${option.multipleOf}` : option.kind === 'int' ? 'a whole number' : 'a number';
  const { min, max, above } = option;
  const bounds: string[] = [];
  if (min !== undefined && max !== undefined) bounds.push(`from ${min} to ${max}`);
  else {
    if (above !== undefined) bounds.push(`greater than ${above}`);
    if (min !== undefined) bounds.push(`at least ${min}`);
    if (max !== undefined) bounds.push(`at most ${max}`);
  }
  return [what, bounds.join(', ')].filter(Boolean).join(' ');
}

/** Null when the option takes this value; otherwise what it must be ("must be a power of two from 16 to 1024"). */
export function optionProblem(option: OptionInfo, value: unknown): string | null {
  const wants = `must be ${describeRule(option)}`;
  if (option.kind === 'choice') return typeof value === 'string' && (option.choices ?? []).includes(value) ? null : wants;
  if (option.kind === 'text') return typeof value === 'string' && value.trim() !== '' ? null : wants;
  const n = numericValue(value);
  const ok =
    Number.isFinite(n) &&
    (option.kind !== 'int' || Number.isInteger(n)) &&
    (option.min === undefined || n >= option.min) &&
    (option.above === undefined || n > option.above) &&
    (option.max === undefined || n <= option.max) &&
    (!option.powerOfTwo || isPowerOfTwo(n)) &&
    (!option.multipleOf || n % option.multipleOf === 0);
  return ok ? null : wants;
}

/** The option of this name among a family's, if it takes one. */
export const findOption = (options: readonly OptionInfo[], name: string): OptionInfo | undefined => options.find((o) => o.name === name);
