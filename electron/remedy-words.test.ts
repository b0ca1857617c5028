import { test } from 'node:test';
import assert from 'node:assert/strict';
import { option, remedy } from '../models/errors.js';
import { checkGraphFits } from '../models/diff/graph-memory.js';
import { FAMILY_OPTIONS } from '../models/families/family-options.js';
import { toErrorBody } from './api.js';
import { cliText, studioWords, cliWords } from './remedy-words.js';

test('the command line names a setting by its flag, the studio by its form field', () => {
  assert.equal(cliWords({ option: 'lambdaNce', value: 10 }), '--lambda-nce 10');
  assert.equal(studioWords({ option: 'lambdaNce', value: 10 }), '“PatchNCE loss weight” 10');
  assert.equal(studioWords({ option: 'batch' }), '“Batch”');
  // A setting the studio has no field for is said to be the command line's, not named bare.
  assert.match(studioWords({ option: 'loadSize' }), /^--load-size \(a setting of the `darkroom` command line\)$/);
  for (const options of Object.values(FAMILY_OPTIONS)) for (const o of options) assert.doesNotMatch(studioWords({ option: o.name }), /--/, o.name);
});

test('actions: a command on the command line, a button in the studio', () => {
  assert.equal(cliWords({ action: 'resume', run: 'runs/a' }), '`darkroom train --resume runs/a`');
  assert.equal(cliWords({ action: 'resume', run: 'runs/a', with: { iterations: 40 } }), '`darkroom train --resume runs/a --iterations 40`');
  assert.match(studioWords({ action: 'resume', run: 'runs/a' }), /Resume button/);
  assert.match(studioWords({ action: 'resume', run: 'runs/a', with: { iterations: 40 } }), /Train more, to 40 iterations/);
  // The studio resumes a run on its own backend: another one is the command line's, and it says so.
  assert.match(studioWords({ action: 'resume', run: 'runs/a', with: { backend: 'wasm' } }), /--backend wasm` on the command line/);
  assert.equal(studioWords({ action: 'devices' }), 'the Devices view');
  assert.equal(cliWords({ action: 'command', command: 'setup cuda' }), '`darkroom setup cuda`');
});

test("a refusal from the library: the studio's answer names its fields, the command line its flags", () => {
  let refusal: unknown;
  try {
    checkGraphFits({ peakBytes: 2 ** 32, inputBytes: 2 ** 20, largestValueBytes: 2 ** 24 }, 2 ** 30, { phase: 'generator', size: 128, batch: 8, where: 'the CPU' });
  } catch (error) {
    refusal = error;
  }
  const studio = toErrorBody(refusal);
  assert.equal(studio.code, 'bad-request');
  assert.match(studio.message, /What fits: “Batch” \d+ at this size, or “Image size” \d+ or less at this batch/);
  assert.doesNotMatch(studio.message, /--|⟦/);
  const cli = toErrorBody(refusal, cliText);
  assert.match(cli.message, /What fits: --batch \d+ at this size, or --size \d+ or less at this batch/);
  assert.equal(cliText(`lower ${option('lr')} or ${remedy({ action: 'stop' })}`), 'lower --lr or Ctrl+C');
});
