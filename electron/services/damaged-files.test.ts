// A damaged file is one problem whichever view meets it: Datasets and Batch give it the same reason, in plain
// words, without the image library's own text; a damaged model is named by its file, without ONNX's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { tinyTranslatorBytes } from '../../models/onnx/convert-fixtures.js';
import { BAD_FILES, writeBadFiles, writeGoodPhotos } from './batch-fixtures.js';
import { runBatch } from './batch.js';
import { inspectFolder } from './datasets.js';
import { ModelStore } from './models.js';
import { openWorkspace } from './workspace.js';

let dir: string;

before(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'darkroom-damaged-'));
});

after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('the same damaged file gets the same plain reason in Datasets and in Batch', async () => {
  const input = join(dir, 'photos');
  await writeGoodPhotos(input);
  await writeBadFiles(input);
  const modelPath = join(dir, 'm.onnx');
  await fs.writeFile(modelPath, await tinyTranslatorBytes({ 'darkroom.range': '-1,1' }));

  const inspected = await inspectFolder(input);
  const { report } = await runBatch({ model: modelPath, inputs: [input], out: join(dir, 'out'), recursive: true, device: 'cpu' });
  const datasetReasons = new Map(inspected.problems.filter((p) => p.kind === 'corrupt').map((p) => [basename(p.file), p.message]));
  const batchReasons = new Map(report.items.filter((i) => i.status === 'failed').map((i) => [basename(i.input), i.reason]));

  for (const [file, words] of Object.entries(BAD_FILES)) {
    const reason = datasetReasons.get(file);
    assert.match(reason ?? '', words, `${file}: ${reason}`);
    assert.equal(batchReasons.get(file), reason, `${file}: the same reason in both`);
    assert.doesNotMatch(reason!, /vips|sharp|jpeg:|png:|<|\.\.|premature|seek/i, `${file}: no library text in "${reason}"`);
  }
});

test('a damaged model file is refused by its own name in plain words', async () => {
  const workspace = await openWorkspace(join(dir, 'ws'));
  const store = new ModelStore(workspace);
  const whole = await tinyTranslatorBytes({ 'darkroom.range': '-1,1' });
  for (const [name, bytes] of [
    ['notes.onnx', new TextEncoder().encode('these are my notes, not a model\n')],
    ['cut.onnx', whole.subarray(0, Math.floor(whole.length / 2))],
  ] as const) {
    const refusal = await store.import({ bytes, name }).then(() => null, (error: Error) => error.message);
    assert.ok(refusal, `${name} is refused`);
    assert.match(refusal, new RegExp(`model ${name.replace('.', '\\.')} is not`), refusal);
    assert.doesNotMatch(refusal, /<bytes>|Is it|protobuf|wire type|index out of range/i, refusal);
  }
});
