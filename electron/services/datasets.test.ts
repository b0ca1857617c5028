import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir, copyFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from '../../models/data/image-io.js';
import { DatasetStore, inspectFolder } from './datasets.js';
import { openWorkspace, resolveMedia } from './workspace.js';

/** A w×h RGB image: a colour gradient, or grey when asked. */
function pixels(w: number, h: number, grey = false, seed = 0): Uint8Array {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const v = (x * 7 + y * 3 + seed * 40) % 256;
      data.set(grey ? [v, v, v] : [v, (y * 11 + seed * 13) % 256, 255 - v], i);
    }
  return data;
}

async function makeFolder(root: string) {
  const dir = join(root, 'photos');
  await mkdir(join(dir, 'nested'), { recursive: true });
  await writeFile(join(dir, 'a.png'), await encodePng(pixels(64, 48, false, 1), 64, 48));
  await writeFile(join(dir, 'nested', 'b.png'), await encodePng(pixels(64, 48, false, 2), 64, 48));
  await writeFile(join(dir, 'grey.png'), await encodePng(pixels(64, 64, true, 3), 64, 64));
  await writeFile(join(dir, 'tiny.png'), await encodePng(pixels(16, 16, false, 4), 16, 16));
  await copyFile(join(dir, 'a.png'), join(dir, 'copy-of-a.png'));
  await writeFile(join(dir, 'broken.jpg'), Buffer.from('this is not a jpeg at all'));
  await writeFile(join(dir, 'notes.txt'), 'not an image');
  await writeFile(join(dir, '.hidden.png'), await encodePng(pixels(8, 8), 8, 8));
  return dir;
}

test('inspecting a folder counts images and names each problem by file', async () => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-ds-'));
  try {
    const dir = await makeFolder(root);
    const report = await inspectFolder(dir);
    assert.equal(report.count, 6, 'six image files, the text file and the hidden file left out');
    const problems = report.problems.map((p) => `${p.file}:${p.kind}`).sort();
    assert.deepEqual(problems, ['broken.jpg:corrupt', 'copy-of-a.png:duplicate', 'grey.png:grey', 'tiny.png:tiny']);
    assert.match(report.problems.find((p) => p.kind === 'duplicate')!.message, /a\.png/);
    assert.equal(report.sizes[0].size, '64×48');
    assert.equal(report.sizes[0].count, 3);
    assert.deepEqual(report.formats, [{ format: 'png', count: 5 }]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a missing or empty folder is refused with a message saying what to do', async () => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-ds-'));
  try {
    await assert.rejects(inspectFolder(join(root, 'nope')), /does not exist/);
    await assert.rejects(inspectFolder(root), /holds no images/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the store remembers datasets across opens, with thumbnails served from the workspace', async () => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-ds-'));
  try {
    const dir = await makeFolder(root);
    const workspace = await openWorkspace(join(root, 'ws'));
    const store = await DatasetStore.open(workspace);
    const added = await store.add(dir, 'Holiday');
    assert.equal(added.id, 'holiday');
    assert.equal(added.count, 6);
    assert.equal(added.problemCount, 4);
    assert.equal(added.readable, added.count - 1, 'broken.jpg is counted apart from the readable images');
    assert.equal(added.thumbnails.length, 5, 'one thumbnail per readable image');
    const thumb = await resolveMedia(workspace, added.thumbnails[0]);
    assert.deepEqual([...(await readFile(thumb)).subarray(0, 2)], [0xff, 0xd8], 'thumbnails are JPEGs');
    assert.deepEqual(
      added.images.map((image) => [image.file, image.thumbnail !== null]),
      [['a.png', true], ['broken.jpg', false], ['copy-of-a.png', true], ['grey.png', true], ['nested/b.png', true], ['tiny.png', true]],
      'every image of the folder, by file, with a thumbnail unless it cannot be read',
    );
    assert.deepEqual(store.get('holiday').images, added.images);
    await assert.rejects(store.add(dir), /already a dataset/);

    const reopened = await DatasetStore.open(await openWorkspace(join(root, 'ws')));
    assert.deepEqual(reopened.list().map((d) => [d.id, d.count]), [['holiday', 6]]);
    assert.equal(reopened.pathOf('holiday'), dir);
    await reopened.remove('holiday');
    assert.deepEqual(reopened.list(), []);
    assert.throws(() => reopened.get('holiday'), /no dataset/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('two datasets added at once with the same name get their own ids and thumbnails', async () => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-ds-'));
  try {
    const first = await makeFolder(join(root, 'one'));
    const second = await makeFolder(join(root, 'two'));
    const store = await DatasetStore.open(await openWorkspace(join(root, 'ws')));
    const [a, b, same] = await Promise.allSettled([store.add(first, 'Trip'), store.add(second, 'Trip'), store.add(first, 'Again')]);
    assert.equal(same.status, 'rejected', 'the same folder twice at once is refused');
    assert.match(String((same as PromiseRejectedResult).reason), /being added already/);
    assert.ok(a.status === 'fulfilled' && b.status === 'fulfilled');
    assert.deepEqual([a.value.id, b.value.id].sort(), ['trip', 'trip-2']);
    assert.equal(a.value.thumbnails.length, 5);
    assert.equal(b.value.thumbnails.length, 5);
    assert.ok(a.value.thumbnails.every((t) => !b.value.thumbnails.includes(t)));
    assert.deepEqual(store.list().map((d) => d.id).sort(), ['trip', 'trip-2']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
