// The Train form's size rule is the family's option description, as app.info sends it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAMILY_OPTIONS } from '../../../models/families/family-options.js';
import { FAMILY_IDS } from '../../../models/families/family.js';
import type { FamilyInfo } from '../../../electron/api.js';
import { leftEmpty, sizeField, sizeProblem } from './train-form.js';

const info = (id: FamilyInfo['id'], title: string): FamilyInfo => ({ id, title, summary: '', datasets: 1, options: [...FAMILY_OPTIONS[id]] });

test('the size field and its check follow the family: powers of two for the pyramids, multiples of 4 for the translators', () => {
  assert.deepEqual(sizeField(info('ae', 'Autoencoder')), { min: 16, max: 1024, step: undefined });
  assert.deepEqual(sizeField(info('cyclegan', 'CycleGAN')), { min: 32, max: 4096, step: 4 });
  assert.equal(sizeProblem(info('cyclegan', 'CycleGAN'), 2048), null);
  assert.equal(sizeProblem(info('cyclegan', 'CycleGAN'), 30), 'Image size for CycleGAN must be a multiple of 4 from 32 to 4096.');
  assert.equal(sizeProblem(info('vae', 'VAE'), 96), 'Image size for VAE must be a power of two from 16 to 1024.');
  assert.equal(sizeProblem(info('gan', 'GAN'), Number.NaN), 'Image size for GAN must be a power of two from 16 to 1024.');
  // Before app.info has answered the form does not invent a rule of its own.
  assert.equal(sizeProblem(undefined, 7), null);
  for (const id of FAMILY_IDS) assert.equal(sizeProblem(info(id, id), FAMILY_OPTIONS[id][0].default as number), null, `${id}'s default size`);
});

test('an option left empty says its default only when it has one, else which option decides it', () => {
  const cut = FAMILY_OPTIONS.cut;
  const named = (name: string) => cut.find((o) => o.name === name)!;
  assert.equal(leftEmpty(cut, named('patches')), 'default (256)');
  assert.equal(leftEmpty(cut, named('mode')), 'default (cut)');
  assert.equal(leftEmpty(cut, named('identity')), 'set by Mode');
  assert.equal(leftEmpty(cut, named('ngf')), 'set by Preset');
  for (const id of FAMILY_IDS)
    for (const option of FAMILY_OPTIONS[id]) {
      const said = leftEmpty(FAMILY_OPTIONS[id], option);
      assert.doesNotMatch(said, /\(\)|null/, `${id} ${option.name}: "${said}"`);
      assert.notEqual(said, '', `${id} ${option.name} says what an empty field takes`);
      // A person's words, not the code's key.
      assert.match(option.label, /^[A-Z]/, `${id} ${option.name} has a label`);
      assert.notEqual(option.label, option.name);
    }
});
