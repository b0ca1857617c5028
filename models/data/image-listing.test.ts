import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderListingError, leftOutLines, listImages } from './image-listing.js';
import { readRegularFile } from './image-io.js';

/** A chosen folder with every kind of link the issue names, and an outside folder they lead into. */
async function linkedFolders(t: { after: (fn: () => Promise<void>) => void }) {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'darkroom-listing-')));
  t.after(() => rm(root, { recursive: true, force: true }));
  const [photos, secret] = [join(root, 'photos'), join(root, 'secret')];
  for (const dir of [join(photos, 'sub'), join(photos, '.hidden'), secret]) await mkdir(dir, { recursive: true });
  for (const file of [join(photos, 'real.png'), join(photos, 'sub', 'deeper.jpg'), join(photos, '.hidden', 'h.png'), join(secret, 'private.png')]) await writeFile(file, 'pixels');
  await writeFile(join(photos, 'notes.txt'), 'text');
  await symlink(join(secret, 'private.png'), join(photos, 'linked.png'));
  await symlink(secret, join(photos, 'linkdir'));
  await symlink('/etc/shadow', join(photos, 'shadow.png'));
  await symlink(join(photos, 'real.png'), join(photos, 'same.png'));
  await symlink(join(photos, 'sub'), join(photos, 'subagain'));
  await symlink(photos, join(photos, 'sub', 'up'));
  await symlink(join(photos, 'loop-b.png'), join(photos, 'loop-a.png'));
  await symlink(join(photos, 'loop-a.png'), join(photos, 'loop-b.png'));
  await symlink(join(photos, 'gone.png'), join(photos, 'broken.png'));
  await symlink(join(photos, 'notes.txt'), join(photos, 'text.png'));
  return { root, photos, secret };
}

test('a listing follows links only to photos inside the folder, and says why it left each other one out', async (t) => {
  const { photos, secret } = await linkedFolders(t);
  const listing = await listImages(photos, { recursive: true });
  assert.equal(listing.folder, photos);
  assert.deepEqual(
    listing.images.map((image) => [image.name, image.path]),
    [
      ['real.png', join(photos, 'real.png')],
      ['same.png', join(photos, 'real.png')],
      ['sub/deeper.jpg', join(photos, 'sub', 'deeper.jpg')],
    ],
    'nothing outside, nothing hidden, and a link inside is opened where it really is',
  );
  const reasons = Object.fromEntries(listing.leftOut.map((entry) => [entry.name, entry.reason]));
  assert.deepEqual(Object.keys(reasons), ['broken.png', 'linkdir', 'linked.png', 'loop-a.png', 'loop-b.png', 'shadow.png', 'sub/up', 'subagain', 'text.png']);
  assert.match(reasons['linked.png'], new RegExp(`^a link to ${join(secret, 'private.png')}, outside ${photos}: Darkroom reads only what is inside the folder`));
  assert.match(reasons['linkdir'], new RegExp(`^a link to ${secret}, outside ${photos}: .*choose ${secret} itself`));
  assert.match(reasons['shadow.png'], /^a link to \/etc\/shadow, outside /, 'an outside file is never opened, so never "not an image"');
  assert.match(reasons['loop-a.png'], /^a loop of symbolic links that never reaches a file/);
  assert.match(reasons['sub/up'], /^a link back to this folder \(a loop\)/);
  assert.match(reasons['subagain'], /^a link to the folder sub in this folder: its images are listed there, once/);
  assert.match(reasons['broken.png'], /which does not exist/);
  assert.match(reasons['text.png'], /^a link to notes\.txt, which is not an image file/);
  assert.doesNotMatch(leftOutLines(listing.leftOut), /ELOOP|ENOENT|errno/, 'in plain words');
});

test('not walking sub-folders, a listing names them (the folder browser) and still leaves out links that lead out', async (t) => {
  const { photos } = await linkedFolders(t);
  const listing = await listImages(photos, { recursive: false, hidden: true });
  assert.deepEqual(listing.folders.map((folder) => folder.name), ['.hidden', 'sub']);
  assert.deepEqual(listing.images.map((image) => image.name), ['real.png', 'same.png']);
  assert.ok(listing.leftOut.some((entry) => entry.name === 'linkdir' && entry.folder));
  assert.ok(listing.leftOut.some((entry) => entry.name === 'linked.png' && !entry.folder));
});

test('a folder that cannot be listed is a FolderListingError in plain words, a loop of links too', async (t) => {
  const { root, photos } = await linkedFolders(t);
  await assert.rejects(listImages(join(root, 'missing'), { recursive: true }), (e: unknown) => e instanceof FolderListingError && e.code === 'NOT_FOUND' && /does not exist: check the path/.test(e.message));
  await assert.rejects(listImages(join(photos, 'real.png'), { recursive: true }), (e: unknown) => e instanceof FolderListingError && e.code === 'NOT_A_FOLDER');
  await symlink(join(root, 'loop-2'), join(root, 'loop-1'));
  await symlink(join(root, 'loop-1'), join(root, 'loop-2'));
  await assert.rejects(listImages(join(root, 'loop-1'), { recursive: true }), (e: Error) => /is a loop of symbolic links that never reaches a folder/.test(e.message) && !/ELOOP/.test(e.message));
});

test('a folder chosen through a link is listed where it really is', async (t) => {
  const { root, photos } = await linkedFolders(t);
  await symlink(photos, join(root, 'chosen'));
  const listing = await listImages(join(root, 'chosen'), { recursive: true });
  assert.equal(listing.folder, photos);
  assert.deepEqual(listing.images.map((image) => image.name), ['real.png', 'same.png', 'sub/deeper.jpg']);
});

test('a FIFO named like a photo is left out in the words every reader uses, never opened', { skip: process.platform === 'win32' && 'FIFOs are Unix' }, async (t) => {
  const { photos } = await linkedFolders(t);
  execFileSync('mkfifo', [join(photos, 'pipe.jpg')]);
  await symlink(join(photos, 'pipe.jpg'), join(photos, 'to-pipe.png'));
  const reasons = Object.fromEntries((await listImages(photos, { recursive: true })).leftOut.map((entry) => [entry.name, entry.reason]));
  assert.equal(reasons['pipe.jpg'], 'it is a named pipe (FIFO), not a file');
  assert.equal(reasons['to-pipe.png'], 'a link to pipe.jpg: it is a named pipe (FIFO), not a file');
});

test('a listed photo replaced by a link before it is read is not followed to where the link leads', async (t) => {
  const { photos, secret } = await linkedFolders(t);
  const [image] = (await listImages(photos, { recursive: false })).images;
  await unlink(image.path);
  await symlink(join(secret, 'private.png'), image.path);
  await assert.rejects(readRegularFile(image.path), /it is a symbolic link now, not the photo that was listed: list the folder again/);
});
