import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { tempSibling, tempSiblingWriter, writeFileAtomic } from './atomic-fs.js';

test('atomic writes replace or refuse, and never leave a temporary file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-atomic-'));
  try {
    const path = join(dir, 'a.txt');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, 'two');
    assert.equal(await readFile(path, 'utf8'), 'two');
    await assert.rejects(writeFileAtomic(path, 'three', { overwrite: false }), { code: 'EEXIST' });
    assert.equal(await readFile(path, 'utf8'), 'two', 'a refused write leaves the file as it was');
    await writeFileAtomic(join(dir, 'b.txt'), 'new', { overwrite: false });
    await assert.rejects(writeFileAtomic(join(dir, 'missing', 'c.txt'), 'x'));
    assert.deepEqual((await readdir(dir)).sort(), ['a.txt', 'b.txt']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('temporary names say which process wrote them, so only dead writers\' leftovers are cleaned', () => {
  const temp = basename(tempSibling('/x/photo.jpg'));
  assert.equal(tempSiblingWriter(temp), process.pid);
  assert.equal(tempSiblingWriter('photo.jpg'), null);
  assert.equal(tempSiblingWriter('.photo.jpg.tmp-12-zzzzzzzz'), null);
  assert.equal(tempSiblingWriter('.notes.tmp'), null, "a user's own hidden .tmp file is never taken for ours");
});

test('a file name of 255 bytes, the file system\'s limit, is written atomically: the temporary name fits too', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-atomic-'));
  try {
    for (const name of ['a'.repeat(251) + '.png', 'é'.repeat(125) + '.png', '日'.repeat(83) + '.jpg']) {
      assert.ok(Buffer.byteLength(name) >= 253 && Buffer.byteLength(name) <= 255, name);
      const temp = basename(tempSibling(join(dir, name)));
      assert.ok(Buffer.byteLength(temp) <= 255, `${Buffer.byteLength(temp)} bytes: ${temp}`);
      assert.equal(tempSiblingWriter(temp), process.pid);
      assert.ok(!temp.includes('\uFFFD'), 'shortened on a character boundary');
      await writeFileAtomic(join(dir, name), name);
      assert.equal(await readFile(join(dir, name), 'utf8'), name);
    }
    assert.equal((await readdir(dir)).length, 3, 'no temporary file left');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
