import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './errors.js';
import { checkOutputFolder, createFolderInside, createOutputFolder, isInsideFolder, whyOutsideFolder } from './output-folder.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-out-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('an output folder is created with its missing parents; an existing one is kept', async (t) => {
  const dir = await tempDir(t);
  assert.equal(await createOutputFolder(join(dir, 'a', 'b', 'c'), 'the output folder'), join(dir, 'a', 'b', 'c'));
  assert.deepEqual(await readdir(join(dir, 'a', 'b')), ['c']);
  await writeFile(join(dir, 'a', 'b', 'c', 'kept'), 'x');
  await createOutputFolder(join(dir, 'a', 'b', 'c'), 'the output folder');
  assert.deepEqual(await readdir(join(dir, 'a', 'b', 'c')), ['kept']);
});

test('a folder that refuses children (/proc/self/x) is a usage error at once, not an endless loop', { skip: process.platform !== 'linux' && '/proc is Linux', timeout: 5000 }, async () => {
  await assert.rejects(createOutputFolder('/proc/self/x', 'the output folder'), (error: Error) => {
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /cannot create the output folder \/proc\/self\/x: \/proc\/self does not take new folders/);
    return true;
  });
  await assert.rejects(createOutputFolder('/proc/self/x/y/z', 'the output folder'), UsageError);
});

test('an empty path, a file, or a path through a file are refused in plain words, before anything is written', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'notes.txt');
  await writeFile(file, 'x');
  await assert.rejects(checkOutputFolder('', 'the output folder'), { name: 'UsageError', message: /the output folder is an empty path: give the folder/ });
  await assert.rejects(checkOutputFolder('  ', 'the output folder'), UsageError);
  await assert.rejects(checkOutputFolder(file, 'the output folder'), { message: new RegExp(`the output folder ${file} is a file, not a folder`) });
  await assert.rejects(createOutputFolder(join(file, 'sub'), 'the run folder'), { message: new RegExp(`the run folder ${file}/sub cannot be created: ${file} is a file`) });
  assert.deepEqual(await readdir(dir), ['notes.txt']);
});

test('inside: by path and through symbolic links, for folders that do not exist yet', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'data'));
  await symlink(join(dir, 'data'), join(dir, 'link'));
  assert.equal(await isInsideFolder(join(dir, 'data', 'run'), join(dir, 'data')), true);
  assert.equal(await isInsideFolder(join(dir, 'link', 'run', 'deeper'), join(dir, 'data')), true);
  assert.equal(await isInsideFolder(join(dir, 'data'), join(dir, 'link')), true);
  assert.equal(await isInsideFolder(join(dir, 'data-run'), join(dir, 'data')), false);
  assert.equal(await isInsideFolder(dir, join(dir, 'data')), false);
});

test('folders made inside an output folder never follow a link out of it, however deep', async (t) => {
  const dir = await tempDir(t);
  const [out, elsewhere] = [join(dir, 'out'), join(dir, 'elsewhere')];
  await mkdir(out);
  await mkdir(elsewhere);
  await symlink(elsewhere, join(out, 'sub'));
  assert.equal(await createFolderInside(join(out, 'a', 'b'), out, 'the output folder'), join(await realpath(out), 'a', 'b'));
  await assert.rejects(createFolderInside(join(out, 'sub', 'deeper'), out, 'the output folder'), {
    name: 'UsageError',
    message: `${join(out, 'sub')} leads to ${await realpath(elsewhere)}, outside the output folder ${out}: Darkroom writes only inside the output folder; remove the link, or choose ${await realpath(elsewhere)} as the output folder`,
  });
  assert.deepEqual(await readdir(elsewhere), [], 'nothing made through the link');
  assert.match((await whyOutsideFolder(join(out, 'sub', 'new', 'deeper'), out, 'the output folder')) ?? '', /leads to .*elsewhere\/new\/deeper, outside/);
  assert.equal(await whyOutsideFolder(join(out, 'a', 'new'), out, 'the output folder'), null);
});
