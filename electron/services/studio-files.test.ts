import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { folderToOpen, listFolder, picturesFolder } from './studio-files.js';

test('the pictures folder: the desktop-named one, else ~/Pictures, else none', async () => {
  const home = await fs.mkdtemp(join(tmpdir(), 'darkroom-home-'));
  try {
    assert.equal(await picturesFolder(home, {}), null);
    await fs.mkdir(join(home, 'Pictures'));
    assert.equal(await picturesFolder(home, {}), join(home, 'Pictures'));
    await fs.mkdir(join(home, 'Bilder'));
    assert.equal(await picturesFolder(home, { XDG_PICTURES_DIR: join(home, 'Bilder') }), join(home, 'Bilder'));
    assert.equal(await picturesFolder(home, { XDG_PICTURES_DIR: 'relative/Bilder' }), join(home, 'Pictures'), 'a relative name is ignored');
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
});

test('only an existing folder given by its full path opens in the file manager, and a missing one is worded as everywhere', async () => {
  const root = await fs.mkdtemp(join(tmpdir(), 'darkroom-open-'));
  try {
    await fs.writeFile(join(root, 'a.txt'), 'x');
    assert.equal(await folderToOpen(root), root);
    await assert.rejects(folderToOpen('relative/path'), /full folder path/);
    await assert.rejects(folderToOpen(42), /full folder path/);
    await assert.rejects(folderToOpen(join(root, 'a.txt')), /is a file, not a folder/);
    const missing = join(root, 'nowhere');
    await assert.rejects(folderToOpen(missing), { message: `The folder ${missing} does not exist: check the path` });
    await assert.rejects(listFolder(missing), { message: `The folder ${missing} does not exist: check the path` });
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});
