import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimFolder, defaultWorkspaceDir, mediaRef, openWorkspace, reserveId, resolveMedia, slugId } from './workspace.js';

test('the workspace folder follows --workspace, then DARKROOM_WORKSPACE, then the platform', () => {
  assert.equal(defaultWorkspaceDir({ DARKROOM_WORKSPACE: '/tmp/ws' }, 'linux', '/home/u'), '/tmp/ws');
  assert.equal(defaultWorkspaceDir({}, 'linux', '/home/u'), '/home/u/.local/share/darkroom');
  assert.equal(defaultWorkspaceDir({ XDG_DATA_HOME: '/data' }, 'linux', '/home/u'), '/data/darkroom');
  assert.equal(defaultWorkspaceDir({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/Darkroom');
});

test('the first open is the first start; the second is not', async () => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-ws-'));
  try {
    const first = await openWorkspace(join(root, 'ws'));
    assert.equal(first.firstStart, true);
    const second = await openWorkspace(join(root, 'ws'));
    assert.equal(second.firstStart, false);
    await writeFile(join(root, 'file'), 'x');
    await assert.rejects(openWorkspace(join(root, 'file')), /is a file/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('media refs reach files inside the workspace and nothing outside it', async () => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-ws-'));
  try {
    const ws = await openWorkspace(join(root, 'ws'));
    const inside = join(ws.paths.runs, 'sample.png');
    await writeFile(inside, 'png');
    await writeFile(join(root, 'secret.txt'), 'secret');
    await symlink(join(root, 'secret.txt'), join(ws.paths.runs, 'link.txt'));
    assert.equal(mediaRef(ws, inside), 'runs/sample.png');
    assert.equal(await resolveMedia(ws, 'runs/sample.png'), inside);
    for (const bad of ['../secret.txt', 'runs/../../secret.txt', 'runs/link.txt', '/etc/passwd', 'runs', '.tmp/x', 'runs//sample.png'])
      await assert.rejects(resolveMedia(ws, bad), /no such file/, bad);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('ids are readable and unique', () => {
  const taken = new Set(['day-scenes']);
  assert.equal(slugId('Day scenes', (id) => taken.has(id)), 'day-scenes-2');
  assert.equal(slugId('Été à Paris!', () => false), 'ete-a-paris');
  assert.equal(slugId('***', () => false), 'item');
});

test('ids reserved at the same time never collide, and existing folders are skipped', async () => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-ws-'));
  try {
    await claimFolder(join(root, 'day-night'));
    const ids = await Promise.all(Array.from({ length: 5 }, () => reserveId('Day → Night', (id) => claimFolder(join(root, id)))));
    assert.deepEqual([...ids].sort(), ['day-night-2', 'day-night-3', 'day-night-4', 'day-night-5', 'day-night-6']);
    assert.equal((await readdir(root)).length, 6, 'each id has its folder');
    assert.equal(await reserveId('other', (id) => claimFolder(join(root, id)), (id) => id === 'other'), 'other-2');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a cache folder that is a link is refused before anything is emptied: the folder it leads to keeps its files', async () => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-ws-'));
  try {
    const outside = join(root, 'elsewhere');
    await openWorkspace(join(root, 'ws'));
    for (const linked of ['cache', join('cache', 'convert')]) {
      await rm(join(root, 'ws', 'cache'), { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
      await mkdir(join(outside, 'convert'), { recursive: true });
      await writeFile(join(outside, 'convert', 'keep.png'), 'x');
      await writeFile(join(outside, 'keep.png'), 'x');
      if (linked !== 'cache') await mkdir(join(root, 'ws', 'cache'), { recursive: true });
      await symlink(linked === 'cache' ? outside : join(outside, 'convert'), join(root, 'ws', linked));
      await assert.rejects(openWorkspace(join(root, 'ws')), (e: Error) => e.message.includes(join(root, 'ws', linked)) && /is a link/.test(e.message) && /remove the link/.test(e.message));
      assert.deepEqual(await readdir(join(outside, 'convert')), ['keep.png'], `${linked}: nothing emptied where the link leads`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
