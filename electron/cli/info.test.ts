import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { negativeModelBytes, tinyGeneratorBytes } from '../../models/onnx/convert-fixtures.js';
import { createRunDir, type RunInfo } from '../../models/train/run-dir.js';

const BIN = fileURLToPath(new URL('../../bin/darkroom.js', import.meta.url));
let dir: string;

before(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'darkroom-info-'));
});

after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function info(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, 'info', ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('info on a model: inputs, outputs, metadata, whether it converts photos, and where it runs', async () => {
  const ours = join(dir, 'g.onnx');
  await fs.writeFile(ours, await tinyGeneratorBytes());
  const text = info(ours);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /Input: +input +float32 \[N, 3, H, W\]/);
  assert.match(text.stdout, /darkroom\.family +cyclegan/);
  assert.match(text.stdout, /Converts photos: yes; range -1,1; stride 4; any size/);
  assert.match(text.stdout, /Runs on: ONNX Runtime [\d.]+ on (CPU|CUDA|DirectML|Core ML|WebGPU)/);
  assert.match(text.stdout, /Other devices:\n( {2}\w+: .+\n){4}/, 'the four other devices, each available or why not (or why not offered here)');

  const foreign = join(dir, 'negative.onnx');
  await fs.writeFile(foreign, negativeModelBytes());
  const json = info(foreign, '--json');
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed.kind, 'model');
  assert.deepEqual(parsed.inputs, [{ name: 'x', type: 'float32', dims: ['batch', 3, 'height', 'width'] }]);
  assert.deepEqual(parsed.metadata, {});
  assert.deepEqual(parsed.convert, { ok: true, range: null, rangeNote: 'no darkroom.range metadata, and its last operation does not fix a range', stride: null, size: 'any size (tiles of up to 512 px by default)' });
  assert.equal(parsed.producer.name, 'pytorch');
  assert.deepEqual([...parsed.devices, ...parsed.elsewhere].map((d: { name: string }) => d.name).sort(), ['coreml', 'cpu', 'cuda', 'dml', 'webgpu']);
  assert.ok(parsed.devices.some((d: { name: string }) => d.name === parsed.device.name), 'the device it runs on is one of them');
});

test('info --device: the model opened on the CPU when asked; a device that cannot work here is refused with why', async () => {
  const model = join(dir, 'negative.onnx');
  await fs.writeFile(model, negativeModelBytes());
  const cpu = info(model, '--device', 'cpu', '--json');
  assert.equal(cpu.code, 0, cpu.stderr);
  const parsed = JSON.parse(cpu.stdout);
  assert.equal(parsed.device.name, 'cpu');
  assert.equal(parsed.device.requested, 'cpu');
  const coreml = [...parsed.devices, ...parsed.elsewhere].find((d: { name: string }) => d.name === 'coreml');
  if (coreml.usable) return; // a Mac: Core ML works there
  const refused = info(model, '--device', 'coreml');
  assert.equal(refused.code, 2, 'bad input: exit 2');
  assert.ok(refused.stderr.includes(coreml.reason), `says why: ${refused.stderr}`);
  assert.equal(info(model, '--device', 'tpu').code, 2, 'an unknown device is a usage error');
});

test('info on a run: family, status, iteration and backend from run.json; other folders are refused', async () => {
  const run = join(dir, 'run');
  const now = new Date().toISOString();
  const runInfo: RunInfo = {
    format: 'darkroom-run',
    version: 1,
    family: 'cyclegan',
    train: { a: '/data/day', b: '/data/night', size: 64, loadSize: 72, flip: true, batch: 1, iterations: 400, seed: 7, checkpointEvery: 100, sampleEvery: 50, logEvery: 10, backend: 'auto', schedule: { constant: 200, decay: 200 } },
    config: { preset: 'light' },
    backend: { name: 'wasm', detail: 'wasm (patched for training), 2 threads', threads: 2, unavailable: [] },
    datasetSizes: { a: 40, b: 38 },
    status: 'paused',
    iteration: 250,
    totalIterations: 400,
    createdAt: now,
    updatedAt: now,
    lastError: null,
    pid: null,
  };
  await createRunDir(run, runInfo);
  const text = info(run);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /Run: .*run \(cyclegan\)/);
  assert.match(text.stdout, /Status: paused, iteration 250 of 400/);
  assert.match(text.stdout, /Backend: wasm \(patched for training\), 2 threads/);
  assert.match(text.stdout, /Images: a 40, b 38/);
  const json = JSON.parse(info(run, '--json').stdout);
  assert.deepEqual([json.kind, json.family, json.status, json.iteration, json.backend.name], ['run', 'cyclegan', 'paused', 250, 'wasm']);

  const notARun = info(dir);
  assert.equal(notARun.code, 2);
  assert.match(notARun.stderr, /is not a Darkroom run: it has no run\.json/);
  const missing = info(join(dir, 'nothing.onnx'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nothing\.onnx does not exist/);
});
