// The real CLI trains a light CycleGAN on WebGPU (SwiftShader's software Vulkan here, chosen by name) and exports
// it; run.json names the adapter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { softwareGpuSkip } from '../../models/backend/gpu-test-env.js';
import { readRunInfo } from '../../models/train/run-dir.js';
import { makeScenes, makeTempDir } from '../../models/train/test-support.js';

const BIN = fileURLToPath(new URL('../../bin/darkroom.js', import.meta.url));
const skip = softwareGpuSkip();

const darkroom = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });

test('darkroom train --backend webgpu trains a light CycleGAN on the GPU adapter and the run exports', { skip }, async (t) => {
  const dir = await makeTempDir(t);
  const { day, night } = await makeScenes(join(dir, 'data'), 3, 32);
  const runDir = join(dir, 'run');
  const args = ['--a', day, '--b', night, '--out', runDir, '--preset', 'light', '--size', '32', '--ngf', '4', '--ndf', '4', '--blocks', '1', '--iterations', '3', '--backend', 'webgpu', '--seed', '2'];
  const trained = darkroom(['train', 'cyclegan', ...args]);
  assert.equal(trained.status, 0, trained.stderr);
  assert.match(trained.stderr, /Backend: webgpu \(Dawn\) on SwiftShader/);
  assert.match(trained.stderr, /warning: WebGPU runs on a software adapter/);
  const info = await readRunInfo(runDir);
  assert.equal(info.status, 'done');
  assert.equal(info.backend?.name, 'webgpu');
  assert.match(info.backend?.adapter?.architecture ?? '', /swiftshader/i);
  assert.equal(info.backend?.adapter?.software, true);

  const onnx = join(dir, 'day2night.onnx');
  const exported = darkroom(['export', runDir, '--out', onnx]);
  assert.equal(exported.status, 0, exported.stderr);
  assert.ok((await stat(onnx)).size > 1000);
});
