// npm run bench:gpu — every GPU found, against the CPU paths, measured side by side in one run:
//   training: seconds per CycleGAN iteration, light at 128 px and standard at 256 px, on each GPU training backend
//             (webgpu, tensorflow where tfjs-node-gpu works) and on wasm, as speed-ups over wasm (bench:train);
//   inference: the standard generator at 512² and a 4000×3000 photo (tiled) on each ONNX Runtime GPU device and on
//             its CPU provider, as speed-ups over the CPU provider (bench:infer).
// A software adapter (SwiftShader, llvmpipe…) is named and claims no speed: it is a correctness tool, not a GPU.
//   options: --include-software (time a software adapter anyway; expect minutes)  --iterations N (default 3)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { listTrainingBackends } from '../backend/devices.js';
import { listInferenceDevices } from '../onnx/runtime.js';

const includeSoftware = process.argv.includes('--include-software');
const iterations = process.argv.includes('--iterations') ? process.argv[process.argv.indexOf('--iterations') + 1] : '3';
const bench = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));
const run = (script: string, args: string[]) => {
  const child = spawnSync(process.execPath, ['--import', 'tsx', bench(script), ...args], { stdio: 'inherit' });
  if (child.status !== 0) process.stdout.write(`(${script} ${args.join(' ')} exited with ${child.status})\n`);
};

const [training, inference] = await Promise.all([listTrainingBackends(), listInferenceDevices()]);
const gpuTraining = training.backends.filter((b) => (b.name === 'webgpu' || b.name === 'tensorflow') && (b.available || (includeSoftware && b.usable)));
const gpuInference = inference.devices.filter((d) => d.name !== 'cpu' && (d.available || (includeSoftware && d.usable)));

process.stdout.write('GPUs found:\n');
for (const b of training.backends.filter((b) => b.name === 'webgpu' || b.name === 'tensorflow')) {
  process.stdout.write(`  training ${b.name}: ${b.available ? b.detail : `${b.detail ? `${b.detail}: ` : ''}${b.reason}`}\n`);
}
for (const d of inference.devices.filter((d) => d.name !== 'cpu')) {
  process.stdout.write(`  inference ${d.name}: ${d.available ? `${d.adapter ?? ''} (${d.kind})` : d.reason}\n`);
}
const software = training.backends.some((b) => b.adapter?.software) || inference.devices.some((d) => d.kind === 'software');
if (software && !includeSoftware) process.stdout.write('A software adapter is not a GPU: no speed is claimed for it (--include-software times it anyway).\n');
if (gpuTraining.length === 0 && gpuInference.length === 0) {
  process.stdout.write('\nNo hardware GPU here: nothing to compare. Run this where `darkroom devices` lists one.\n');
  process.exit(0);
}

if (gpuTraining.length > 0) {
  const backends = [...gpuTraining.map((b) => b.name), 'wasm'].join(',');
  const common = ['--backends', backends, '--baseline', 'wasm', '--iterations', iterations, '--warmup', '1'];
  if (includeSoftware) common.push('--include-software');
  process.stdout.write('\n── Training: light CycleGAN at 128 px\n');
  run('train-bench.ts', [...common, '--preset', 'light', '--sizes', '128']);
  process.stdout.write('\n── Training: standard CycleGAN at 256 px\n');
  run('train-bench.ts', [...common, '--preset', 'standard', '--sizes', '256']);
}
if (gpuInference.length > 0) {
  process.stdout.write('\n── Inference: standard generator at 512², and a 4000×3000 photo\n');
  const devices = ['cpu', ...gpuInference.map((d) => d.name)].join(',');
  run('infer-bench.ts', ['--engines', 'onnx', '--presets', 'standard', '--sizes', '512', '--photo-preset', 'standard', '--skip', 'folder', '--devices', devices]);
}
