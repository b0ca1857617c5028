import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLabel } from './run-label.js';

test('a run is labelled by its family, and a CUT run by its mode', () => {
  assert.equal(runLabel('cut', { mode: 'fastcut' }), 'FastCUT');
  assert.equal(runLabel('cut', { mode: 'cut' }), 'CUT');
  assert.equal(runLabel('cyclegan', {}), 'CycleGAN');
});
