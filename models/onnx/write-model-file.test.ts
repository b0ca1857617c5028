import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { writeModelFile } from './export.js';

test('a model file is written with its missing folders; a folder that cannot be made is a usage error at once', { timeout: 10_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-model-file-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeModelFile(join(dir, 'a', 'b', 'm.onnx'), new Uint8Array([1, 2, 3]));
  assert.deepEqual([...(await readFile(join(dir, 'a', 'b', 'm.onnx')))], [1, 2, 3]);
  await writeFile(join(dir, 'notes.txt'), 'mine');
  await assert.rejects(writeModelFile(join(dir, 'notes.txt', 'm.onnx'), new Uint8Array(1)), (e) => e instanceof UsageError && /notes\.txt is a file, not a folder/.test(e.message));
  if (process.platform === 'linux')
    await assert.rejects(writeModelFile('/proc/self/x/m.onnx', new Uint8Array(1)), (e) => e instanceof UsageError && /\/proc\/self does not take new folders/.test(e.message));
  assert.deepEqual((await readdir(dir)).sort(), ['a', 'notes.txt']);
});
