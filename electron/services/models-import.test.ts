// The Models view's import of published checkpoints: a .pth or .safetensors (a path or uploaded bytes) is imported
// as an ONNX model and says where it came from; a refused checkpoint is bad input and stores nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../models/errors.js';
import { tinyTranslatorBytes } from '../../models/onnx/convert-fixtures.js';
import { ModelStore } from './models.js';
import { openWorkspace } from './workspace.js';

const FIXTURES = fileURLToPath(new URL('../../models/import/fixtures/', import.meta.url));

test('checkpoints import as models that name their source and architecture; ONNX files and refusals as before', async () => {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-models-import-'));
  try {
    const workspace = await openWorkspace(join(root, 'ws'));
    const store = new ModelStore(workspace);
    const byPath = await store.import({ path: join(FIXTURES, 'cut.pth') });
    assert.equal(byPath.name, 'cut');
    assert.equal(byPath.family, 'cut');
    assert.equal(byPath.direction, 'AtoB');
    assert.equal(byPath.range, '-1,1');
    assert.equal(byPath.input, 'image');
    assert.deepEqual(byPath.origin, { kind: 'imported', file: 'cut.pth', architecture: 'CUT ResnetGenerator (anti-aliased; ngf 4, 1 residual block)' });

    const uploaded = await store.import({ bytes: await readFile(join(FIXTURES, 'cyclegan.safetensors')), name: 'cyclegan.safetensors' }, { name: 'Summer to winter' });
    assert.equal(uploaded.name, 'Summer to winter');
    assert.equal(uploaded.family, 'cyclegan');
    assert.equal(uploaded.origin.kind, 'imported');
    assert.equal(uploaded.metadata['darkroom.name'], 'Summer to winter');

    const onnx = await store.import({ bytes: await tinyTranslatorBytes({ 'darkroom.range': '-1,1' }), name: 'plain.onnx' });
    assert.deepEqual(onnx.origin, { kind: 'onnx' });
    const trained = await store.import({ bytes: await tinyTranslatorBytes({ 'darkroom.range': '-1,1' }), name: 'run.onnx' }, { sourceRun: 'day2night' });
    assert.deepEqual(trained.origin, { kind: 'trained', runId: 'day2night' });

    const before = await readdir(workspace.paths.models);
    for (const file of ['evil-zip.pth', 'unknown.pth'])
      await assert.rejects(store.import({ path: join(FIXTURES, file) }), (e) => e instanceof UsageError && e.message.startsWith(file));
    assert.deepEqual(await readdir(workspace.paths.models), before, 'a refused checkpoint stores nothing');
    assert.equal((await store.list()).length, 4);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
