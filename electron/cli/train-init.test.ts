// `darkroom train … --init-generator` through the real CLI: a CUT run starts from a PyTorch checkpoint (its size taken
// from the file), records it in run.json; an anti-aliased CUT checkpoint starts one with its resampling, which a
// disagreeing --resampling cannot override; a resume that names a file is refused (exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRunInfo } from '../../models/train/run-dir.js';
import { makeScenes, makeTempDir } from '../../models/train/test-support.js';

const BIN = fileURLToPath(new URL('../../bin/darkroom.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../models/import/fixtures/', import.meta.url));
const darkroom = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });

test('darkroom train cut --init-generator FILE starts from the checkpoint, anti-aliased ones too; a disagreeing --resampling and resumes naming one are refused', async (t) => {
  const dir = await makeTempDir(t);
  const { day, night } = await makeScenes(join(dir, 'data'), 2, 32);
  const runDir = join(dir, 'run');
  const tiny = ['--size', '32', '--ndf', '4', '--patches', '16', '--backend', 'onnx', '--seed', '3', '--iterations', '2'];
  const checkpoint = join(FIXTURES, 'cyclegan.safetensors');
  const trained = darkroom(['train', 'cut', '--a', day, '--b', night, '--out', runDir, '--init-generator', checkpoint, ...tiny]);
  assert.equal(trained.status, 0, trained.stderr);
  const info = await readRunInfo(runDir);
  assert.deepEqual([info.config.ngf, info.config.blocks, info.config.upsampling], [4, 1, 'pytorch']);
  assert.deepEqual(info.initGenerators?.map((r) => [r.direction, r.file, r.name]), [['AtoB', checkpoint, 'cyclegan.safetensors']]);

  const antialiased = darkroom(['train', 'cut', '--a', day, '--b', night, '--out', join(dir, 'aa'), '--init-generator', join(FIXTURES, 'cut.pth'), ...tiny]);
  assert.equal(antialiased.status, 0, antialiased.stderr);
  assert.deepEqual([(await readRunInfo(join(dir, 'aa'))).config.resampling], ['antialiased']);
  const strided = darkroom(['train', 'cut', '--a', day, '--b', night, '--out', join(dir, 'strided'), '--init-generator', join(FIXTURES, 'cut.pth'), '--resampling', 'strided', ...tiny]);
  assert.equal(strided.status, 2, strided.stderr);
  assert.match(strided.stderr, /cut\.pth holds a CUT ResnetGenerator \(anti-aliased;.*whose resampling is antialiased, but this run's generator has --resampling strided/);

  const resumed = darkroom(['train', '--resume', runDir, '--init-generator', checkpoint]);
  assert.equal(resumed.status, 2);
  assert.match(resumed.stderr, /--resume continues a run with its own settings; remove --init-generator/);
});
