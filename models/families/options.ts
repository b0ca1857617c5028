// Reading a family's user options against its descriptions (family-options.ts): values come from the CLI
// (strings), the studio (numbers) or a saved run.json, so numbers may arrive as numeric strings. Every mistake is a
// UsageError that names the family and the option and says what would be accepted, in optionProblem's words.
import { UsageError } from '../errors.js';
import type { FamilyId } from './family.js';
import { numericValue, optionProblem, type OptionInfo } from './option-spec.js';

export type { OptionInfo } from './option-spec.js';

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

/**
 * A family's options as resolveConfig reads them: each value checked against its description, or the description's
 * default when left out (`fallback` replaces a default that depends on another option, such as a preset's widths).
 */
export class FamilyOptions {
  readonly #family: FamilyId;
  readonly #known: readonly OptionInfo[];
  readonly #given: Map<string, unknown>;

  constructor(family: FamilyId, options: Record<string, unknown>, known: readonly OptionInfo[]) {
    this.#family = family;
    this.#known = known;
    this.#given = givenOptions(family, options, known);
  }

  int(name: string, fallback?: number): number {
    return this.#read(name, 'int', fallback, numericValue) as number;
  }

  number(name: string, fallback?: number): number {
    return this.#read(name, 'number', fallback, numericValue) as number;
  }

  choice<T extends string>(name: string, fallback?: T): T {
    return this.#read(name, 'choice', fallback, (v) => v) as T;
  }

  #read(name: string, kind: OptionInfo['kind'], fallback: unknown, convert: (value: unknown) => unknown): unknown {
    const option = this.#known.find((o) => o.name === name);
    if (!option || option.kind !== kind) throw new Error(`${this.#family} reads option ${name} as ${kind}, which its descriptions do not say`);
    if (!this.#given.has(name)) {
      const value = fallback ?? option.default;
      if (value === null) throw new Error(`${this.#family} option ${name} has no default and none was given`);
      return value;
    }
    const value = this.#given.get(name);
    const problem = optionProblem(option, value);
    if (problem) throw new UsageError(`${this.#family} option ${name} ${problem}; got ${typeof value === 'number' ? value : JSON.stringify(value)}`);
    return convert(value);
  }
}
