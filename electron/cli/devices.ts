// `darkroom devices [--json]`: the training backends and inference devices this machine has, each GPU adapter's
// name, whether it is hardware or software, its limits, what `auto` picks, and why the others are unavailable.
import { parseArgs, usageError } from './args.js';
import { cliText, inCliWords } from '../remedy-words.js';

export const name = 'devices';
export const summary = 'list the training backends and inference devices found (GPUs, their limits, what auto picks)';
export const usage = `Usage:
  darkroom devices [--json]

Training backends (darkroom train --backend): tensorflow (tfjs-node-gpu, CUDA 11), webgpu (Dawn: Vulkan, Metal,
Direct3D 12), wasm, cpu. Inference devices (darkroom convert --device): cuda, dml (DirectML), coreml, webgpu, cpu.
auto takes the first available of each list, never a software GPU adapter (those are listed, usable by name).

  --json    one JSON object on stdout: { training, inference }

Exit codes: 0 done, 2 bad usage.`;

const MIB = 2 ** 20;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(name, argv, { json: { kind: 'boolean' } });
  if (args.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  if (args.positionals.length > 0) throw usageError(name, `unexpected argument "${args.positionals[0]}"`);
  const [{ listTrainingBackends }, { listInferenceDevices }] = await Promise.all([import('../../models/backend/devices.js'), import('../../models/onnx/runtime.js')]);
  const [training, inference] = await Promise.all([listTrainingBackends(), listInferenceDevices()]);
  if (args.options.json) {
    process.stdout.write(JSON.stringify(inCliWords({ training, inference }), null, 2) + '\n');
    return 0;
  }
  const lines = [`Training (auto: ${training.auto})`];
  for (const b of training.backends) {
    lines.push(`  ${mark(b.available, b.usable)} ${b.name.padEnd(11)}${b.detail}`);
    if (b.adapter) lines.push(`${' '.repeat(16)}${b.adapter.software ? 'software' : 'hardware'}; buffers up to ${Math.round(Math.min(b.adapter.maxBufferSize, b.adapter.maxStorageBufferBindingSize) / MIB)} MiB`);
    if (b.reason) lines.push(`${' '.repeat(16)}${b.reason}`);
  }
  lines.push('', `Inference, ONNX Runtime ${inference.runtimeVersion} (auto: ${inference.auto})`);
  for (const d of inference.devices) {
    const limits = d.limits?.maxBufferSize !== undefined ? `; buffers up to ${Math.round(d.limits.maxBufferSize / MIB)} MiB` : d.limits?.memoryBytes ? `; ${Math.round(d.limits.memoryBytes / 2 ** 30)} GiB memory` : '';
    lines.push(`  ${mark(d.available, d.usable)} ${d.name.padEnd(11)}${d.adapter ?? ''}${d.kind ? ` (${d.kind}${limits})` : ''}`.trimEnd());
    if (d.reason) lines.push(`${' '.repeat(16)}${d.reason}`);
  }
  for (const d of inference.elsewhere) lines.push(`    ${d.name.padEnd(11)}not offered here: ${d.reason}`);
  lines.push('', '✓ auto may choose it   ~ only when chosen by name   ✗ not available');
  process.stdout.write(cliText(lines.join('\n')) + '\n');
  return 0;
}

function mark(available: boolean, usable: boolean): string {
  return available ? '✓' : usable ? '~' : '✗';
}
