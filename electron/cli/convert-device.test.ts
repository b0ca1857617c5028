// `darkroom convert --device`: the real CLI on SwiftShader's software GPU (see models/gpu/swiftshader.ts). Named,
// webgpu runs the photos and says so in its output and report; auto never takes a software adapter; a device
// that cannot work here is refused before any work.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { texturedPhoto, tinyTranslatorBytes } from '../../models/onnx/convert-fixtures.js';
import { softwareGpuSkip } from '../../models/backend/gpu-test-env.js';
import { REPORT_NAME, type BatchReport } from '../services/batch.js';

const BIN = fileURLToPath(new URL('../../bin/darkroom.js', import.meta.url));
// Sets this process's environment (inherited by the CLI) to SwiftShader's; in CI a missing driver is an error.
const skip = softwareGpuSkip();
let dir: string;
let model: string;
let photos: string;

before(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'darkroom-convert-device-'));
  model = join(dir, 't.onnx');
  await fs.writeFile(model, await tinyTranslatorBytes({ 'darkroom.range': '-1,1' }));
  photos = join(dir, 'photos');
  await fs.mkdir(photos);
  for (let i = 0; i < 2; i++) {
    const p = texturedPhoto(48, 40, 30 + i);
    await sharp(p.pixels, { raw: { width: 48, height: 40, channels: 3 } }).png().toFile(join(photos, `p${i}.png`));
  }
});

after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function convert(device: string, out: string) {
  const result = spawnSync(process.execPath, [BIN, 'convert', '--model', model, photos, '--out', join(dir, out), '--device', device], {
    encoding: 'utf8',
  });
  return { code: result.status, stderr: result.stderr };
}

const report = async (out: string) => JSON.parse(await fs.readFile(join(dir, out, REPORT_NAME), 'utf8')) as BatchReport;
const pixels = (out: string, name: string) => sharp(join(dir, out, name)).raw().toBuffer();

test('a device that cannot work here is refused before any work, saying why', async () => {
  if (process.platform === 'darwin') return; // Core ML works on a Mac
  const refused = convert('coreml', 'refused');
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /cannot run on Core ML here: Core ML is only in ONNX Runtime for macOS\. Use --device auto .* or --device cpu/);
  await assert.rejects(fs.access(join(dir, 'refused')), 'no output folder was made');
});

describe('on a software GPU', { skip }, () => {
  test('--device webgpu converts on it and says so; --device auto does not take it; the photos agree', async () => {
    const named = convert('webgpu', 'webgpu');
    assert.equal(named.code, 0, named.stderr);
    assert.match(named.stderr, /Running on: ONNX Runtime [\d.]+ on WebGPU: SwiftShader.*software adapter/);
    assert.match(named.stderr, /Ran on: ONNX Runtime [\d.]+ on WebGPU/);
    const onGpu = await report('webgpu');
    assert.deepEqual([onGpu.device.requested, onGpu.device.name, onGpu.device.fallback], ['webgpu', 'webgpu', null]);
    assert.equal(onGpu.counts.done, 2);

    const auto = convert('auto', 'auto');
    assert.equal(auto.code, 0, auto.stderr);
    const onAuto = await report('auto');
    assert.equal(onAuto.device.requested, 'auto');
    assert.notEqual(onAuto.device.name, 'webgpu', 'auto never runs on a software adapter');

    for (const name of ['p0.png', 'p1.png']) {
      const [a, b] = [await pixels('webgpu', name), await pixels('auto', name)];
      let max = 0;
      for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
      assert.ok(max <= 1, `${name}: WebGPU and ${onAuto.device.name} differ by up to ${max} levels`);
    }
  });
});
