// Every vector-Jacobian rule of the ONNX engine, run by ONNX Runtime, against TensorFlow.js's gradient of the same
// operation (cpu backend) and against a central finite difference along a random direction.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
import { assertNear, CASES, onnxGradients, referenceGradients } from './vjp-cases.js';

before(async () => {
  await initBackend('cpu');
});

for (const c of CASES) {
  test(`gradient of ${c.name}: ONNX Runtime equals tfjs and a finite difference`, async () => {
    const { rng, values, weights, outShape, lossOf, expected, dispose } = referenceGradients(c);
    const { shape, grads } = await onnxGradients(c, values, weights);
    assert.deepEqual([...shape], outShape, 'the graph and tfjs agree on the output shape');
    grads.forEach((d, i) => assertNear(d, expected[i], 1e-4, `d/dx${i}`));
    if (c.detached) return dispose();
    // Along a random direction u: (L(x + εu) − L(x − εu)) / 2ε against ⟨∇L, u⟩, in float32 (hence the tolerance).
    const eps = 1e-2;
    const dirs = values.map((v) => rng.normals(v.length));
    const shifted = (sign: number) =>
      tf.tidy(() => lossOf(values.map((v, i) => tf.tensor(v.map((x, j) => x + sign * eps * dirs[i][j]), c.shapes[i]))).dataSync()[0]);
    const numeric = (shifted(1) - shifted(-1)) / (2 * eps);
    const analytic = grads.reduce((sum, d, i) => sum + d.reduce((s, x, j) => s + x * dirs[i][j], 0), 0);
    assert.ok(Math.abs(numeric - analytic) <= 2e-2 * Math.max(1, Math.abs(analytic)), `finite difference ${numeric} vs gradient ${analytic}`);
    dispose();
  });
}
