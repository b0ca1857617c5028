import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, formatLoss, formatRate } from './format.js';

test('durations read naturally, and an unknown one is a dash', () => {
  assert.equal(formatDuration(42), '42s');
  assert.equal(formatDuration(75), '1m 15s');
  assert.equal(formatDuration(4000), '1h 06m');
  for (const unknown of [Infinity, -1, null, undefined]) assert.equal(formatDuration(unknown), '—');
});

test('losses keep four significant digits, with an exponent only at the extremes', () => {
  assert.equal(formatLoss(0.25), '0.2500');
  assert.equal(formatLoss(12.5), '12.50');
  assert.equal(formatLoss(0), '0');
  assert.equal(formatLoss(0.00012), '1.20e-4');
  assert.equal(formatLoss(123456), '1.23e+5');
  assert.equal(formatLoss(NaN), 'NaN');
});

test('rates switch to seconds per item below one a second', () => {
  assert.equal(formatRate(12.3, 'it'), '12 it/s');
  assert.equal(formatRate(4, 'it'), '4.0 it/s');
  assert.equal(formatRate(0.25, 'img'), '4.0 s/img');
  assert.equal(formatRate(0, 'it'), '—');
});
