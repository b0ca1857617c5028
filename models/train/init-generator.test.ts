// --init-generator: a run's generators start from a published PyTorch checkpoint. Our training net with the
// imported weights computes PyTorch's function (the fixtures' recorded outputs); a fine-tune starts at a lower cycle
// (CycleGAN) and PatchNCE (CUT) loss than a run from scratch with the same data and seed; run.json records the files
// and resume restores from the checkpoint; what cannot be fine-tuned is refused before anything is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
import { cut, type CutModel } from '../families/cut.js';
import { cyclegan, type CycleGanConfig, type CycleGanModel } from '../families/cyclegan.js';
import { Rng } from '../rng.js';
import type { ParamValues } from '../onnx/spec-to-onnx.js';
import { loadLatestCheckpoint } from './checkpoint.js';
import { writeGeneratorCheckpoint } from './init-generator-fixtures.js';
import { applyInitGenerators, netOptionsFromCheckpoint, readInitGenerators } from './init-generator.js';
import { runTraining } from './loop.js';
import type { RunRequest } from './options.js';
import { readMetrics, readRunInfo, runPaths } from './run-dir.js';
import { makeScenes, makeTempDir } from './test-support.js';
import { cliText } from '../../electron/remedy-words.js';

const FIXTURES = new URL('../import/fixtures/', import.meta.url).pathname;
const fixture = (name: string) => join(FIXTURES, name);
const PHOTO = { width: 80, height: 48 }; // fixtures/manifest.json
const quiet = () => undefined;

// On Darkroom's ONNX Runtime engine: ten times faster than tfjs's cpu backend here, and it runs the cropped upsampling too.
const TINY = { size: 32, batch: 1, backend: 'onnx', logEvery: 1 } as const;
const cycleganRequest = (a: string, b: string, extra: Partial<RunRequest> = {}): RunRequest => ({
  family: 'cyclegan',
  a,
  b,
  ...TINY,
  familyOptions: { ndf: 4, poolSize: 2 },
  checkpointEvery: 1000,
  sampleEvery: 1000,
  ...extra,
});

async function train(runDir: string, config: RunRequest) {
  const events: string[] = [];
  const outcome = await runTraining({ runDir, config, onEvent: (e) => e.type === 'failed' && events.push(e.message) });
  return { ...outcome, message: outcome.message ?? events[0] };
}

/** A run's generator weights from its newest checkpoint, by parameter name. */
async function generatorParams(runDir: string, net: string): Promise<ParamValues> {
  const checkpoint = await loadLatestCheckpoint(runPaths(runDir).checkpoints);
  assert.ok(checkpoint, `${runDir} has a checkpoint`);
  const params: ParamValues = new Map();
  try {
    for (const [key, t] of Object.entries(checkpoint.tensors))
      if (key.startsWith(`net/${net}/`)) params.set(key.slice(`net/${net}/`.length), { shape: t.shape.slice(), values: (await t.data()) as Float32Array });
  } finally {
    tf.dispose(Object.values(checkpoint.tensors));
  }
  return params;
}

/** How far, in 8-bit levels, a translation of the fixtures' photo is from the output PyTorch recorded for `file`. */
function levelsOff(translate: (x: tf.Tensor4D) => tf.Tensor, file: string): { mean: number; max: number } {
  const photo = new Uint8Array(readFileSync(fixture('photo.rgb')));
  const expected = new Uint8Array(readFileSync(fixture(`${file}.expected.rgb`)));
  const out = tf.tidy(() => translate(tf.tensor4d(Float32Array.from(photo, (v) => (v / 255) * 2 - 1), [1, PHOTO.height, PHOTO.width, 3])).dataSync());
  let sum = 0;
  let max = 0;
  out.forEach((y, i) => {
    const d = Math.abs(Math.min(255, Math.max(0, Math.floor((y + 1) * 127.5 + 0.5))) - expected[i]);
    sum += d;
    max = Math.max(max, d);
  });
  return { mean: sum / out.length, max };
}

