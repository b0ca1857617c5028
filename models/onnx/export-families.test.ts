// Every part every family exports (models/families/*), built small with random weights, through exportPart:
// ONNX Runtime must compute what TensorFlow.js computes within 1e-4, and the metadata must say what the part is.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.js';
import { FAMILIES } from '../families/index.js';
import { FAMILY_IDS, type FamilyId } from '../families/family.js';
import { isFullyConvolutional } from '../nets/spec.js';
import { exportPart } from './export.js';
import { openModel } from './runtime.js';
import { compareWithTfjs, randomizeParams } from './parity-helpers.js';

const TOLERANCE = 1e-4;

const SMALL: Record<FamilyId, Record<string, unknown>> = {
  ae: { size: 16, latent: 8, nf: 4 },
  vae: { size: 16, latent: 4, nf: 4 },
  gan: { size: 16, latent: 6, ngf: 4, ndf: 4 },
  cyclegan: { size: 32, ngf: 4, ndf: 4, blocks: 1 },
  cut: { size: 32, ngf: 4, ndf: 4, blocks: 1, patches: 16 },
};

before(async () => {
  await tf.setBackend('cpu');
});

for (const id of FAMILY_IDS) {
  test(`${id}: every exported part matches tfjs and carries its metadata`, async () => {
    const family = FAMILIES[id];
    const model = family.create(family.resolveConfig(SMALL[id]), new Rng(3));
    try {
      const parts = model.exportParts();
      assert.ok(parts.length > 0, `${id} exports nothing`);
      for (const [i, part] of parts.entries()) {
        randomizeParams(part.net, 40 + i);
        const bytes = await exportPart(part, { family: id, trainSize: 16, version: '9.9.9' });
        const { spec } = part.net;
        const shapes =
          spec.input.kind === 'vector'
            ? [[2, spec.input.size]]
            : isFullyConvolutional(spec)
              ? [[1, 32, 32, 3], [1, 28, 36, 3], [1, 30, 26, 3]]
              : [[2, spec.input.height!, spec.input.width!, spec.input.channels]];
        for (const shape of shapes) {
          const r = await compareWithTfjs(part.net, shape, 5, bytes);
          const where = `${id} ${part.part}${part.direction ? ` ${part.direction}` : ''} on [${shape.join(', ')}]`;
          assert.deepEqual(r.onnxDims, r.tfDims, `${where}: output dims`);
          assert.ok(r.maxAbs > 0.05, `${where}: outputs are all near zero`);
          assert.ok(r.maxAbsDiff <= TOLERANCE, `${where}: ONNX differs from tfjs by ${r.maxAbsDiff}`);
        }
        const opened = await openModel(bytes, { device: 'cpu' });
        try {
          assert.equal(opened.metadata['darkroom.family'], id);
          assert.equal(opened.metadata['darkroom.part'], part.part);
          assert.equal(opened.metadata['darkroom.direction'], part.direction ?? 'none');
          assert.equal(opened.metadata['darkroom.input'], part.input);
          assert.equal(opened.metadata['darkroom.trainSize'], '16');
          assert.equal(opened.metadata['darkroom.version'], '9.9.9');
        } finally {
          await opened.dispose();
        }
      }
    } finally {
      model.dispose();
    }
  });
}
