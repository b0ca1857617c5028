// How `--init-generator` reads its value: one file, or two separated by a comma — and a comma inside a file's name
// (photographers' folders have them) is not taken for the separator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '../../models/train/test-support.js';
import { initGeneratorFiles } from './train.js';

test('--init-generator takes a file whose name has a comma, and two files of which one has a comma', async (t) => {
  const dir = await makeTempDir(t);
  await mkdir(join(dir, 'zoo, 2019'));
  const [oneWithComma, plain, other] = [join(dir, 'zoo, 2019', 'h2z.pth'), join(dir, 'z2h.pth'), join(dir, 'a,b.pth')];
  for (const f of [oneWithComma, plain, other]) await writeFile(f, 'checkpoint');
  assert.deepEqual(initGeneratorFiles(oneWithComma), [oneWithComma]);
  assert.deepEqual(initGeneratorFiles(`${oneWithComma},${plain}`), [oneWithComma, plain]);
  assert.deepEqual(initGeneratorFiles(`${plain},${other}`), [plain, other]);
  assert.deepEqual(initGeneratorFiles(`${plain}, ${plain}`), [plain, plain]);
  // Nothing exists: one comma is the separator (the run then names the missing file); an empty side is refused.
  assert.deepEqual(initGeneratorFiles(join(dir, 'x.pth') + ',' + join(dir, 'y.pth')), [join(dir, 'x.pth'), join(dir, 'y.pth')]);
  assert.throws(() => initGeneratorFiles(`${plain},`), /--init-generator takes FILE or A2B_FILE,B2A_FILE/);
});
