// An independent judge of our files: the ONNX project's own checker (Debian's python3-onnx), with full shape
// inference, over every kind of net Darkroom exports. Skipped with a note on a machine without it; required in CI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { disposeNet, type Net } from '../nets/net.js';
import { buildResnetGenerator } from '../nets/resnet-generator.js';
import { buildPatchDiscriminator } from '../nets/patchgan.js';
import { buildConvDecoder, buildConvEncoder } from '../nets/pyramid.js';
import { exportNet, exportPartToFile, writeModelFile } from './export.js';
import { randomNet } from './parity-helpers.js';

// Debian's interpreter on purpose: the first python3 on PATH may be another one without onnx.
const PYTHON = '/usr/bin/python3';
const CHECK = `
import sys, onnx
for path in sys.argv[1:]:
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    print("ok", path)
`;

function checkerAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
}

let dir: string;
const nets: Net[] = [];

before(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'darkroom-onnx-check-'));
});

after(async () => {
  nets.forEach(disposeNet);
  await rm(dir, { recursive: true, force: true });
});

const skip = !checkerAvailable() && !process.env.CI ? `${PYTHON} has no onnx module (apt-get install python3-onnx); CI requires it` : false;

test('exported files pass onnx.checker.check_model(full_check=True)', { skip }, async () => {
  assert.ok(checkerAvailable(), `${PYTHON} cannot import onnx: CI must install python3-onnx`);
  const make = (spec: Parameters<typeof randomNet>[0]) => {
    const net = randomNet(spec, 1);
    nets.push(net);
    return net;
  };
  const info = { family: 'cyclegan' as const, trainSize: 32, version: '0.1.0' };
  const files: string[] = [];
  const generator = join(dir, 'generator.onnx');
  await exportPartToFile({ part: 'generator', direction: 'AtoB', net: make(buildResnetGenerator({ name: 'G_AB', ngf: 4, blocks: 2 })), input: 'image', output: 'image', description: 'A to B' }, info, generator);
  files.push(generator);
  const decoder = join(dir, 'decoder.onnx');
  await exportPartToFile({ part: 'decoder', net: make(buildConvDecoder({ name: 'decoder', size: 16, nf: 4, latent: 8, norm: 'instance' })), input: 'latent', output: 'image', description: 'z to image' }, { ...info, family: 'vae' }, decoder);
  files.push(decoder);
  const encoder = join(dir, 'encoder.onnx');
  await exportPartToFile({ part: 'encoder', net: make(buildConvEncoder({ name: 'encoder', size: 16, nf: 4, outputs: 16 })), input: 'image', output: 'vector', description: 'image to [mu, logvar]' }, { ...info, family: 'vae' }, encoder);
  files.push(encoder);
  const discriminator = join(dir, 'discriminator.onnx');
  await writeModelFile(discriminator, await exportNet(make(buildPatchDiscriminator({ name: 'D_A', ndf: 4 })), { metadata: {} }));
  files.push(discriminator);
  const plain = join(dir, 'plain-ops.onnx');
  const plainNet = make({
    name: 'plain',
    input: { kind: 'image', channels: 3 },
    layers: [
      { op: 'convTranspose', name: 't', filters: 4, kernel: 1, stride: 2, bias: false }, // output_padding path
      { op: 'act', fn: 'leakyRelu' },
      { op: 'act', fn: 'sigmoid' },
    ],
  });
  await writeModelFile(plain, await exportNet(plainNet, { metadata: { note: 'no darkroom keys' } }));
  files.push(plain);

  const run = spawnSync(PYTHON, ['-c', CHECK, ...files], { encoding: 'utf8' });
  assert.equal(run.status, 0, `onnx.checker refused an export:\n${run.stderr}`);
  assert.equal(run.stdout.trim().split('\n').length, files.length);
});
