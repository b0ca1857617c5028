// A run.json as read from disk, checked field by field before anything uses it. A hand-edited or damaged file
// would otherwise surface far from its cause (a negative size reported as the dataset's "crop size -5"), so the
// message names the file and the field instead.
import { UsageError } from '../errors.js';
import { FAMILY_IDS } from '../families/family.js';
import { RUN_STATUSES } from './events.js';
import type { RunInfo } from './run-dir.js';

type Check = (value: unknown) => string | null;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const wholeNumber = (min: number): Check => (v) => (Number.isInteger(v) && (v as number) >= min ? null : `should be a whole number of at least ${min}`);
const text: Check = (v) => (typeof v === 'string' ? null : 'should be text');
const flag: Check = (v) => (typeof v === 'boolean' ? null : 'should be true or false');
const oneOf = (choices: readonly string[]): Check => (v) => (typeof v === 'string' && choices.includes(v) ? null : `should be one of ${choices.join(', ')}`);
const object: Check = (v) => (isObject(v) ? null : 'should be an object');
const orNull =
  (check: Check): Check =>
  (v) => {
    if (v === null) return null;
    const problem = check(v);
    return problem && `${problem}, or null`;
  };
const numbersByName: Check = (v) => (isObject(v) && Object.values(v).every((n) => Number.isInteger(n) && (n as number) >= 0) ? null : 'should map each dataset to its count of images');

/** Required fields, then optional ones (checked when present), by their path in the file. */
const REQUIRED: Record<string, Check> = {
  family: oneOf(FAMILY_IDS),
  train: object,
  'train.size': wholeNumber(1),
  'train.loadSize': wholeNumber(1),
  'train.flip': flag,
  'train.batch': wholeNumber(1),
  'train.iterations': wholeNumber(1),
  'train.seed': wholeNumber(0),
  'train.checkpointEvery': wholeNumber(1),
  'train.sampleEvery': wholeNumber(1),
  'train.logEvery': wholeNumber(1),
  'train.backend': text,
  'train.schedule': object,
  'train.schedule.constant': wholeNumber(0),
  'train.schedule.decay': wholeNumber(0),
  config: object,
  backend: orNull(object),
  datasetSizes: numbersByName,
  status: oneOf(RUN_STATUSES),
  iteration: wholeNumber(0),
  totalIterations: wholeNumber(1),
  createdAt: text,
  updatedAt: text,
  lastError: orNull(text),
  pid: orNull(wholeNumber(1)),
};
const OPTIONAL: Record<string, Check> = {
  'train.data': text,
  'train.a': text,
  'train.b': text,
  'train.epochs': wholeNumber(1),
  'train.threads': wholeNumber(1),
  'train.device': text,
  'config.size': wholeNumber(1),
  elapsedMs: (v) => (typeof v === 'number' && v >= 0 ? null : 'should be a number of milliseconds'),
  skippedFiles: object,
  sampleRows: (v) => (Array.isArray(v) && v.every((row) => typeof row === 'string') ? null : 'should be a list of labels'),
};

function at(root: Record<string, unknown>, path: string): { present: boolean; value: unknown } {
  let value: unknown = root;
  for (const key of path.split('.')) {
    if (!isObject(value) || !(key in value)) return { present: false, value: undefined };
    value = value[key];
  }
  return { present: true, value };
}

const show = (value: unknown) => {
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 40 ? `${json.slice(0, 40)}…` : json;
};

/**
 * Returns `value` as a RunInfo, or throws UsageError naming `file` and the first field that is missing or of the
 * wrong kind. `value` has already been found to be a darkroom-run (its `format`).
 */
export function checkRunInfo(value: unknown, file: string): RunInfo {
  const damaged = (field: string, problem: string) =>
    new UsageError(`${file} is damaged: "${field}" ${problem}. Put back a good copy of run.json (a backup), or start a new run in another folder.`);
  if (!isObject(value)) throw damaged('(the whole file)', 'should be an object');
  for (const [field, check] of Object.entries(REQUIRED)) {
    const { present, value: found } = at(value, field);
    if (!present) throw damaged(field, 'is missing');
    const problem = check(found);
    if (problem) throw damaged(field, `${problem} (it is ${show(found)})`);
  }
  for (const [field, check] of Object.entries(OPTIONAL)) {
    const { present, value: found } = at(value, field);
    const problem = present && found !== undefined ? check(found) : null;
    if (problem) throw damaged(field, `${problem} (it is ${show(found)})`);
  }
  return value as unknown as RunInfo;
}
