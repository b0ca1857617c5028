// Models that would mislead a person: broken outputs that would come out as black images, range metadata that is
// there but wrong, files that are not models at all, and foreign models whose range the graph itself states.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nonFiniteModelBytes, texturedPhoto } from './convert-fixtures.js';
import { openModel } from './runtime.js';
import { createTranslator } from './translate.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darkroom-misleading-'));
});
after(() => rm(dir, { recursive: true, force: true }));

for (const kind of ['nan', 'inf'] as const) {
  test(`a model whose output holds ${kind === 'nan' ? 'NaN' : 'infinite values'} fails the photo with the reason instead of giving a black image`, async () => {
    const model = await openModel(nonFiniteModelBytes(kind));
    const translator = await createTranslator(model);
    try {
      for (const [width, height, tile] of [[40, 30, 512], [200, 150, 64]]) {
        await assert.rejects(translator.translate(texturedPhoto(width, height), { range: '-1,1', tile }), (error: Error) => {
          assert.match(error.message, kind === 'nan' ? /the model's output holds NaN/ : /the model's output holds infinite values/);
          assert.match(error.message, /the model is broken/);
          return true;
        });
      }
    } finally {
      await translator.dispose();
      await model.dispose();
    }
  });
}
