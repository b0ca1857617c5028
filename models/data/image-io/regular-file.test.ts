import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageReadError, makeThumbnail, readImageForTraining, readImageInfo, readPhoto, readRegularFile } from '../image-io.js';

const unix = process.platform !== 'win32';

test('a FIFO named like an image is refused at once by every reader, instead of blocking forever', { skip: !unix && 'FIFOs are a Unix thing', timeout: 10_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-fifo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const fifo = join(dir, 'photo.png');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const readers = [() => readPhoto(fifo), () => readImageForTraining(fifo, 16), () => readImageInfo(fifo), () => makeThumbnail(fifo), () => readRegularFile(fifo)];
  for (const read of readers)
    await assert.rejects(read(), (error: ImageReadError) => {
      assert.equal(error.code, 'NOT_A_FILE');
      assert.match(error.message, new RegExp(`${fifo}: it is a named pipe \\(FIFO\\), not a file`));
      return true;
    });
});

test('devices and folders are refused by name; a regular file is read whole', { skip: !unix && 'Unix device files' }, async (t) => {
  await assert.rejects(readRegularFile('/dev/zero'), { code: 'NOT_A_FILE', message: /\/dev\/zero: it is a device, not a file/ });
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-regular-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(readRegularFile(dir), { code: 'NOT_A_FILE', message: /it is a folder, not a file/ });
  await assert.rejects(readRegularFile(join(dir, 'missing.jpg')), { code: 'NOT_FOUND' });
  await writeFile(join(dir, 'a.bin'), 'bytes');
  assert.equal((await readRegularFile(join(dir, 'a.bin'))).toString(), 'bytes');
});
