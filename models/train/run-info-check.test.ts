// A run.json with fields of the wrong kind is reported as a damaged run file, naming the file and the field,
// wherever it is read (resume, export, the studio), instead of surfacing as a complaint about the dataset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTraining } from './loop.js';
import { readRunInfo, runPaths } from './run-dir.js';
import { makeScenes, makeTempDir, TINY_AE } from './test-support.js';

test('a resume of a run whose run.json has wrong types says the run file is damaged, naming the file and the field', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 3, 16);
  const runDir = join(dir, 'run');
  const done = await runTraining({ runDir, config: { family: 'ae', data: day, ...TINY_AE, seed: 2, backend: 'cpu', iterations: 2 }, onEvent: () => {} });
  assert.equal(done.status, 'done');
  const { runJson } = runPaths(runDir);
  const good = JSON.parse(await readFile(runJson, 'utf8'));
  await readRunInfo(runDir); // what training writes passes the check

  const damages: [string, (info: Record<string, any>) => void, RegExp][] = [
    ['train.size', (info) => (info.train.size = -5), /"train\.size" should be a whole number of at least 1 \(it is -5\)/],
    ['train.batch', (info) => (info.train.batch = '2'), /"train\.batch" should be a whole number of at least 1 \(it is "2"\)/],
    ['family', (info) => delete info.family, /"family" is missing/],
    ['status', (info) => (info.status = 7), /"status" should be one of running/],
  ];
  for (const [field, damage, expected] of damages) {
    const info = structuredClone(good);
    damage(info);
    await writeFile(runJson, JSON.stringify(info));
    const messages: string[] = [];
    const outcome = await runTraining({ runDir, resume: true, overrides: { iterations: 4 }, onEvent: (e) => e.type === 'failed' && messages.push(e.message) });
    assert.equal(outcome.status, 'failed', field);
    assert.equal(outcome.badInput, true, `${field}: a damaged run file is bad input (exit 2), not a crash`);
    assert.ok(messages[0]?.startsWith(`${runJson} is damaged: `), messages[0]);
    assert.match(messages[0], expected);
    assert.doesNotMatch(messages[0], /crop size|dataset/i, 'the dataset is not blamed');
  }
});
