// One rule per family for the image size a training accepts: the family's resolveConfig, the API's validator for
// training.start, `darkroom train`'s argument check and the studio's Train form (fed the families as app.info sends
// them) accept and refuse the same sizes, 2048 included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAMILIES } from '../models/families/index.js';
import { FAMILY_IDS, FAMILY_TRAITS, type FamilyId } from '../models/families/family.js';
import { FAMILY_OPTIONS } from '../models/families/family-options.js';
import { toErrorBody, validateRequest, type FamilyInfo } from './api.js';
import { freshRunRequest, parseTrainArgs } from './cli/train.js';
import { sizeProblem } from '../renderer/src/lib/train-form.js';

const SIZES = [0, 4, 8, 12, 15, 16, 24, 28, 30, 31, 32, 33, 36, 48, 64, 100, 128, 256, 500, 512, 1020, 1024, 1028, 2048, 4092, 4096, 4100, 8192];

/** What each family must accept: its own size rule, written out here once more on purpose, as the check. */
const EXPECTED: Record<FamilyId, (size: number) => boolean> = {
  ae: (s) => s >= 16 && s <= 1024 && Number.isInteger(Math.log2(s)),
  vae: (s) => s >= 16 && s <= 1024 && Number.isInteger(Math.log2(s)),
  gan: (s) => s >= 16 && s <= 1024 && Number.isInteger(Math.log2(s)),
  cyclegan: (s) => s >= 32 && s <= 4096 && s % 4 === 0,
  cut: (s) => s >= 32 && s <= 4096 && s % 4 === 0,
};

const accepts = (fn: () => unknown) => {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
};

function byResolveConfig(family: FamilyId, size: number): boolean {
  return accepts(() => FAMILIES[family].resolveConfig({ size }));
}

function byApi(family: FamilyId, size: number): boolean {
  const datasets = FAMILY_TRAITS[family].datasets === 2 ? { a: 'day', b: 'night' } : { a: 'day' };
  return accepts(() => validateRequest('training.start', { family, datasets, size, iterations: 10 }));
}

function byCli(family: FamilyId, size: number): boolean {
  const folders = FAMILY_TRAITS[family].datasets === 2 ? ['--a', 'day', '--b', 'night'] : ['--data', 'faces'];
  return accepts(() => freshRunRequest(parseTrainArgs([family, ...folders, '--out', 'run', '--size', String(size)])));
}

function byTrainForm(family: FamilyId, size: number): boolean {
  // The form's families as app.info sends them (electron/services/studio.ts), through JSON as over the wire.
  const info: FamilyInfo = JSON.parse(
    JSON.stringify({ id: family, title: FAMILIES[family].title, summary: '', datasets: FAMILY_TRAITS[family].datasets, options: FAMILY_OPTIONS[family] }),
  );
  return sizeProblem(info, size) === null;
}

test('resolveConfig, the API, the CLI and the Train form accept and refuse the same image sizes for every family', () => {
  for (const family of FAMILY_IDS) {
    for (const size of SIZES) {
      const expected = EXPECTED[family](size);
      const got = { resolveConfig: byResolveConfig(family, size), api: byApi(family, size), cli: byCli(family, size), form: byTrainForm(family, size) };
      assert.deepEqual(got, { resolveConfig: expected, api: expected, cli: expected, form: expected }, `${family} at ${size} px`);
    }
  }
});

test('each front end says the family and the rule when it refuses a size', () => {
  const datasets = { a: 'day' };
  // The studio names the option by its form's label.
  const said = (e: unknown) => toErrorBody(e).message;
  assert.throws(() => validateRequest('training.start', { family: 'gan', datasets, size: 2048, iterations: 10 }), (e) => /“Image size” for gan must be a power of two from 16 to 1024 \(got 2048\)/.test(said(e)));
  assert.throws(() => freshRunRequest(parseTrainArgs(['cut', '--a', 'x', '--b', 'y', '--out', 'r', '--size', '30'])), /--size for cut must be a multiple of 4 from 32 to 4096 \(got 30\)/);
  assert.throws(() => FAMILIES.vae.resolveConfig({ size: 48 }), /vae option size must be a power of two from 16 to 1024; got 48/);
  const gan: FamilyInfo = { id: 'gan', title: 'GAN', summary: '', datasets: 1, options: [...FAMILY_OPTIONS.gan] };
  assert.equal(sizeProblem(gan, 48), 'Image size for GAN must be a power of two from 16 to 1024.');
});

test('the CLI and the API check the other family options by the same descriptions', () => {
  assert.throws(() => freshRunRequest(parseTrainArgs(['gan', '--data', 'x', '--out', 'r', '--k', '0'])), /--k for gan must be a whole number from 1 to 100/);
  assert.throws(() => freshRunRequest(parseTrainArgs(['ae', '--data', 'x', '--out', 'r', '--pool-size', '3'])), /ae has no option --pool-size/);
  const train = { family: 'cyclegan', datasets: { a: 'day', b: 'night' }, size: 64, iterations: 10 };
  assert.throws(() => validateRequest('training.start', { ...train, advanced: { poolSize: -1 } }), (e) => /“Image pool size” must be a whole number from 0 to 1000/.test(toErrorBody(e).message));
  assert.throws(() => validateRequest('training.start', { ...train, advanced: { k: 2 } }), /cyclegan has no setting "k"/);
  const { request } = freshRunRequest(parseTrainArgs(['cyclegan', '--a', 'x', '--b', 'y', '--out', 'r', '--size', '2048', '--pool-size', '0']));
  assert.deepEqual([request.size, request.familyOptions], [2048, { poolSize: 0 }]);
});
