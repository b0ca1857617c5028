import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DARKROOM_VERSION, PROJECT_ROOT, findProjectRoot, trainerEntry } from './paths.js';

test("the project root is found from any depth: sources, the esbuild bundle's folder, deeper", () => {
  assert.ok(existsSync(join(PROJECT_ROOT, 'package.json')) && existsSync(trainerEntry().script));
  assert.match(DARKROOM_VERSION, /^\d+\.\d+\.\d+/);
  for (const from of [join(PROJECT_ROOT, 'electron', 'services'), join(PROJECT_ROOT, 'dist', 'electron'), join(PROJECT_ROOT, 'a', 'b', 'c', 'd')]) {
    assert.equal(findProjectRoot(from), PROJECT_ROOT, from);
  }
});

test("another package's package.json on the way up is passed over; none at all is a clear error", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-paths-'));
  try {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'darkroom', version: '9.9.9' }));
    await mkdir(join(dir, 'node_modules', 'other', 'lib'), { recursive: true });
    await writeFile(join(dir, 'node_modules', 'other', 'package.json'), JSON.stringify({ name: 'other' }));
    assert.equal(findProjectRoot(join(dir, 'node_modules', 'other', 'lib')), dir);
    await rm(join(dir, 'package.json'));
    assert.throws(() => findProjectRoot(join(dir, 'node_modules', 'other', 'lib')), /Darkroom's package.json was not found above/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