test("our training generator started from a PyTorch checkpoint computes PyTorch's output (the fixture's recorded result)", async () => {
  await initBackend('cpu');
  const inits = await readInitGenerators('cyclegan', [fixture('cyclegan.safetensors')], quiet);
  const { ngf, blocks } = inits[0].generator;
  const base = cyclegan.resolveConfig({ ngf, blocks, ndf: 4 });
  const offWith = (config: CycleGanConfig) => {
    const model = cyclegan.create(config, new Rng(1)) as CycleGanModel;
    try {
      applyInitGenerators(model, inits);
      return levelsOff((x) => model.toB(x), 'cyclegan.safetensors');
    } finally {
      model.dispose();
    }
  };
  const pytorch = offWith({ ...base, upsampling: 'pytorch' });
  assert.ok(pytorch.mean <= 0.05 && pytorch.max <= 1, `PyTorch alignment: mean ${pytorch.mean}, max ${pytorch.max}`);
  // Why the run records the alignment: our own upsampling crops one pixel at the other end, a different function.
  const ours = offWith(base);
  assert.ok(ours.mean > 1, `our alignment should differ clearly; mean ${ours.mean}`);
});

test("CUT's checkpoints, anti-aliased (its default) or with --no_antialias / --no_antialias_up, start a CUT generator with their resampling that computes PyTorch's output", async () => {
  await initBackend('cpu');
  const cases = [
    ['cut.pth', 'antialiased'],
    ['cut-legacy-ngf5.pth', 'antialiased'],
    ['cut-no-antialias.pth', 'antialiased-up'],
    ['cut-no-antialias-up.safetensors', 'antialiased-down'],
  ] as const;
  for (const [file, resampling] of cases) {
    const inits = await readInitGenerators('cut', [fixture(file)], quiet);
    const config = { ...cut.resolveConfig(netOptionsFromCheckpoint('cut', { ndf: 4 }, inits)), upsampling: 'pytorch' as const };
    assert.equal(config.resampling, resampling, `${file}: the run takes the checkpoint's resampling`);
    const model = cut.create(config, new Rng(1)) as CutModel;
    try {
      applyInitGenerators(model, inits);
      const off = levelsOff((x) => model.translate(x), file);
      assert.ok(off.mean <= 0.05 && off.max <= 1, `${file}: mean ${off.mean}, max ${off.max} levels from PyTorch's output`);
    } finally {
      model.dispose();
    }
  }  // A blur filter other than CUT's (its weights fit, its function would not): refused.
  const [init] = await readInitGenerators('cut', [fixture('cut.pth')], quiet);
  const blur = init.generator.spec.layers.find((l) => l.op === 'blurDown');
  assert.ok(blur && blur.op === 'blurDown');
  blur.kernel = blur.kernel.map((_, i) => (i === 4 ? 1 : 0));
  const model = cut.create({ ...cut.resolveConfig({ ngf: 4, blocks: 1, ndf: 4, resampling: 'antialiased' }), upsampling: 'pytorch' }, new Rng(1));
  try {
    assert.throws(() => applyInitGenerators(model, [init]), /blur resampling differs from this run's generator's/);
  } finally {
    model.dispose();
  }
});

