import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, METHOD_NAMES, dispatch, toErrorBody, validateRequest, type StudioHandlers } from './api.js';
import { UsageError } from '../models/errors.js';
import { DatasetError } from '../models/data/folder-dataset.js';
import { ImageReadError } from '../models/data/image-io.js';
import { OnnxModelError } from '../models/onnx/model-error.js';

test('every method has a validator, and unknown methods are refused by name', () => {
  assert.ok(METHOD_NAMES.includes('training.start'));
  assert.ok(METHOD_NAMES.includes('batch.cancel'));
  assert.throws(() => validateRequest('shell.exec', {}), /unknown method "shell.exec"/);
});

test('requests are checked field by field with messages that say what to fix', () => {
  const train = { family: 'cyclegan', datasets: { a: 'day', b: 'night' }, size: 64, iterations: 100 };
  assert.deepEqual(validateRequest('training.start', train), train);
  const onGpu = { ...train, backend: 'onnx', device: 'webgpu' };
  assert.deepEqual(validateRequest('training.start', onGpu), onGpu);
  const fineTune = { ...train, initGenerator: ['/models/latest_net_G_A.pth', '/models/latest_net_G_B.pth'] };
  assert.deepEqual(validateRequest('training.start', fineTune), fineTune);
  const cases: [string, unknown, RegExp][] = [
    ['training.start', { ...train, size: 30 }, /multiple of 4/],
    ['training.start', { ...train, iterations: 0 }, /"iterations" must be a whole number from 1/],
    ['training.start', { ...train, family: 'diffusion' }, /"family" must be one of ae, vae, gan, cyclegan/],
    ['training.start', { ...train, datasets: { a: 'day' } }, /cyclegan needs two datasets: choose a dataset for B/],
    ['training.start', { ...train, family: 'vae' }, /vae trains on one dataset/],
    ['training.start', { ...train, advanced: { 'bad key': 1 } }, /not a valid name/],
    ['training.start', { ...train, extra: true }, /unknown field "extra"/],
    ['training.start', { ...train, backend: 'onnx', device: 'tpu' }, /"device" must be one of auto, cpu, webgpu, cuda, dml, coreml/],
    ['training.start', { ...train, initGenerator: 'G_A.pth' }, /"initGenerator" must be a list of one or two checkpoint paths/],
    ['training.start', { ...train, initGenerator: ['a.pth', 'b.pth', 'c.pth'] }, /one or two checkpoint paths \(A → B, then B → A\) for cyclegan/],
    ['training.start', { ...train, family: 'cut', initGenerator: ['a.pth', 'b.pth'] }, /list of one checkpoint path for cut/],
    ['training.start', { ...train, initGenerator: [''] }, /"initGenerator\[0\]" must be a non-empty string/],
    ['training.start', { family: 'ae', datasets: { a: 'day' }, size: 64, iterations: 100, initGenerator: ['a.pth'] }, /ae has none/],
    ['runs.get', { runId: '../etc' }, /not a valid id/],
    ['runs.get', {}, /"runId" must be a non-empty string/],
    ['datasets.add', { path: 'a\0b' }, /NUL/],
    ['convert.image', { modelId: 'm', image: { path: '/x.png', base64: 'AA' } }, /either as "path" or as "name" \+ "base64"/],
    ['convert.image', { modelId: 'm', image: { name: '../x.png', base64: 'AA' } }, /file name, not a path/],
    ['batch.start', { modelId: 'm', input: '/in', output: '/out', format: 'bmp' }, /"format" must be one of same, jpg/],
    ['batch.start', { modelId: 'm', input: '/in', output: '/out', device: 'tpu' }, /"device" must be one of auto, cpu, webgpu, cuda, dml, coreml/],
    ['convert.image', { modelId: 'm', image: { name: 'x.png', base64: 'AA' }, device: 'gpu' }, /"device" must be one of auto, cpu, webgpu/],
    ['models.generate', { id: 'm', count: 1000 }, /"count" must be a whole number from 1 to 64/],
    ['app.info', [], /must be an object/],
  ];
  for (const [method, request, message] of cases) assert.throws(() => validateRequest(method, request), message, `${method} ${JSON.stringify(request)}`);
});

test('convert and batch requests may name the device the model runs on', () => {
  const batch = { modelId: 'm', input: '/in', output: '/out', device: 'webgpu' };
  assert.deepEqual(validateRequest('batch.start', batch), batch);
  const image = { modelId: 'm', image: { name: 'x.png', base64: 'AA' }, device: 'cpu' };
  assert.deepEqual(validateRequest('convert.image', image), image);
  assert.equal('device' in validateRequest('convert.image', { modelId: 'm', image: { name: 'x.png', base64: 'AA' } }), false, 'left out, auto decides');
});

test('dispatch validates before calling the handler and carries service errors unchanged', async () => {
  const seen: unknown[] = [];
  const handlers = new Proxy({} as StudioHandlers, {
    get: (_target, method) => async (request: unknown) => {
      seen.push([method, request]);
      if (method === 'runs.delete') throw new ApiError('conflict', 'Run "x" is training: stop it before deleting it.');
      return { ok: true };
    },
  });
  await assert.rejects(dispatch(handlers, 'runs.get', { runId: '../x' }), /not a valid id/);
  assert.deepEqual(seen, [], 'an invalid request never reaches the handler');
  assert.deepEqual(await dispatch(handlers, 'runs.get', { runId: 'x' }), { ok: true });
  const error = await dispatch(handlers, 'runs.delete', { runId: 'x' }).catch((e: unknown) => toErrorBody(e));
  assert.deepEqual(error, { code: 'conflict', message: 'Run "x" is training: stop it before deleting it.' });
  assert.deepEqual(toErrorBody(new UsageError('--size must be at least 8')), { code: 'bad-request', message: '--size must be at least 8' });
  const userFixable = [
    new DatasetError('day', 'NO_IMAGES', 'no images in day'),
    new ImageReadError('a.png', 'CORRUPT', 'the file is damaged'),
    new OnnxModelError('model m.onnx is an empty file'),
  ];
  for (const error of userFixable) assert.equal(toErrorBody(error).code, 'bad-request', error.name);
  const lookalike = Object.assign(new Error('disk on fire'), { name: 'UsageError' });
  assert.equal(toErrorBody(lookalike).code, 'failed', 'sorted by class, never by name');
  assert.equal(toErrorBody(new TypeError('boom')).code, 'failed');
});
