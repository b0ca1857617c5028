// Which devices are probed and what is suggested, on any platform and machine: the probes are stand-ins here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeDevices, type ProviderProbes } from './providers.js';
import { cliText } from '../../electron/remedy-words.js';

const noGpu = async () => ({ adapter: null, reason: 'no GPU adapter' }) as const;

function probes(platform: string, files: string[]): ProviderProbes {
  return {
    runtimeVersion: '1.0.0',
    compiledIn: ['cpu', 'webgpu', 'cuda', 'dml', 'coreml'],
    binaryDir: '/ort/bin',
    tryProvider: async () => 'not here',
    platform,
    exists: (path) => files.includes(path),
    gpuAdapter: noGpu,
  };
}

test('Linux is not offered DirectML or Core ML: they are named apart, with why', async () => {
  const report = await probeDevices(probes('linux', []));
  assert.deepEqual(report.devices.map((d) => d.name), ['cuda', 'webgpu', 'cpu']);
  assert.deepEqual(report.elsewhere.map((d) => d.name), ['dml', 'coreml']);
  const mac = await probeDevices(probes('darwin', []));
  assert.deepEqual(mac.devices.map((d) => d.name), ['coreml', 'webgpu', 'cpu']);
  assert.match(mac.elsewhere.map((d) => d.reason).join('; '), /CUDA is only in ONNX Runtime for Linux and Windows/);
});

test('`darkroom setup cuda` is suggested only where an NVIDIA GPU is seen', async () => {
  const without = (await probeDevices(probes('linux', []))).devices.find((d) => d.name === 'cuda')!;
  assert.match(without.reason!, /no NVIDIA GPU was found/);
  assert.doesNotMatch(cliText(without.reason!), /setup cuda/);
  const driver = (await probeDevices(probes('linux', ['/proc/driver/nvidia/version']))).devices.find((d) => d.name === 'cuda')!;
  assert.match(driver.reason!, /CUDA provider library is not installed/);
  if (process.arch === 'x64') assert.match(cliText(driver.reason!), /run `darkroom setup cuda`/);
  // An NVIDIA adapter seen through Dawn counts too, whatever the driver files.
  const adapter = { vendor: 'nvidia', architecture: 'ada', device: '', description: 'NVIDIA GeForce RTX 4070', software: false, maxBufferSize: 1, maxStorageBufferBindingSize: 1, features: [] };
  const seen = await probeDevices({ ...probes('linux', []), gpuAdapter: async () => ({ adapter, reason: null }) });
  const reason = seen.devices.find((d) => d.name === 'cuda')!.reason!;
  assert.match(reason, /CUDA provider library is not installed/);
  if (process.arch === 'x64') assert.match(cliText(reason), /run `darkroom setup cuda`/);
  // A software adapter is no NVIDIA GPU, whatever it calls itself.
  const software = await probeDevices({ ...probes('linux', []), gpuAdapter: async () => ({ adapter: { ...adapter, software: true }, reason: null }) });
  assert.match(software.devices.find((d) => d.name === 'cuda')!.reason!, /no NVIDIA GPU was found/);
});
