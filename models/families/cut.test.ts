import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
import { isFullyConvolutional } from '../nets/spec.js';
import { Rng } from '../rng.js';
import { cut, nceTaps, type CutModel } from './cut.js';
import { assertExactResume, assertNoLeaks, batchSource, syntheticImages, toBatch, train } from './test-support.js';

const SIZE = 32;
const domainA = syntheticImages(1, 8, SIZE);
const domainB = syntheticImages(2, 8, SIZE).map((img) => img.map((v, i) => (i % 3 === 2 ? 0.5 * v + 0.3 : 0.5 * v - 0.4)));
const TINY = { size: SIZE, ngf: 4, ndf: 4, blocks: 2, patches: 32 };

before(async () => {
  await initBackend('wasm', { threads: 1 });
});

test('cut and fastcut take the reference settings: λ_NCE 1 with the identity term, or 10 with flip-equivariance', () => {
  const c = cut.resolveConfig({});
  assert.deepEqual([c.mode, c.lambdaNce, c.identity, c.flipEquivariance, c.lambdaGan, c.patches, c.lr, c.size], ['cut', 1, true, false, 1, 256, 2e-4, 128]);
  const f = cut.resolveConfig({ mode: 'fastcut' });
  assert.deepEqual([f.mode, f.lambdaNce, f.identity, f.flipEquivariance], ['fastcut', 10, false, true]);
  assert.equal(cut.resolveConfig({ mode: 'fastcut', lambdaNce: 3 }).lambdaNce, 3);
  assert.throws(() => cut.resolveConfig({ mode: 'halfcut' }), /mode/);
});

test('PatchNCE taps the input, the stem conv, both downsampling convs and the middle residual block', () => {
  const model = cut.create(cut.resolveConfig({ ...TINY, blocks: 5 }), new Rng(1)) as CutModel;
  const spec = model.nets.G.spec;
  const taps = nceTaps(spec);
  const names = taps.map((t) => (t.index < 0 ? 'input' : spec.layers[t.index].op === 'residual' ? `residual ${spec.layers.slice(0, t.index + 1).filter((l) => l.op === 'residual').length} of 5` : (spec.layers[t.index] as { name: string }).name));
  assert.deepEqual(names, ['input', 'stem', 'down0', 'down1', 'residual 3 of 5']);
  assert.deepEqual(taps.map((t) => t.channels), [3, 4, 8, 16, 16]);
  assert.deepEqual(Object.keys(model.nets), ['G', 'D', 'H0', 'H1', 'H2', 'H3', 'H4']);
  model.dispose();
});

test("an anti-aliased generator's taps are the same convs, before their blurs (down0 at full resolution, as CUT taps it)", () => {
  const model = cut.create(cut.resolveConfig({ ...TINY, blocks: 5, resampling: 'antialiased' }), new Rng(1)) as CutModel;
  const spec = model.nets.G.spec;
  const taps = nceTaps(spec);
  assert.deepEqual(taps.slice(1, 4).map((t) => (spec.layers[t.index] as { name: string }).name), ['stem', 'down0', 'down1']);
  assert.equal(spec.layers[taps[4].index].op, 'residual');
  assert.deepEqual(taps.map((t) => [t.channels, t.stride]), [[3, 1], [4, 1], [8, 1], [16, 2], [16, 4]]);
  assert.ok(spec.layers.some((l) => l.op === 'blurDown') && spec.layers.some((l) => l.op === 'blurUp'));
  assert.equal(cut.resolveConfig({}).resampling, 'strided', "today's generators stay the default");
  model.dispose();
});

