import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rename, rm, symlink, unlink, writeFile, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserAccess, trustedAccess } from './access-policy.js';

async function scratch(t: { after: (fn: () => Promise<void>) => void }) {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'darkroom-access-')));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dirs = { root, workspace: join(root, 'ws'), photos: join(root, 'photos'), outside: join(root, 'outside'), out: join(root, 'out') };
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
  return dirs;
}

test('browser mode reads folders only inside the workspace and the folders chosen this session', async (t) => {
  const dirs = await scratch(t);
  const access = browserAccess(dirs.workspace);
  await assert.rejects(access.readableFolder(dirs.photos), /outside the workspace and the folders you chose/);
  assert.equal(await access.readableFolder(join(dirs.workspace)), dirs.workspace);
  assert.equal(await access.choose(dirs.photos, 'input'), dirs.photos);
  await mkdir(join(dirs.photos, 'sub'));
  assert.equal(await access.readableFolder(join(dirs.photos, 'sub')), join(dirs.photos, 'sub'));
  await symlink(dirs.outside, join(dirs.photos, 'escape'));
  await assert.rejects(access.readableFolder(join(dirs.photos, 'escape')), /outside/, 'a link inside a chosen folder is judged by where it leads');
  await assert.rejects(access.readableFolder(`${dirs.photos}-sibling`), /does not exist/);
});

test('browser mode writes only inside the workspace and folders chosen as outputs, even where they do not exist yet', async (t) => {
  const dirs = await scratch(t);
  const access = browserAccess(dirs.workspace);
  await access.choose(dirs.photos, 'input');
  await assert.rejects(access.writableFolder(join(dirs.photos, 'results')), /outside the workspace and the output folders/);
  await assert.rejects(access.writableFolder(join(dirs.root, 'anywhere', 'new')), /outside/);
  await assert.rejects(access.writableFolder('/proc/self/x'), /outside/);
  await access.writableFolder(join(dirs.workspace, 'exports'));
  await access.choose(dirs.out, 'output');
  await access.writableFolder(join(dirs.out, 'nights', 'deeper'));
  await symlink(dirs.outside, join(dirs.out, 'escape'));
  await assert.rejects(access.writableFolder(join(dirs.out, 'escape', 'new')), /outside/);
  assert.equal(access.savesToNamedPaths, false);
});

test('browser mode opens regular image files where it may read, judged by where links lead', async (t) => {
  const dirs = await scratch(t);
  const access = browserAccess(dirs.workspace);
  await access.choose(dirs.photos, 'input');
  await writeFile(join(dirs.photos, 'real.png'), 'pixels');
  await writeFile(join(dirs.outside, 'secret.txt'), 'secret');
  await writeFile(join(dirs.outside, 'elsewhere.png'), 'secret');
  await writeFile(join(dirs.photos, 'notes.txt'), 'text');
  await symlink(join(dirs.outside, 'secret.txt'), join(dirs.photos, 'x.png'));
  await symlink(join(dirs.outside, 'elsewhere.png'), join(dirs.photos, 'y.png'));
  await symlink(join(dirs.photos, 'notes.txt'), join(dirs.photos, 'z.png'));

  const handle = await access.openFile(join(dirs.photos, 'real.png'), 'image');
  assert.equal(String(await handle.readFile()), 'pixels');
  await handle.close();
  await assert.rejects(access.openFile(join(dirs.photos, 'x.png'), 'image'), /outside/);
  await assert.rejects(access.openFile(join(dirs.photos, 'y.png'), 'image'), /outside/);
  await assert.rejects(access.openFile(join(dirs.photos, 'z.png'), 'image'), /is not an image file \(it leads to notes\.txt\)/);
  await assert.rejects(access.openFile(join(dirs.outside, 'elsewhere.png'), 'image'), /outside/);
  await assert.rejects(access.openFile(join(dirs.photos, 'real.png'), 'model'), /is not a model \(\.onnx\) or checkpoint \(\.pth, \.pt, \.safetensors\) file/);
  // A checkpoint to import is a model file, read where it may be read and nowhere else.
  await writeFile(join(dirs.photos, 'latest_net_G.pth'), 'weights');
  await writeFile(join(dirs.outside, 'other.pth'), 'weights');
  const checkpoint = await access.openFile(join(dirs.photos, 'latest_net_G.pth'), 'model');
  await checkpoint.close();
  await assert.rejects(access.openFile(join(dirs.outside, 'other.pth'), 'model'), /outside/);
});

test('a FIFO named like a photo is refused at once, in both modes, instead of blocking the open', { skip: process.platform === 'win32' && 'no mkfifo' }, async (t) => {
  const dirs = await scratch(t);
  const fifo = join(dirs.photos, 'pipe.png');
  execFileSync('mkfifo', [fifo]);
  const browser = browserAccess(dirs.workspace);
  await browser.choose(dirs.photos, 'input');
  await assert.rejects(browser.openFile(fifo, 'image'), /not a regular file/);
  await assert.rejects(trustedAccess().openFile(fifo, 'image'), /not a regular file/);
});

test('a link swapped in and out while opening never yields the file it leads to', async (t) => {
  const dirs = await scratch(t);
  const access = browserAccess(dirs.workspace);
  await access.choose(dirs.photos, 'input');
  await writeFile(join(dirs.outside, 'secret.png'), 'secret');
  const photo = join(dirs.photos, 'photo.png');
  const real = join(dirs.photos, 'photo.real');
  const link = join(dirs.photos, 'photo.link');
  await writeFile(real, 'allowed');
  await symlink(join(dirs.outside, 'secret.png'), link);
  await writeFile(photo, 'allowed');
  let swapping = true;
  const swapper = (async () => {
    for (let i = 0; swapping; i++) {
      // Alternate the name between a regular file and a link to the secret, atomically.
      await writeFile(real, 'allowed');
      if (i % 2 === 0) await symlink(join(dirs.outside, 'secret.png'), link).catch(() => {});
      await rename(i % 2 === 0 ? link : real, photo);
    }
  })();
  const seen = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const handle = await access.openFile(photo, 'image').catch(() => null);
    if (!handle) continue;
    seen.add(String(await handle.readFile()));
    await handle.close();
  }
  swapping = false;
  await swapper;
  await unlink(photo).catch(() => {});
  assert.deepEqual([...seen].filter((content) => content !== 'allowed'), [], 'only the allowed file was ever read');
});

test('trusted access (Electron, CLI) passes paths through and still opens only regular files', async (t) => {
  const dirs = await scratch(t);
  const access = trustedAccess();
  assert.equal(await access.readableFolder(dirs.outside), dirs.outside);
  await access.writableFolder('/anywhere/at/all');
  assert.equal(access.savesToNamedPaths, true);
  await writeFile(join(dirs.outside, 'a.png'), 'pixels');
  await symlink(join(dirs.outside, 'a.png'), join(dirs.photos, 'b.png'));
  const handle = await access.openFile(join(dirs.photos, 'b.png'), 'image');
  assert.equal(String(await handle.readFile()), 'pixels');
  await handle.close();
  await assert.rejects(access.openFile(dirs.photos, 'image'), /not a regular file/);
});
