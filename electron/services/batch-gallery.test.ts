import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tinyTranslatorBytes } from '../../models/onnx/convert-fixtures.js';
import { readImageInfo } from '../../models/data/image-io.js';
import type { StudioBatchEvent } from '../api.js';
import { GOOD_PHOTOS, writeGoodPhotos } from './batch-fixtures.js';
import { BatchGallery } from './batch-gallery.js';
import { runBatch } from './batch.js';
import { openWorkspace, resolveMedia } from './workspace.js';

test('each converted photo gets a thumbnail event, and opens before and after at full size; failed and unknown photos do not', async (t) => {
  const root = await fs.mkdtemp(join(tmpdir(), 'darkroom-gallery-'));
  t.after(() => fs.rm(root, { recursive: true, force: true }));
  const workspace = await openWorkspace(join(root, 'ws'));
  const input = join(root, 'photos');
  await writeGoodPhotos(input);
  await fs.writeFile(join(input, 'broken.jpg'), 'not a photo');
  const model = join(root, 'm.onnx');
  await fs.writeFile(model, await tinyTranslatorBytes({ 'darkroom.range': '-1,1' }));

  const gallery = new BatchGallery(workspace);
  const events: StudioBatchEvent[] = [];
  await runBatch({ model, inputs: [input], out: join(root, 'out'), recursive: true, device: 'cpu', onEvent: gallery.follow('batch-1', (e) => events.push(e)) });
  const good = Object.keys(GOOD_PHOTOS).length;
  for (let waited = 0; events.filter((e) => e.type === 'thumbnail').length < good && waited < 100; waited++) await sleep(100);

  const thumbnails = events.flatMap((e) => (e.type === 'thumbnail' ? [e] : []));
  assert.deepEqual(thumbnails.map((e) => e.path).sort(), Object.keys(GOOD_PHOTOS).map((p) => join(input, p)).sort());
  for (const thumbnail of thumbnails) {
    const info = await readImageInfo(await resolveMedia(workspace, thumbnail.media));
    assert.ok(info.width <= 192 && info.height <= 192);
  }
  assert.ok(events.findIndex((e) => e.type === 'finished') >= 0, 'the batch events pass through');

  const preview = await gallery.preview('batch-1', join(input, 'p3.png'));
  assert.deepEqual([preview.width, preview.height], [GOOD_PHOTOS['p3.png'].width, GOOD_PHOTOS['p3.png'].height]);
  for (const media of [preview.before, preview.after]) {
    const info = await readImageInfo(await resolveMedia(workspace, media));
    assert.deepEqual([info.width, info.height, info.format], [96, 64, 'png']);
  }
  await assert.rejects(gallery.preview('batch-1', join(input, 'broken.jpg')), /not among the batch's converted photos/);
  await assert.rejects(gallery.preview('batch-2', join(input, 'p3.png')), /not among the batch's converted photos/);
});
