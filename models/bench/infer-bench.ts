// npm run bench:infer — inference speed and memory, side by side in one run:
//   1. the light and standard CycleGAN generators' forward pass at 256² and 512², in ONNX Runtime (onnxruntime-node)
//      and in TensorFlow.js on the best backend here (models/backend initBackend('auto'));
//   2. one 4000×3000 photo translated with tiles (translate.ts), against the bare forward time of the same area;
//   3. a folder of 50 photos through `darkroom convert` (the batch service: decode, translate, encode pipelined),
//      in photos per minute, against 50 × the bare forward time of one photo.
// Each measurement runs in its own child process, so its peak memory (max RSS) is its own; the folder's is the
// convert command's, read from /proc where there is one. The batch runs as a command, not an import: models/
// never imports the back end in electron/.
//   options: --presets light,standard  --sizes 256,512  --engines onnx,tfjs  --runs N
//            --devices cpu,webgpu,… (ONNX Runtime devices to measure side by side; default cpu; ratios against cpu)
//            --photo 4000x3000  --photo-preset light  --folder 50  --folder-size 512x384  --skip photo,folder
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Preset } from '../families/family.js';
import type { DeviceChoice } from '../onnx/devices.js';

type Case =
  | { kind: 'forward'; engine: 'onnx' | 'tfjs'; preset: Preset; size: number; runs: number; modelFile: string; device?: DeviceChoice }
  | { kind: 'photo'; preset: Preset; width: number; height: number; modelFile: string; device?: DeviceChoice }
  | { kind: 'folder'; preset: Preset; count: number; width: number; height: number; modelFile: string };

interface Result {
  seconds: number;
  peakMiB: number;
  detail: string;
  /** Seconds of one bare forward pass over the same area (photo and folder cases). */
  bareSeconds?: number;
}

const SELF = fileURLToPath(import.meta.url);
const DARKROOM = join(dirname(SELF), '..', '..', 'bin', 'darkroom.js');

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const size2 = (text: string) => text.split('x').map(Number) as [number, number];
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const peakMiB = () => process.resourceUsage().maxRSS / 1024;

// ─────────────────────────────────────────── child: one measurement

