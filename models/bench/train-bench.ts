// npm run bench:train — seconds per CycleGAN iteration (light preset, batch 1; medians of the timed iterations) at
// 64 and 128 px on every training backend available here — onnx (Darkroom's ONNX Runtime engine) on the CPU with all
// cores and with one, and on every GPU provider found — measured side by side in one run, with the ratio to `cpu`; CUT and FastCUT with
// the same preset, size and backend, with their ratio to CycleGAN's time; and, when Debian's
// python3-torch is installed (apt-get install python3-torch; a benchmark reference only, never a dependency), the
// same networks and losses in PyTorch on the CPU (pytorch-cyclegan.py) in the same run, since this machine's speed
// drifts by a third over minutes and a figure measured at another time compares badly.
//   options: --sizes 64,128  --backends onnx,onnx-1,onnx-webgpu,onnx-cuda,onnx-dml,onnx-coreml,wasm,wasm-1,cpu,pytorch  --iterations N (timed iterations on fast backends)
//            --models cyclegan,cut,fastcut (which translation models to time; CUT and FastCUT skip cpu, too slow)
//            --pytorch-command "PYTHON SCRIPT" (how to run pytorch-cyclegan.py, by default with /usr/bin/python3;
//            for example another interpreter with a newer PyTorch)
//            --warmup N (untimed iterations first on fast backends, default 2: the first ones also pay for V8
//            compiling tfjs's JavaScript on a background thread, which competes with the two compute threads)
//            --preset light|standard (default light)  --baseline SETUP (ratios against this one of --backends, default cpu)
//            --include-software (time webgpu even on a software adapter, which otherwise claims no speed)
//            --profile (also print, per backend and size, where the fastest timed iteration spent its time:
//            exclusive milliseconds and calls per kernel; kernels composed of others are charged only their own part)
// The `cpu` backend needs minutes per iteration; it runs one timed iteration per size.
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { existsSync, realpathSync } from 'node:fs';
import { initBackend, type BackendPreference } from '../backend/index.js';
import { OnnxEngine } from '../diff/onnx-engine.js';
import type { DeviceChoice } from '../onnx/devices.js';
import { CYCLEGAN_PRESETS } from '../families/cyclegan.js';
import { getFamily } from '../families/index.js';
import { Rng } from '../rng.js';

interface Setup {
  label: string;
  preference: BackendPreference;
  threads?: number;
  device?: DeviceChoice;
}

function parseFlag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const sizes = parseFlag('sizes', '64,128').split(',').map(Number);
const timedIterations = Number(parseFlag('iterations', '4'));
const warmUpIterations = Number(parseFlag('warmup', '2'));
const cores = availableParallelism();
const preset = parseFlag('preset', 'light') as keyof typeof CYCLEGAN_PRESETS;
/** The models timed, by label: the family and its options beside size and preset. */
const MODELS: Record<string, { family: 'cyclegan' | 'cut'; options: Record<string, unknown> }> = {
  cyclegan: { family: 'cyclegan', options: {} },
  cut: { family: 'cut', options: { mode: 'cut' } },
  fastcut: { family: 'cut', options: { mode: 'fastcut' } },
};
const models = parseFlag('models', 'cyclegan,cut,fastcut').split(',');
for (const m of models) if (!MODELS[m]) throw new Error(`unknown model "${m}"; use ${Object.keys(MODELS).join(', ')}`);
const baseline = parseFlag('baseline', 'cpu');
const ALL_SETUPS: Record<string, Setup> = {
  tensorflow: { label: 'tensorflow', preference: 'tensorflow' },
  webgpu: { label: 'webgpu', preference: 'webgpu' },
  wasm: { label: `wasm ×${cores}`, preference: 'wasm', threads: cores },
  'wasm-1': { label: 'wasm ×1', preference: 'wasm', threads: 1 },
  onnx: { label: `onnx cpu ×${cores}`, preference: 'onnx', device: 'cpu', threads: cores },
  'onnx-1': { label: 'onnx cpu ×1', preference: 'onnx', device: 'cpu', threads: 1 },
  'onnx-webgpu': { label: 'onnx webgpu', preference: 'onnx', device: 'webgpu' },
  'onnx-cuda': { label: 'onnx cuda', preference: 'onnx', device: 'cuda' },
  'onnx-dml': { label: 'onnx dml', preference: 'onnx', device: 'dml' },
  'onnx-coreml': { label: 'onnx coreml', preference: 'onnx', device: 'coreml' },
  cpu: { label: 'cpu', preference: 'cpu' },
};
const requested = parseFlag('backends', 'tensorflow,onnx,onnx-1,onnx-webgpu,onnx-cuda,onnx-dml,onnx-coreml,wasm,wasm-1,pytorch,cpu').split(',');
const setups = requested.filter((k) => k !== 'pytorch').map((k) => {
  const setup = ALL_SETUPS[k];
  if (!setup) throw new Error(`unknown backend "${k}"; use ${Object.keys(ALL_SETUPS).join(', ')}, pytorch`);
  return setup;
});

