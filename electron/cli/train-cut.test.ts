// `darkroom train cut` through the real CLI: FastCUT trains, resumes and exports its one direction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRunInfo } from '../../models/train/run-dir.js';
import { makeScenes, makeTempDir } from '../../models/train/test-support.js';

const BIN = fileURLToPath(new URL('../../bin/darkroom.js', import.meta.url));
const darkroom = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });

test('darkroom train cut --mode fastcut trains, continues, and exports its A → B generator only', async (t) => {
  const dir = await makeTempDir(t);
  const { day, night } = await makeScenes(join(dir, 'data'), 3, 32);
  const runDir = join(dir, 'run');
  const tiny = ['--size', '32', '--ngf', '4', '--ndf', '4', '--blocks', '1', '--patches', '16', '--backend', 'cpu', '--seed', '3'];
  const trained = darkroom(['train', 'cut', '--mode', 'fastcut', '--a', day, '--b', night, '--out', runDir, '--iterations', '3', ...tiny]);
  assert.equal(trained.status, 0, trained.stderr);
  const info = await readRunInfo(runDir);
  assert.equal(info.family, 'cut');
  assert.deepEqual([info.config.mode, info.config.lambdaNce, info.config.identity, info.config.flipEquivariance], ['fastcut', 10, false, true]);
  assert.equal(info.iteration, 3);

  const refused = darkroom(['train', 'cut', '--data', day, '--out', join(dir, 'other'), ...tiny]);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /cut trains on two folders: give --a DIR and --b DIR/);

  const onnx = join(dir, 'fast.onnx');
  const exported = darkroom(['export', runDir, '--out', onnx]);
  assert.equal(exported.status, 0, exported.stderr);
  assert.ok((await stat(onnx)).size > 1000);
  const backwards = darkroom(['export', runDir, '--out', join(dir, 'back.onnx'), '--direction', 'BtoA']);
  assert.notEqual(backwards.status, 0);
  assert.match(backwards.stderr, /BtoA/);
});