async function measure(c: Case): Promise<Result> {
  const { openModel } = await import('../onnx/runtime.js');
  if (c.kind === 'forward' && c.engine === 'tfjs') return measureTfjs(c);
  const model = await openModel(c.modelFile, c.kind === 'folder' ? {} : { device: c.device ?? 'cpu' });
  try {
    const bareForward = async (width: number, height: number, runs: number) => {
      const input = new Float32Array(3 * width * height).map((_, i) => Math.sin(i) * 0.5);
      await model.run(input, [1, 3, height, width]); // warm-up: ONNX Runtime plans memory on the first run
      const times: number[] = [];
      for (let r = 0; r < runs; r++) {
        const start = performance.now();
        await model.run(input, [1, 3, height, width]);
        times.push((performance.now() - start) / 1000);
      }
      return median(times);
    };
    if (c.kind === 'forward') {
      const seconds = await bareForward(c.size, c.size, c.runs);
      return { seconds, peakMiB: peakMiB(), detail: `ONNX Runtime, ${model.device.name}, ${model.threads} threads` };
    }
    const { texturedPhoto } = await import('../onnx/convert-fixtures.js');
    const { DEFAULT_TILE, createTranslator } = await import('../onnx/translate.js');
    if (c.kind === 'photo') {
      // The untiled compute: the bare forward time per pixel at DEFAULT_TILE², measured before and after the photo
      // (this machine's speed drifts over a minute).
      const bareTile = () => bareForward(DEFAULT_TILE, DEFAULT_TILE, 5);
      const bareBefore = await bareTile();
      const photo = texturedPhoto(c.width, c.height, 1);
      const translator = await createTranslator(model);
      let tiles = 0;
      const start = performance.now();
      await translator.translate(photo, { onTile: (_, total) => (tiles = total) });
      const seconds = (performance.now() - start) / 1000;
      await translator.dispose();
      const bareSeconds = ((bareBefore + (await bareTile())) / 2) * ((c.width * c.height) / DEFAULT_TILE ** 2);
      return { seconds, peakMiB: peakMiB(), bareSeconds, detail: `${tiles} tile runs of up to ${translator.tile} px, in exact stages` };
    }
    // Folder: JPEGs written with sharp, converted by `darkroom convert` into another folder.
    const sharp = (await import('sharp')).default;
    const dir = await fs.mkdtemp(join(tmpdir(), 'darkroom-bench-'));
    try {
      await fs.mkdir(join(dir, 'in'));
      for (let i = 0; i < c.count; i++) {
        const p = texturedPhoto(c.width, c.height, i);
        await sharp(p.pixels, { raw: { width: c.width, height: c.height, channels: 3 } }).jpeg({ quality: 90 }).toFile(join(dir, 'in', `photo-${i}.jpg`));
      }
      // The bare forward time is measured before and after the folder (this machine's speed drifts over a minute).
      const paddedWidth = Math.ceil(c.width / 4) * 4;
      const paddedHeight = Math.ceil(c.height / 4) * 4;
      const bareBefore = await bareForward(paddedWidth, paddedHeight, 5);
      const batch = await convertFolder(c.modelFile, join(dir, 'in'), join(dir, 'out'));
      const bare = (bareBefore + (await bareForward(paddedWidth, paddedHeight, 5))) / 2;
      if (batch.converted !== c.count) throw new Error(`folder bench: ${batch.converted} of ${c.count} converted`);
      const { seconds } = batch;
      return { seconds, peakMiB: batch.peakMiB, bareSeconds: bare * c.count, detail: `${((c.count / seconds) * 60).toFixed(1)} photos/min, darkroom convert` };
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  } finally {
    await model.dispose();
  }
}

/**
 * Runs `darkroom convert --json` on a folder: the batch's own elapsed time from its 'finished' event, and the
 * command's peak memory read from /proc while it is still running (NaN where there is no /proc).
 */
function convertFolder(modelFile: string, input: string, out: string): Promise<{ seconds: number; converted: number; peakMiB: number }> {
  const child = spawn(process.execPath, [DARKROOM, 'convert', '--model', modelFile, input, '--out', out, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let finished: { seconds: number; converted: number; peakMiB: number } | null = null;
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const lines = stdout.split('\n');
    stdout = lines.pop()!;
    for (const line of lines) {
      const event = JSON.parse(line) as { type: string; elapsedMs?: number; counts?: { done: number } };
      if (event.type === 'finished') finished = { seconds: event.elapsedMs! / 1000, converted: event.counts!.done, peakMiB: peakMiBOf(child.pid) };
    }
  });
  return new Promise((resolve, reject) =>
    child.on('close', (code) => (finished && code === 0 ? resolve(finished) : reject(new Error(`darkroom convert exited with ${code}:\n${stderr}`)))),
  );
}

/** A live process's peak resident memory (Linux's VmHWM), NaN where /proc cannot tell. */
function peakMiBOf(pid: number | undefined): number {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib ? Number(kib) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function measureTfjs(c: Extract<Case, { kind: 'forward' }>): Promise<Result> {
  const tf = await import('@tensorflow/tfjs');
  const { initBackend } = await import('../backend/index.js');
  const { applyNet, createNet } = await import('../nets/net.js');
  const { buildResnetGenerator } = await import('../nets/resnet-generator.js');
  const { CYCLEGAN_PRESETS } = await import('../families/cyclegan.js');
  const { Rng } = await import('../rng.js');
  const backend = await initBackend('auto');
  const { ngf, blocks } = CYCLEGAN_PRESETS[c.preset];
  const net = createNet(buildResnetGenerator({ name: 'G', ngf, blocks }), new Rng(1));
  const x = tf.randomUniform([1, c.size, c.size, 3], -1, 1);
  const forward = async () => {
    const y = tf.tidy(() => applyNet(net, x));
    await y.data();
    y.dispose();
  };
  await forward(); // warm-up: kernels compile, memory is reserved
  const times: number[] = [];
  for (let r = 0; r < c.runs; r++) {
    const start = performance.now();
    await forward();
    times.push((performance.now() - start) / 1000);
  }
  return { seconds: median(times), peakMiB: peakMiB(), detail: `TensorFlow.js ${backend.detail}` };
}

// ─────────────────────────────────────────── parent: every measurement, then the table

function runCase(c: Case): Result {
  const child = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--case', JSON.stringify(c)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !line.startsWith('{')) throw new Error(`bench case ${JSON.stringify(c)} failed:\n${child.stderr}`);
  return JSON.parse(line) as Result;
}

async function exportGenerators(presets: Preset[], dir: string): Promise<Record<string, string>> {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const { createNet, disposeNet } = await import('../nets/net.js');
  const { buildResnetGenerator } = await import('../nets/resnet-generator.js');
  const { CYCLEGAN_PRESETS } = await import('../families/cyclegan.js');
  const { exportNet } = await import('../onnx/export.js');
  const { Rng } = await import('../rng.js');
  const files: Record<string, string> = {};
  for (const preset of presets) {
    const { ngf, blocks } = CYCLEGAN_PRESETS[preset];
    const net = createNet(buildResnetGenerator({ name: 'G_AB', ngf, blocks }), new Rng(1));
    files[preset] = join(dir, `${preset}.onnx`);
    const metadata = { 'darkroom.family': 'cyclegan', 'darkroom.range': '-1,1', 'darkroom.stride': '4', 'darkroom.direction': 'AtoB' };
    await fs.writeFile(files[preset], await exportNet(net, { metadata }));
    disposeNet(net);
  }
  return files;
}

async function main(): Promise<void> {
  const presets = flag('presets', 'light,standard').split(',') as Preset[];
  const sizes = flag('sizes', '256,512').split(',').map(Number);
  const engines = flag('engines', 'onnx,tfjs').split(',') as ('onnx' | 'tfjs')[];
  const runs = Number(flag('runs', '3'));
  const devices = flag('devices', 'cpu').split(',') as DeviceChoice[];
  const onDevice = (device: DeviceChoice) => (devices.length > 1 || device !== 'cpu' ? ` on ${device}` : '');
  const skip = new Set(flag('skip', '').split(','));
  const [photoWidth, photoHeight] = size2(flag('photo', '4000x3000'));
  const photoPreset = flag('photo-preset', 'light') as Preset;
  const folderCount = Number(flag('folder', '50'));
  const [folderWidth, folderHeight] = size2(flag('folder-size', '512x384'));

  const dir = await fs.mkdtemp(join(tmpdir(), 'darkroom-bench-models-'));
  try {
    const files = await exportGenerators([...new Set([...presets, photoPreset])], dir);
    process.stdout.write(`Inference bench on ${availableParallelism()} cores (random-weight generators; times are medians of ${runs} runs)\n\n`);
    const row = (label: string, r: Result, extra = '') =>
      process.stdout.write(`${label.padEnd(34)} ${r.seconds.toFixed(3).padStart(9)} s  ${r.peakMiB.toFixed(0).padStart(6)} MiB peak  ${extra}${r.detail}\n`);

    for (const preset of presets) {
      for (const size of sizes) {
        const byEngine = new Map<string, Result>();
        for (const engine of engines) {
          for (const device of engine === 'onnx' ? devices : ['cpu' as const]) {
            const r = runCase({ kind: 'forward', engine, preset, size, runs, modelFile: files[preset], device });
            if (device === 'cpu') byEngine.set(engine, r);
            else byEngine.set(`onnx ${device}`, r);
            row(`forward ${preset} ${size}² ${engine === 'onnx' ? `onnxruntime${onDevice(device)}` : 'tfjs'}`, r);
          }
        }
        for (const device of devices.filter((d) => d !== 'cpu')) {
          const gpu = byEngine.get(`onnx ${device}`);
          const cpu = byEngine.get('onnx');
          if (gpu && cpu) process.stdout.write(`  → onnxruntime on ${device} is ${(cpu.seconds / gpu.seconds).toFixed(2)}× the speed of its CPU provider\n`);
        }
        const onnx = byEngine.get('onnx');
        const tfjs = byEngine.get('tfjs');
        if (onnx && tfjs)
          process.stdout.write(`  → onnxruntime is ${(tfjs.seconds / onnx.seconds).toFixed(2)}× the speed of tfjs, with ${(onnx.peakMiB / tfjs.peakMiB).toFixed(2)}× its peak memory\n`);
      }
    }
    if (!skip.has('photo')) {
      const photoSeconds = new Map<DeviceChoice, number>();
      for (const device of devices) {
        const r = runCase({ kind: 'photo', preset: photoPreset, width: photoWidth, height: photoHeight, modelFile: files[photoPreset], device });
        photoSeconds.set(device, r.seconds);
        row(`photo ${photoWidth}×${photoHeight} ${photoPreset}, tiled${onDevice(device)}`, r);
        process.stdout.write(`  → ${(r.seconds / r.bareSeconds!).toFixed(2)}× the bare forward time of the same area (${r.bareSeconds!.toFixed(1)} s)\n`);
      }
      for (const device of devices.filter((d) => d !== 'cpu' && photoSeconds.has('cpu'))) {
        process.stdout.write(`  → the photo on ${device}: ${(photoSeconds.get('cpu')! / photoSeconds.get(device)!).toFixed(2)}× the speed of the CPU provider\n`);
      }
    }
    if (!skip.has('folder')) {
      const r = runCase({ kind: 'folder', preset: photoPreset, count: folderCount, width: folderWidth, height: folderHeight, modelFile: files[photoPreset] });
      row(`folder ${folderCount} × ${folderWidth}×${folderHeight} ${photoPreset}`, r);
      process.stdout.write(`  → ${(r.seconds / r.bareSeconds!).toFixed(2)}× ${folderCount} bare forward passes (${r.bareSeconds!.toFixed(1)} s): ` +
        `${((folderCount / r.seconds) * 60).toFixed(1)} vs ${((folderCount / r.bareSeconds!) * 60).toFixed(1)} photos/min\n`);
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--case') {
  const result = await measure(JSON.parse(process.argv[3]) as Case);
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0); // wasm worker threads would otherwise keep the child alive
} else {
  await main();
}
