// Reading a family's user options: values come from the CLI (strings), the studio (numbers) or a
// saved run.json, so numbers may arrive as numeric strings. Every mistake is a UsageError that names
// the family and the option and says what would be accepted.
import { UsageError } from '../errors.js';
import type { FamilyId } from './family.js';

/** One option a family takes, for `--help`, the studio's Train view and splitting loop options from family options. */
export interface OptionInfo {
  name: string;
  help: string;
  /** The value used when the option is left out (for presets, the preset decides: see help). */
  default: number | string | null;
  choices?: readonly string[];
}

/** 'lambda-cycle' → 'lambdaCycle', so kebab-case CLI flags and camelCase keys both work. */
const camel = (key: string) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The options that were actually given (undefined and null mean "left out"), keys in camelCase. Unknown keys throw. */
export function givenOptions(family: FamilyId, options: Record<string, unknown>, known: readonly OptionInfo[]): Map<string, unknown> {
  const names = new Set(known.map((o) => o.name));
  const given = new Map<string, unknown>();
  for (const [rawKey, value] of Object.entries(options)) {
    if (value === undefined || value === null) continue;
    const key = camel(rawKey);
    if (!names.has(key)) {
      throw new UsageError(`${family} has no option "${rawKey}"; it takes: ${[...names].join(', ')}`);
    }
    given.set(key, value);
  }
  return given;
}

function asNumber(family: FamilyId, name: string, value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new UsageError(`${family} option ${name} must be a number; got ${JSON.stringify(value)}`);
  return n;
}

export interface IntRule {
  min?: number;
  max?: number;
  powerOfTwo?: boolean;
  multipleOf?: number;
}

export function intOption(family: FamilyId, given: Map<string, unknown>, name: string, fallback: number, rule: IntRule = {}): number {
  if (!given.has(name)) return fallback;
  const n = asNumber(family, name, given.get(name));
  const wants: string[] = [];
  if (rule.powerOfTwo) wants.push('a power of two');
  else if (rule.multipleOf) wants.push(`a multiple of ${rule.multipleOf}`);
  else wants.push('a whole number');
  if (rule.min !== undefined && rule.max !== undefined) wants.push(`from ${rule.min} to ${rule.max}`);
  else if (rule.min !== undefined) wants.push(`at least ${rule.min}`);
  else if (rule.max !== undefined) wants.push(`at most ${rule.max}`);
  const ok =
    Number.isInteger(n) &&
    (rule.min === undefined || n >= rule.min) &&
    (rule.max === undefined || n <= rule.max) &&
    (!rule.powerOfTwo || (n & (n - 1)) === 0) &&
    (!rule.multipleOf || n % rule.multipleOf === 0);
  if (!ok) throw new UsageError(`${family} option ${name} must be ${wants.join(' ')}; got ${given.get(name)}`);
  return n;
}

export function numberOption(
  family: FamilyId,
  given: Map<string, unknown>,
  name: string,
  fallback: number,
  rule: { min?: number; above?: number; max?: number } = {},
): number {
  if (!given.has(name)) return fallback;
  const n = asNumber(family, name, given.get(name));
  if (rule.above !== undefined && !(n > rule.above)) throw new UsageError(`${family} option ${name} must be greater than ${rule.above}; got ${n}`);
  if (rule.min !== undefined && n < rule.min) throw new UsageError(`${family} option ${name} must be at least ${rule.min}; got ${n}`);
  if (rule.max !== undefined && n > rule.max) throw new UsageError(`${family} option ${name} must be at most ${rule.max}; got ${n}`);
  return n;
}

export function choiceOption<T extends string>(family: FamilyId, given: Map<string, unknown>, name: string, choices: readonly T[], fallback: T): T {
  if (!given.has(name)) return fallback;
  const value = given.get(name);
  if (typeof value !== 'string' || !choices.includes(value as T)) {
    throw new UsageError(`${family} option ${name} must be one of ${choices.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** Options shared by the families trained with Adam. */
export const LR_OPTION = (fallback: number): OptionInfo => ({ name: 'lr', help: `Adam learning rate (default ${fallback})`, default: fallback });