test('fine-tuning CycleGAN (and CUT) from a checkpoint starts at a lower cycle (PatchNCE) loss than from scratch; run.json records the files; resume uses the checkpoint', async (t) => {
  const dir = await makeTempDir(t);
  const { day, night } = await makeScenes(join(dir, 'data'), 4, 32);
  const ngf = 4;
  const blocks = 1;
  // A "published" CycleGAN: trained here for 80 iterations, from a PyTorch-format checkpoint of untrained weights
  // (so that it has PyTorch's alignment, as a downloaded one does), its generators saved as PyTorch would.
  await initBackend('cpu');
  const untrained = cyclegan.create({ ...cyclegan.resolveConfig({ ngf, blocks, ndf: 4 }), upsampling: 'pytorch' }, new Rng(99)) as CycleGanModel;
  const start = [join(dir, 'start_G_A.safetensors'), join(dir, 'start_G_B.safetensors')];
  try {
    for (const [i, net] of [untrained.nets.G_AB, untrained.nets.G_BA].entries()) {
      const params: ParamValues = new Map([...net.params].map(([name, v]) => [name, { shape: v.shape.slice(), values: v.dataSync() as Float32Array }]));
      await writeGeneratorCheckpoint(start[i], params, ngf, blocks);
    }
  } finally {
    untrained.dispose();
  }
  const published = join(dir, 'published');
  const source = await train(published, cycleganRequest(day, night, { seed: 1, iterations: 80, initGenerator: start }));
  assert.equal(source.status, 'done', source.message);
  const files = [join(dir, 'latest_net_G_A.safetensors'), join(dir, 'latest_net_G_B.safetensors')];
  await writeGeneratorCheckpoint(files[0], await generatorParams(published, 'G_AB'), ngf, blocks);
  await writeGeneratorCheckpoint(files[1], await generatorParams(published, 'G_BA'), ngf, blocks);

  const fineTune = join(dir, 'fine-tune');
  const scratch = join(dir, 'scratch');
  // No --ngf/--blocks: the fine-tune takes the checkpoint's size; the scratch run is given the same.
  const tuned = await train(fineTune, cycleganRequest(day, night, { seed: 5, iterations: 3, checkpointEvery: 3, initGenerator: files }));
  assert.equal(tuned.status, 'done', tuned.message);
  const fresh = await train(scratch, cycleganRequest(day, night, { seed: 5, iterations: 3, familyOptions: { ngf, blocks, ndf: 4, poolSize: 2 } }));
  assert.equal(fresh.status, 'done', fresh.message);
  const cycle = async (run: string) => {
    const first = (await readMetrics(run))[0];
    return first.losses.cycle_A + first.losses.cycle_B;
  };
  const [tunedCycle, freshCycle] = [await cycle(fineTune), await cycle(scratch)];
  t.diagnostic(`first cycle loss: fine-tune ${tunedCycle.toFixed(3)}, scratch ${freshCycle.toFixed(3)}`);
  assert.ok(tunedCycle < 0.7 * freshCycle, `fine-tune's first cycle loss ${tunedCycle} should be well below scratch's ${freshCycle}`);

  const info = await readRunInfo(fineTune);
  assert.deepEqual([info.config.ngf, info.config.blocks, info.config.upsampling], [ngf, blocks, 'pytorch']);
  const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
  assert.deepEqual(
    info.initGenerators?.map((r) => [r.direction, r.name, r.sha256, r.format]),
    [
      ['AtoB', 'latest_net_G_A.safetensors', sha(files[0]), 'safetensors'],
      ['BtoA', 'latest_net_G_B.safetensors', sha(files[1]), 'safetensors'],
    ],
  );
  // CUT likewise: its published generator trained here as CUT (the PatchNCE heads are never published: they start
  // from the seed in both runs), from the same untrained PyTorch-format start.
  const cut = (extra: Partial<RunRequest>): RunRequest => ({ family: 'cut', a: day, b: night, ...TINY, checkpointEvery: 1000, sampleEvery: 1000, iterations: 1, seed: 5, ...extra });
  const cutSource = await train(join(dir, 'cut-published'), cut({ seed: 1, iterations: 150, initGenerator: [start[0]], familyOptions: { ndf: 4, patches: 16 } }));
  assert.equal(cutSource.status, 'done', cutSource.message);
  const cutFile = join(dir, 'latest_net_G.safetensors');
  await writeGeneratorCheckpoint(cutFile, await generatorParams(join(dir, 'cut-published'), 'G'), ngf, blocks);
  const tunedCut = await train(join(dir, 'cut-fine-tune'), cut({ initGenerator: [cutFile], familyOptions: { ndf: 4, patches: 16 } }));
  assert.equal(tunedCut.status, 'done', tunedCut.message);
  const freshCut = await train(join(dir, 'cut-scratch'), cut({ familyOptions: { ngf, blocks, ndf: 4, patches: 16 } }));
  assert.equal(freshCut.status, 'done', freshCut.message);
  const nce = async (run: string) => {
    const { losses } = (await readMetrics(join(dir, run)))[0];
    return losses.nce_A + losses.nce_B;
  };
  const [tunedNce, freshNce] = [await nce('cut-fine-tune'), await nce('cut-scratch')];
  t.diagnostic(`first PatchNCE loss: fine-tune ${tunedNce.toFixed(3)}, scratch ${freshNce.toFixed(3)}`);
  assert.ok(tunedNce < freshNce, `CUT fine-tune's first PatchNCE loss ${tunedNce} should be below scratch's ${freshNce}`);

  // Resume restores the checkpoint and never reads the files again: they may be gone.
  await Promise.all(files.map((f) => rm(f)));
  const resumed = await runTraining({ runDir: fineTune, resume: true, overrides: { iterations: 4 }, onEvent: quiet });
  assert.equal(resumed.status, 'done', resumed.message);
  assert.equal((await readRunInfo(fineTune)).iteration, 4);
});

