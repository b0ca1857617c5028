import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { finishSettings, resolveSettings } from './options.js';
import { MAX_BATCH } from './limits.js';
import { cliText } from '../../electron/remedy-words.js';

test('cyclegan loads images at size×286/256 and crops to size, as the reference does; others load at size', () => {
  assert.equal(resolveSettings({ family: 'cyclegan', a: 'A', b: 'B' }, 256).settings.loadSize, 286);
  assert.equal(resolveSettings({ family: 'cyclegan', a: 'A', b: 'B' }, 128).settings.loadSize, 143);
  assert.equal(resolveSettings({ family: 'ae', data: 'd' }, 64).settings.loadSize, 64);
  assert.equal(resolveSettings({ family: 'ae', data: 'd', loadSize: 80 }, 64).settings.loadSize, 80);
  const { settings } = resolveSettings({ family: 'cyclegan', a: 'A', b: 'B', flip: false }, 32);
  assert.equal(settings.a, resolve('A'), 'folders are recorded as absolute paths');
  assert.equal(settings.flip, false);
  assert.equal(settings.batch, 1);
});

test('--epochs becomes iterations over the larger folder, and the schedule follows the total', () => {
  const { family, settings, iterations } = resolveSettings({ family: 'cyclegan', a: 'A', b: 'B', epochs: 3 }, 32);
  assert.equal(iterations, undefined);
  const done = finishSettings(family, settings, iterations, [10, 25], {});
  assert.equal(done.iterations, 75);
  assert.equal(done.epochs, 3);
  assert.deepEqual(done.schedule, { constant: 38, decay: 37 });
  const ae = resolveSettings({ family: 'ae', data: 'd', epochs: 2, batch: 4 }, 16);
  assert.equal(finishSettings(ae.family, ae.settings, ae.iterations, [10], {}).iterations, 5);
});

test('a fresh seed is chosen and recorded when none is given', () => {
  const seeds = new Set(Array.from({ length: 5 }, () => resolveSettings({ family: 'ae', data: 'd' }, 16).settings.seed));
  assert.ok(seeds.size > 1);
  assert.equal(resolveSettings({ family: 'ae', data: 'd', seed: 0 }, 16).settings.seed, 0);
});

test('wrong combinations are usage errors naming the options', () => {
  const cases: [Parameters<typeof resolveSettings>[0], RegExp][] = [
    [{ family: 'cyclegan', data: 'd' }, /--a DIR and --b DIR/],
    [{ family: 'cyclegan', a: 'A' }, /needs both --a DIR/],
    [{ family: 'vae', a: 'A', b: 'B' }, /--data DIR/],
    [{ family: 'gan' }, /gan needs --data DIR/],
    [{ family: 'ae', data: 'd', iterations: 10, epochs: 1 }, /either --iterations or --epochs/],
    [{ family: 'ae', data: 'd', loadSize: 8 }, /--load-size \(8\) must be at least --size \(16\)/],
    [{ family: 'ae', data: 'd', backend: 'gpu' }, /--backend must be one of/],
    [{ family: 'ae', data: 'd', checkpointEvery: 0 }, /--checkpoint-every/],
    [{ family: 'unet', data: 'd' }, /unknown model family "unet"/],
  ];
  for (const [request, pattern] of cases) assert.throws(() => resolveSettings(request, 16), (e) => e instanceof UsageError && pattern.test(cliText(e.message)));
});

test('--batch has one upper limit, MAX_BATCH, the one the studio API checks too', async () => {
  assert.equal(resolveSettings({ family: 'ae', data: 'd', batch: MAX_BATCH }, 64).settings.batch, MAX_BATCH);
  assert.throws(
    () => resolveSettings({ family: 'ae', data: 'd', batch: 100_000 }, 64),
    (e: Error) => e.name === 'UsageError' && cliText(e.message) === `--batch must be at most ${MAX_BATCH} images per step (got 100000)`,
  );
  const { validateRequest } = await import('../../electron/api.js');
  const studio = (batch: number) => validateRequest('training.start', { family: 'ae', datasets: { a: 'faces' }, size: 64, iterations: 10, batch });
  assert.doesNotThrow(() => studio(MAX_BATCH));
  assert.throws(() => studio(MAX_BATCH + 1), /batch/);
});