const PROFILE = process.argv.includes('--profile');

/** Exclusive time per kernel name, recorded while `recording` is set (kernels wrapped once per backend). */
const kernelTimes = new Map<string, { ms: number; calls: number }>();
let recording = false;
const wrappedBackends = new Set<string>();

function wrapKernels(backendName: string): void {
  if (wrappedBackends.has(backendName)) return;
  wrappedBackends.add(backendName);
  const childTime: number[] = []; // per open kernel call: time spent in kernels it called
  for (const config of tf.getKernelsForBackend(backendName)) {
    const inner = config.kernelFunc;
    (config as { kernelFunc: tf.KernelFunc }).kernelFunc = ((args: Parameters<tf.KernelFunc>[0]) => {
      if (!recording) return inner(args);
      childTime.push(0);
      const start = performance.now();
      const out = inner(args);
      const elapsed = performance.now() - start;
      const nested = childTime.pop()!;
      if (childTime.length > 0) childTime[childTime.length - 1] += elapsed;
      const entry = kernelTimes.get(config.kernelName) ?? { ms: 0, calls: 0 };
      entry.ms += elapsed - nested;
      entry.calls += 1;
      kernelTimes.set(config.kernelName, entry);
      return out;
    }) as tf.KernelFunc;
  }
}

function printProfile(label: string, size: number, seconds: number, profile: Map<string, { ms: number; calls: number }>): void {
  const rows = [...profile.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const inKernels = rows.reduce((sum, [, r]) => sum + r.ms, 0);
  console.log(`  profile, ${label} ${size} px: ${(seconds * 1000).toFixed(0)} ms, of which kernels ${inKernels.toFixed(0)} ms`);
  for (const [name, r] of rows.slice(0, Number(process.env.PROFILE_ROWS ?? 16))) console.log(`    ${name.padEnd(24)} ${r.ms.toFixed(1).padStart(8)} ms ${String(r.calls).padStart(6)} calls`);
}

/** Mean, median and fastest seconds per training iteration, after untimed warm-up iterations on fast backends. */
async function secondsPerIteration(
  size: number,
  iterations: number,
  warmUp: boolean,
  label: string,
  which: string,
  engine: OnnxEngine | undefined,
): Promise<{ mean: number; median: number; best: number }> {
  const family = getFamily(MODELS[which].family);
  const model = family.create(family.resolveConfig({ size, preset, ...MODELS[which].options }), new Rng(1), engine);
  const a = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const b = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  // trainStep owns (and disposes) the batches it draws.
  const next = () => ({ a: a.clone(), b: b.clone() });
  try {
    if (warmUp) for (let i = 0; i < warmUpIterations; i++) await model.trainStep(next, 1);
    let total = 0;
    const all: number[] = [];
    let fastest = { seconds: Infinity, profile: new Map<string, { ms: number; calls: number }>() };
    for (let i = 0; i < iterations; i++) {
      kernelTimes.clear();
      recording = PROFILE;
      const start = performance.now();
      await model.trainStep(next, 1);
      const seconds = (performance.now() - start) / 1000;
      recording = false;
      total += seconds;
      all.push(seconds);
      if (seconds < fastest.seconds) fastest = { seconds, profile: new Map(kernelTimes) };
    }
    if (PROFILE) printProfile(label, size, fastest.seconds, fastest.profile);
    all.sort((x, y) => x - y);
    return { mean: total / iterations, median: all[Math.floor(all.length / 2)], best: fastest.seconds };
  } finally {
    model.dispose();
    await engine?.dispose();
    tf.dispose([a, b]);
  }
}

const results = new Map<string, Map<number, number>>();
/** Seconds per iteration by backend label, model and size. */
const modelTimes = new Map<string, Map<string, Map<number, number>>>();
for (const setup of setups) {
  let report;
  try {
    report = await initBackend(setup.preference, { threads: setup.threads, device: setup.device });
  } catch (error) {
    console.log(`${setup.label.padEnd(12)} unavailable: ${(error as Error).message.split('\n')[0]}`);
    continue;
  }
  if (setup.threads && report.threads !== setup.threads) {
    console.log(`${setup.label.padEnd(12)} skipped: got ${report.detail}`);
    continue;
  }
  if (report.adapter?.software && !process.argv.includes('--include-software')) {
    console.log(`${setup.label.padEnd(12)} ${report.adapter.description}: a software adapter, so no speed is claimed (--include-software times it anyway)`);
    continue;
  }
  if (report.device && /software adapter/.test(report.device.detail) && !process.argv.includes('--include-software')) {
    console.log(`${setup.label.padEnd(12)} ${report.device.detail}: so no speed is claimed (--include-software times it anyway)`);
    continue;
  }
  if (PROFILE) wrapKernels(report.name);
  const row = new Map<number, number>();
  results.set(setup.label, row);
  for (const size of sizes) {
    const slow = report.name === 'cpu';
    // The models one after the other at each size, so the machine's drift over minutes hits their ratio least.
    for (const which of models) {
      if (slow && which !== 'cyclegan') continue;
      const engine = report.name === 'onnx' ? new OnnxEngine({ device: report.device!.name, threads: report.threads }) : undefined;
      // Medians: one slow first iteration (PyTorch's, say) moves a mean far more than it says about the speed.
      const { mean, median: seconds, best } = await secondsPerIteration(size, slow ? 1 : timedIterations, !slow, setup.label, which, engine);
      if (which === 'cyclegan') row.set(size, seconds);
      const perModel = modelTimes.get(setup.label) ?? new Map<string, Map<number, number>>();
      modelTimes.set(setup.label, perModel.set(which, (perModel.get(which) ?? new Map<number, number>()).set(size, seconds)));
      const spread = slow ? '' : ` median (mean ${mean.toFixed(3)}, fastest ${best.toFixed(3)})`;
      console.log(`${`${setup.label} ${which}`.padEnd(20)} ${String(size).padStart(4)} px  ${seconds.toFixed(3)} s/iteration${spread}   (${report.detail})`);
    }
  }
}

/** The same iteration in PyTorch on the CPU, in a child process; null (with the reason printed) when unavailable. */
function pytorchSecondsPerIteration(): Map<number, number> | null {
  const label = `pytorch ×${cores}`;
  const script = fileURLToPath(new URL('./pytorch-cyclegan.py', import.meta.url));
  const [python, ...command] = parseFlag('pytorch-command', `/usr/bin/python3 ${script}`).split(' ');
  const { ngf, ndf, blocks } = CYCLEGAN_PRESETS[preset];
  const args = [...command, '--sizes', sizes.join(','), '--ngf', String(ngf), '--ndf', String(ndf), '--blocks', String(blocks)];
  args.push('--iterations', String(timedIterations), '--warmup', String(warmUpIterations), '--threads', String(cores));
  const blas = referenceBlasWarning();
  if (blas) console.log(`${label.padEnd(12)} warning: ${blas}`);
  const child = spawnSync(python, args, { encoding: 'utf8' });
  if (child.status !== 0) {
    const why = /No module named 'torch'/.test(child.stderr) ? `${python} has no torch (apt-get install python3-torch)` : (child.stderr || String(child.error)).trim().split('\n').at(-1);
    console.log(`${label.padEnd(12)} unavailable: ${why}`);
    return null;
  }
  const out = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { torch: string; threads: number; sizes: Record<string, { mean: number; median: number; fastest: number }> };
  const row = new Map<number, number>();
  for (const size of sizes) {
    const r = out.sizes[String(size)];
    row.set(size, r.median);
    console.log(`${label.padEnd(12)} ${String(size).padStart(4)} px  ${r.median.toFixed(3)} s/iteration median (mean ${r.mean.toFixed(3)}, fastest ${r.fastest.toFixed(3)})   (PyTorch ${out.torch}, ${out.threads} threads)`);
  }
  return row;
}

/** Debian's torch uses the system's libblas.so.3: the reference BLAS unless OpenBLAS is installed (about 3× slower). */
function referenceBlasWarning(): string | null {
  const lib = ['/usr/lib/x86_64-linux-gnu/libblas.so.3', '/usr/lib/aarch64-linux-gnu/libblas.so.3'].find((p) => existsSync(p));
  if (!lib) return null;
  const target = realpathSync(lib);
  if (/openblas|blis|mkl/i.test(target)) return null;
  return `PyTorch runs on the reference BLAS (${target}), about 3× slower than it can: apt-get install libopenblas0-pthread`;
}

const pytorch = requested.includes('pytorch') ? pytorchSecondsPerIteration() : null;

console.log(`\nCycleGAN ${preset}, batch 1: median seconds per iteration (×N = speed-up over ${baseline})`);
console.log(['backend'.padEnd(12), ...sizes.map((s) => `${s} px`.padStart(20))].join(''));
const reference = results.get(ALL_SETUPS[baseline]?.label ?? baseline);
for (const [label, row] of results) {
  const cells = sizes.map((s) => {
    const v = row.get(s);
    const ratio = v !== undefined && reference?.get(s) !== undefined ? ` (×${(reference.get(s)! / v).toFixed(reference.get(s)! / v < 10 ? 2 : 0)})` : '';
    return (v === undefined ? '—' : `${v.toFixed(3)} s${ratio}`).padStart(20);
  });
  console.log([label.padEnd(12), ...cells].join(''));
}
if (pytorch) console.log(['pytorch'.padEnd(12), ...sizes.map((s) => `${pytorch.get(s)!.toFixed(3)} s`.padStart(20))].join(''));
// Against PyTorch only when it ran in this run: a figure from another time or machine compares badly.
for (const size of pytorch ? sizes : []) {
  const times = [...results.values()].map((r) => r.get(size)).filter((v): v is number => v !== undefined);
  const torch = pytorch!.get(size);
  if (times.length === 0 || torch === undefined) continue;
  console.log(`At ${size} px the fastest Darkroom backend takes ${(Math.min(...times) / torch).toFixed(2)}× PyTorch's time in this run (${torch.toFixed(3)} s).`);
}
// The engine against the best of tfjs, side by side.
const onnxRow = results.get(ALL_SETUPS.onnx.label);
const wasmRow = results.get(ALL_SETUPS.wasm.label);
for (const size of onnxRow && wasmRow ? sizes : []) {
  const o = onnxRow!.get(size);
  const w = wasmRow!.get(size);
  if (o === undefined || w === undefined) continue;
  const torch = pytorch?.get(size);
  console.log(`At ${size} px onnx on the CPU takes ${(o / w).toFixed(2)}× wasm's time${torch === undefined ? '' : ` and ${(o / torch).toFixed(2)}× PyTorch's`} (medians, this run).`);
}
const oneThread = results.get(ALL_SETUPS['onnx-1'].label);
for (const size of onnxRow && oneThread ? sizes : []) {
  const all = onnxRow!.get(size);
  const one = oneThread!.get(size);
  if (all !== undefined && one !== undefined) console.log(`At ${size} px onnx on ${cores} threads is ×${(one / all).toFixed(2)} faster than on 1.`);
}

const oneSided = models.filter((m) => m !== 'cyclegan');
if (models.includes('cyclegan') && oneSided.length > 0) {
  console.log(`\nCUT and FastCUT, ${preset}, batch 1: seconds per iteration (×N = their time ÷ CycleGAN's, same backend and size)`);
  console.log(['backend model'.padEnd(20), ...sizes.map((s) => `${s} px`.padStart(20))].join(''));
  for (const [label, byModel] of modelTimes) {
    const reference = byModel.get('cyclegan');
    for (const which of oneSided) {
      const row = byModel.get(which);
      if (!row || !reference) continue;
      const cells = sizes.map((size) => {
        const v = row.get(size);
        return (v === undefined ? '—' : `${v.toFixed(3)} s (×${(v / reference.get(size)!).toFixed(2)})`).padStart(20);
      });
      console.log([`${label} ${which}`.padEnd(20), ...cells].join(''));
      const at128 = row.get(128);
      if (which === 'fastcut' && at128 !== undefined) {
        const ratio = at128 / reference.get(128)!;
        console.log(`  FastCUT at 128 px on ${label}: ${ratio.toFixed(2)}× CycleGAN's time per iteration (target ≤ 0.55: ${ratio <= 0.55 ? 'met' : 'not met'})`);
      }
    }
  }
}
