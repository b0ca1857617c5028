// Telling software GPU adapters from hardware ones by what Dawn reports, and naming adapters for people.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adapterName, isSoftwareAdapter, probeGpuAdapter } from './adapter.js';

test('software adapters are recognised by their fallback flag or their names; real GPUs are not', () => {
  // As Dawn describes them (SwiftShader as measured here; the others as their drivers name themselves).
  assert.equal(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true }), true);
  assert.equal(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' }), true, 'by name when the flag is missing');
  assert.equal(isSoftwareAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }), true);
  assert.equal(isSoftwareAdapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' }), true, 'WARP on Windows');
  assert.equal(isSoftwareAdapter({ vendor: 'intel', architecture: 'gen-12lp', description: 'Intel(R) UHD Graphics 770', isFallbackAdapter: true }), true, 'the flag alone is enough');
  assert.equal(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'lovelace', description: 'NVIDIA GeForce RTX 4070', isFallbackAdapter: false }), false);
  assert.equal(isSoftwareAdapter({ vendor: 'apple', architecture: 'metal-3', description: 'Apple M2' }), false);
  assert.equal(isSoftwareAdapter({ vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7800 XT (RADV NAVI32)' }), false);
});

test('adapters are named by their description, then who made them', () => {
  assert.equal(adapterName({ vendor: 'nvidia', architecture: 'lovelace', device: '', description: 'NVIDIA GeForce RTX 4070' }), 'NVIDIA GeForce RTX 4070 (nvidia lovelace)');
  assert.equal(adapterName({ vendor: '', architecture: '', device: 'gpu0', description: '' }), 'gpu0');
});

test('with no GPU driver to find, the probe says why instead of failing', async () => {
  // An ICD list naming a driver that does not exist: the Vulkan loader finds nothing, as on a machine without a GPU.
  const probe = await probeGpuAdapter({ ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json' });
  if (process.platform !== 'linux') return; // Metal and Direct3D do not read VK_ICD_FILENAMES
  assert.equal(probe.adapter, null);
  assert.match(probe.reason!, /no WebGPU adapter|Dawn could not look/);
});
