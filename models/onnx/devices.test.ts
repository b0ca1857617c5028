// What `auto` picks from what was found, whatever machine the test runs on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTO_ORDER, autoDevice, autoGpusText, devicesElsewhere, devicesElsewhereNote, isDeviceChoice, platformDeviceChoices, type InferenceDevice, type InferenceDeviceInfo } from './devices.js';

function found(available: InferenceDevice[], software: InferenceDevice[] = []): InferenceDeviceInfo[] {
  return AUTO_ORDER.map((name) => ({
    name,
    available: name === 'cpu' || available.includes(name),
    usable: name === 'cpu' || available.includes(name) || software.includes(name),
    reason: available.includes(name) || name === 'cpu' ? null : 'not here',
    kind: software.includes(name) ? 'software' : 'hardware',
    adapter: null,
    limits: null,
  }));
}

test('auto takes CUDA, then DirectML, then Core ML, then WebGPU on hardware, then the CPU', () => {
  assert.equal(autoDevice(found(['cuda', 'webgpu'])), 'cuda');
  assert.equal(autoDevice(found(['dml', 'webgpu'])), 'dml');
  assert.equal(autoDevice(found(['coreml', 'webgpu'])), 'coreml');
  assert.equal(autoDevice(found(['webgpu'])), 'webgpu');
  assert.equal(autoDevice(found([])), 'cpu');
});

test('auto never takes a device that is only usable by name, such as WebGPU on a software adapter', () => {
  assert.equal(autoDevice(found([], ['webgpu'])), 'cpu');
  assert.equal(autoDevice(found([], ['webgpu', 'dml'])), 'cpu');
});

test('device choices are the five devices and auto', () => {
  for (const choice of ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml']) assert.ok(isDeviceChoice(choice), choice);
  for (const other of ['gpu', 'CUDA', 'directml', '', undefined, 1]) assert.equal(isDeviceChoice(other), false, String(other));
});

test("each platform is offered only the devices its ONNX Runtime has, and told why the others are missing", () => {
  assert.deepEqual(platformDeviceChoices('linux'), ['auto', 'cpu', 'webgpu', 'cuda']);
  assert.deepEqual(platformDeviceChoices('win32'), ['auto', 'cpu', 'webgpu', 'cuda', 'dml']);
  assert.deepEqual(platformDeviceChoices('darwin'), ['auto', 'cpu', 'webgpu', 'coreml']);
  assert.deepEqual(devicesElsewhere('linux'), [
    { name: 'dml', reason: 'DirectML is only in ONNX Runtime for Windows' },
    { name: 'coreml', reason: 'Core ML is only in ONNX Runtime for macOS' },
  ]);
  assert.match(devicesElsewhereNote('darwin'), /^Not offered here: CUDA is only in ONNX Runtime for Linux and Windows; DirectML is only in ONNX Runtime for Windows\.$/);
  assert.equal(autoGpusText('linux'), 'CUDA or WebGPU');
  assert.equal(autoGpusText('win32'), 'CUDA, DirectML or WebGPU');
});
