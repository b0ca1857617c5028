import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSchedule, extendSchedule, lrFactor, resolveSchedule } from './schedule.js';
import { UsageError } from '../errors.js';
import { cliText } from '../../electron/remedy-words.js';

test('CycleGAN keeps the full rate for the first half, then decays linearly towards zero', () => {
  const schedule = defaultSchedule('cyclegan', 200);
  assert.deepEqual(schedule, { constant: 100, decay: 100 });
  const factors = Array.from({ length: 200 }, (_, i) => lrFactor(schedule, i + 1));
  assert.ok(factors.slice(0, 100).every((f) => f === 1));
  for (let i = 100; i < 199; i++) assert.ok(factors[i + 1] < factors[i], `decreasing at ${i}`);
  assert.ok(Math.abs(factors[100] - (1 - 1 / 101)) < 1e-12);
  assert.ok(factors[199] > 0 && factors[199] < 0.02, 'the last step still learns, barely');
  const steps = factors.slice(100).map((f, i, all) => (i === 0 ? 1 - f : all[i - 1] - f));
  for (const s of steps) assert.ok(Math.abs(s - 1 / 101) < 1e-12, 'linear decay');
});

test('other families keep a constant rate by default', () => {
  for (const family of ['ae', 'vae', 'gan'] as const) {
    const schedule = defaultSchedule(family, 50);
    for (let it = 1; it <= 50; it++) assert.equal(lrFactor(schedule, it), 1);
  }
});

test('one given length makes the other cover the rest of the run', () => {
  assert.deepEqual(resolveSchedule('ae', 100, { decay: 30 }), { constant: 70, decay: 30 });
  assert.deepEqual(resolveSchedule('gan', 100, { constant: 40 }), { constant: 40, decay: 60 });
  assert.deepEqual(resolveSchedule('cyclegan', 100, {}), { constant: 50, decay: 50 });
  assert.throws(() => resolveSchedule('ae', 100, { decay: -1 }), (e) => e instanceof UsageError && /--lr-decay/.test(cliText(e.message)));
  assert.throws(() => resolveSchedule('ae', 100, { constant: 1.5 }), (e: Error) => /--lr-constant/.test(cliText(e.message)));
});

test('training further keeps a constant rate constant, and stretches a decay to end at the new total', () => {
  assert.deepEqual(extendSchedule({ constant: 400, decay: 0 }, 1000), { constant: 1000, decay: 0 });
  const longer = extendSchedule(defaultSchedule('cyclegan', 400), 800);
  assert.deepEqual(longer, { constant: 200, decay: 600 });
  assert.ok(lrFactor(longer, 401) > 0.6, 'the rate rises again after the old end');
  assert.ok(lrFactor(longer, 800) > 0 && lrFactor(longer, 800) < 0.01, 'and reaches zero only at the new end');
  for (let it = 1; it <= 400; it++) assert.equal(lrFactor(longer, it) >= lrFactor(defaultSchedule('cyclegan', 400), it), true);
});