const STEP_CASES = [
  { mode: 'cut', resampling: 'strided' },
  { mode: 'fastcut', resampling: 'strided' },
  { mode: 'cut', resampling: 'antialiased' }, // on wasm: its blurs and replicate pads have gradients there too
] as const;
for (const { mode, resampling } of STEP_CASES) {
  test(`${mode} (${resampling}): one step trains the generator, the discriminator and every PatchNCE head`, async () => {
    const model = cut.create(cut.resolveConfig({ ...TINY, mode, resampling }), new Rng(2)) as CutModel;
    const before = new Map([...Object.entries(model.nets)].flatMap(([net, n]) => [...n.params].map(([p, v]) => [`${net}/${p}`, v.arraySync()])));
    const losses = await model.trainStep(batchSource(domainA, SIZE, 1, 1, domainB).next, 1);
    assert.deepEqual(Object.keys(losses), mode === 'cut' ? ['D', 'G', 'nce_A', 'nce_B'] : ['D', 'G', 'nce_A']);
    assert.ok(Object.values(losses).every((v) => Number.isFinite(v) && v > 0), JSON.stringify(losses));
    for (const [net, n] of Object.entries(model.nets)) {
      // Biases before an instance norm have no gradient (the norm cancels them): they alone stay.
      const moved = [...n.params].filter(([p, v]) => JSON.stringify(v.arraySync()) !== JSON.stringify(before.get(`${net}/${p}`)));
      assert.ok(moved.length > 0, `${net} did not change`);
      if (net.startsWith('H')) assert.equal(moved.length, n.params.size, `every parameter of head ${net} receives a gradient`);
    }
    model.dispose();
  });
}

test('cut: the NCE loss falls as the generator learns to keep its input’s patches', async () => {
  const model = cut.create(cut.resolveConfig({ ...TINY, lr: 1e-3 }), new Rng(3));
  const history = await train(model, batchSource(domainA, SIZE, 1, 4, domainB).next, 40);
  const mean = (from: number, to: number) => history.slice(from, to).reduce((s, h) => s + h.nce_A, 0) / (to - from);
  assert.ok(mean(30, 40) < 0.8 * mean(0, 10), `nce_A ${mean(0, 10)} → ${mean(30, 40)}`);
  model.dispose();
});

test('cut and fastcut: no tensor leaks', async () => {
  for (const [mode, resampling] of [['cut', 'strided'], ['fastcut', 'strided'], ['fastcut', 'antialiased']]) {
    const model = cut.create(cut.resolveConfig({ ...TINY, mode, resampling }), new Rng(4));
    await assertNoLeaks(model, batchSource(domainA, SIZE, 1, 2, domainB).next, 2);
    model.dispose();
  }
});

test('cut and fastcut: a restored state (weights, heads, Adams, location and flip stream) continues training exactly', async () => {
  for (const mode of ['cut', 'fastcut']) {
    await assertExactResume(cut, cut.resolveConfig({ ...TINY, mode }), { a: domainA, b: domainB, size: SIZE, batch: 1 }, 2);
  }
});

test('cut: sample grid rows (real A, translated, and the identity of B); exports the A → B generator only', () => {
  const model = cut.create(cut.resolveConfig(TINY), new Rng(5));
  const fixed = { a: toBatch(domainA.slice(0, 2), SIZE), b: toBatch(domainB.slice(0, 2), SIZE) };
  const grid = model.sampleGrid(fixed);
  assert.deepEqual(grid.rows.map((r) => r.label), ['real A', 'A → B', 'real B', 'B → B (identity)']);
  tf.dispose([fixed.a, fixed.b, ...grid.rows.map((r) => r.images)]);
  const parts = model.exportParts();
  assert.deepEqual(parts.map((p) => [p.part, p.direction]), [['generator', 'AtoB']]);
  assert.ok(isFullyConvolutional(parts[0].net.spec));
  model.dispose();
  const fast = cut.create(cut.resolveConfig({ ...TINY, mode: 'fastcut' }), new Rng(5));
  const fixed2 = { a: toBatch(domainA.slice(0, 2), SIZE), b: toBatch(domainB.slice(0, 2), SIZE) };
  const fastGrid = fast.sampleGrid(fixed2);
  assert.deepEqual(fastGrid.rows.map((r) => r.label), ['real A', 'A → B']);
  tf.dispose([fixed2.a, fixed2.b, ...fastGrid.rows.map((r) => r.images)]);
  fast.dispose();
});
