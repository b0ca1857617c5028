// Shared argument parsing for every `darkroom` command: --flag value, --flag=value, boolean switches,
// numbers checked at parse time. Mistakes throw UsageError (exit 2) with a hint to the command's --help.
import { UsageError } from '../../models/errors.js';

export type OptionSpec =
  | { kind: 'string'; choices?: readonly string[] }
  | { kind: 'int'; min?: number }
  | { kind: 'number'; min?: number; max?: number }
  | { kind: 'boolean' };

/** Flag names without the leading dashes, e.g. { data: {kind:'string'}, 'no-flip': {kind:'boolean'} }. */
export type OptionSpecs = Record<string, OptionSpec>;

export type OptionValue = string | number | boolean;

export interface ParsedArgs {
  positionals: string[];
  /** Keyed by flag name as written (kebab-case). Only flags the user gave. */
  options: Record<string, OptionValue>;
  help: boolean;
}

/** A usage error that tells the user where to read more. */
export function usageError(command: string, message: string): UsageError {
  const where = command ? `darkroom ${command} --help` : 'darkroom --help';
  return new UsageError(`${message}\nRun \`${where}\` for the options.`);
}

function parseValue(command: string, flag: string, spec: OptionSpec, raw: string): OptionValue {
  if (spec.kind === 'string') {
    // An empty path would quietly mean the current folder (as input, output or run).
    if (raw.trim() === '') throw usageError(command, `--${flag} is empty: give a value`);
    if (spec.choices && !spec.choices.includes(raw))
      throw usageError(command, `--${flag} must be one of ${spec.choices.join(', ')} (got "${raw}")`);
    return raw;
  }
  if (spec.kind === 'boolean') throw new Error('unreachable');
  const value = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(value)) throw usageError(command, `--${flag} needs a number (got "${raw}")`);
  if (spec.kind === 'int' && !Number.isInteger(value))
    throw usageError(command, `--${flag} needs a whole number (got "${raw}")`);
  if (spec.min !== undefined && value < spec.min) throw usageError(command, `--${flag} must be at least ${spec.min} (got ${raw})`);
  if (spec.kind === 'number' && spec.max !== undefined && value > spec.max)
    throw usageError(command, `--${flag} must be at most ${spec.max} (got ${raw})`);
  return value;
}

export function parseArgs(command: string, argv: readonly string[], specs: OptionSpecs): ParsedArgs {
  const positionals: string[] = [];
  const options: Record<string, OptionValue> = {};
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw usageError(command, `unknown option ${arg} (options are spelt --name)`);
    const eq = arg.indexOf('=');
    const flag = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = specs[flag];
    if (!spec) throw usageError(command, `unknown option --${flag}${suggest(flag, Object.keys(specs))}`);
    if (flag in options) throw usageError(command, `--${flag} is given twice`);
    if (spec.kind === 'boolean') {
      if (eq !== -1) throw usageError(command, `--${flag} is a switch and takes no value`);
      options[flag] = true;
      continue;
    }
    let raw: string | undefined;
    if (eq !== -1) raw = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      // A following "--x" is the next flag, not this one's value; "-1" or "-1,1" (a minus then a digit) is a value.
      if (next !== undefined && !(next.startsWith('--') || (next.startsWith('-') && !/^-\d/.test(next)))) {
        raw = next;
        i++;
      }
    }
    if (raw === undefined) throw usageError(command, `--${flag} needs a value`);
    options[flag] = parseValue(command, flag, spec, raw);
  }
  return { positionals, options, help };
}

function suggest(flag: string, known: string[]): string {
  const close = known.filter((k) => (Math.min(k.length, flag.length) >= 3 && (k.includes(flag) || flag.includes(k))) || editDistance(k, flag) <= Math.min(2, k.length - 1));
  return close.length > 0 ? ` (did you mean --${close[0]}?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** "lambda-cycle" → "lambdaCycle". */
export const camelCase = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
/** 'lambdaCycle' → 'lambda-cycle': an option's name as its flag is written. */
export const kebabCase = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