test("fine-tuning CUT from an anti-aliased checkpoint (CUT's default) starts at a lower PatchNCE loss than from scratch; run.json records its resampling; resume works", async (t) => {
  const dir = await makeTempDir(t);
  const { day, night } = await makeScenes(join(dir, 'data'), 4, 32);
  const [ngf, blocks] = [4, 1];
  const cutRun = (extra: Partial<RunRequest>): RunRequest => ({ family: 'cut', a: day, b: night, ...TINY, checkpointEvery: 1000, sampleEvery: 1000, iterations: 1, seed: 5, ...extra });
  const nets = { ndf: 4, patches: 16 };
  // A "published" anti-aliased CUT: trained here, its generator saved as CUT's state dict (with the blur buffers).
  const published = join(dir, 'published');
  const source = await train(published, cutRun({ seed: 1, iterations: 100, familyOptions: { ...nets, ngf, blocks, resampling: 'antialiased' } }));
  assert.equal(source.status, 'done', source.message);
  const file = join(dir, 'latest_net_G.safetensors');
  await writeGeneratorCheckpoint(file, await generatorParams(published, 'G'), ngf, blocks, { antialiasDown: true, antialiasUp: true, dropout: false });

  const fineTune = join(dir, 'fine-tune');
  const tuned = await train(fineTune, cutRun({ initGenerator: [file], familyOptions: nets })); // size and resampling from the file
  assert.equal(tuned.status, 'done', tuned.message);
  const fresh = await train(join(dir, 'scratch'), cutRun({ familyOptions: { ...nets, ngf, blocks, resampling: 'antialiased' } }));
  assert.equal(fresh.status, 'done', fresh.message);
  const nce = async (run: string) => {
    const { losses } = (await readMetrics(run))[0];
    return losses.nce_A + losses.nce_B;
  };
  const [tunedNce, freshNce] = [await nce(fineTune), await nce(join(dir, 'scratch'))];
  t.diagnostic(`first PatchNCE loss: fine-tune ${tunedNce.toFixed(3)}, scratch ${freshNce.toFixed(3)}`);
  assert.ok(tunedNce < freshNce, `the fine-tune's first PatchNCE loss ${tunedNce} should be below scratch's ${freshNce}`);

  const info = await readRunInfo(fineTune);
  assert.deepEqual([info.config.ngf, info.config.blocks, info.config.resampling], [ngf, blocks, 'antialiased']);
  assert.match(info.initGenerators?.[0].architecture ?? '', /CUT ResnetGenerator \(anti-aliased;/);
  await rm(file); // resume restores the run's checkpoint, not the file
  const resumed = await runTraining({ runDir: fineTune, resume: true, overrides: { iterations: 2 }, onEvent: quiet });
  assert.equal(resumed.status, 'done', resumed.message);
  assert.equal((await readRunInfo(fineTune)).iteration, 2);

  // The fixture itself (a CUT generator as the reference's code saves it) starts a run too.
  const fromFixture = await train(join(dir, 'from-cut-pth'), cutRun({ initGenerator: [fixture('cut.pth')], familyOptions: nets }));
  assert.equal(fromFixture.status, 'done', fromFixture.message);
  assert.equal((await readRunInfo(join(dir, 'from-cut-pth'))).config.resampling, 'antialiased');
});

test('what cannot start a run is refused as bad input, naming the file and what to do, before a run folder is written', async (t) => {
  const dir = await makeTempDir(t);
  const { day, night } = await makeScenes(join(dir, 'data'), 2, 32);
  const notAFile = join(dir, 'missing.pth');
  const text = join(dir, 'notes.pth');
  await writeFile(text, 'not a checkpoint at all');
  const cases: [Partial<RunRequest>, RegExp][] = [
    [{ familyOptions: { ngf: 8, blocks: 1 }, initGenerator: [fixture('cyclegan.safetensors')] }, /holds a generator with ngf 4 and 1 residual blocks, but this run's generator has ngf 8 and 1 blocks.*leave out --ngf, --blocks and --preset.*--ngf 4 --blocks 1/],
    [{ familyOptions: { blocks: 3 }, initGenerator: [fixture('cyclegan.safetensors')] }, /ngf 4 and 1 residual blocks, but this run's generator has ngf 32 and 3 blocks/],
    [{ initGenerator: [fixture('cyclegan.safetensors'), fixture('cyclegan-zip.pth')] }, /has ngf 4 and 1 blocks but .*cyclegan-zip.pth has ngf 4 and 2/],
    [{ initGenerator: [fixture('cut.pth')] }, /cut.pth holds a CUT ResnetGenerator \(anti-aliased;.*fine-tune it in a CUT run.*--no_antialias and --no_antialias_up/],
    [{ initGenerator: [fixture('cut-no-antialias.pth')] }, /anti-aliased upsampling, --no_antialias.*fine-tune it in a CUT run/],
    [{ family: 'cut', familyOptions: { resampling: 'strided' }, initGenerator: [fixture('cut.pth')] }, /whose resampling is antialiased, but this run's generator has --resampling strided: leave out --resampling.*--resampling antialiased/],
    [{ family: 'cut', initGenerator: [fixture('cyclegan.safetensors'), fixture('cyclegan.safetensors')] }, /takes one file for cut/],
    [{ initGenerator: [fixture('unknown.pth')] }, /unknown.pth is not a generator Darkroom knows/],
    [{ initGenerator: [fixture('evil-zip.pth')] }, /asks to run posix.system/],
    [{ initGenerator: [text] }, /notes.pth is not a PyTorch checkpoint/],
    [{ initGenerator: [notAFile] }, /missing.pth does not exist: check the path/],
    [{ initGenerator: [dir] }, /is a folder/],
  ];
  for (const [i, [extra, message]] of cases.entries()) {
    const runDir = join(dir, `run${i}`);
    const outcome = await train(runDir, cycleganRequest(day, night, { seed: 1, iterations: 1, ...extra, familyOptions: { ndf: 4, ...(extra.familyOptions ?? {}) } }));
    assert.equal(outcome.status, 'failed', `case ${i}`);
    assert.equal(outcome.badInput, true, `case ${i}: ${outcome.message}`);
    assert.match(cliText(outcome.message ?? ''), message, `case ${i}`);
    assert.equal((await readdir(runDir).catch(() => [])).length, 0, `case ${i} wrote nothing`);
  }
  const ae = await train(join(dir, 'ae'), { family: 'ae', data: day, ...TINY, iterations: 1, initGenerator: [fixture('cyclegan.safetensors')] });
  assert.match(cliText(ae.message ?? ''), /--init-generator starts a translator \(cyclegan, cut\).*ae has none/);
});
