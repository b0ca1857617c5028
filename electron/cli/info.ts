// `darkroom info FILE.onnx|RUN`: what a model takes and gives (and whether it can convert photos), or where a
// training run stands.
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, usageError } from './args.js';
import { DEVICE_CHOICES, platformDeviceChoices, type DeviceChoice } from '../../models/onnx/devices.js';
import { cliText, inCliWords } from '../remedy-words.js';

export const name = 'info';
export const summary = 'describe an ONNX model (inputs, outputs, metadata, the device it runs on) or a run';
export const usage = `Usage:
  darkroom info FILE.onnx [--device D] [--json]
  darkroom info RUN [--json]

For a model: its inputs and outputs, metadata (darkroom.family, darkroom.range, …), whether and how
\`darkroom convert\` can use it, the device ONNX Runtime runs it on and why not on the others.
For a run directory: family, status, iteration, backend, datasets and exported models, from run.json.

  --device D   ${platformDeviceChoices(process.platform).join(' | ')}: where to open the model (default auto,
               as \`darkroom convert\` does)
  --json       print the same as one JSON object on stdout

Exit codes: 0 done, 1 failed, 2 bad usage or input.`;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(name, argv, { json: { kind: 'boolean' }, device: { kind: 'string', choices: DEVICE_CHOICES } });
  if (args.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  const [target, ...rest] = args.positionals;
  if (!target) throw usageError(name, 'which model or run? darkroom info FILE.onnx|RUN');
  if (rest.length > 0) throw usageError(name, `unexpected argument "${rest[0]}"`);
  const stat = await fs.stat(target).catch(() => null);
  if (!stat) throw usageError(name, `${target} does not exist`);
  if (stat.isDirectory() && args.options.device !== undefined) throw usageError(name, '--device is for models; a run has no device');
  const { lines, ...info } = stat.isDirectory() ? await describeRun(target) : await describeModel(target, args.options.device as DeviceChoice | undefined);
  process.stdout.write(args.options.json ? JSON.stringify(inCliWords(info), null, 2) + '\n' : cliText(lines.join('\n')) + '\n');
  return 0;
}

interface Described {
  kind: 'model' | 'run';
  lines: string[];
  [key: string]: unknown;
}

async function describeModel(path: string, device: DeviceChoice = 'auto'): Promise<Described> {
  const { openModel, describeImageModel, listInferenceDevices } = await import('../../models/onnx/runtime.js');
  const { defaultTileFor } = await import('../../models/onnx/translate.js');
  const { prepareNormSurgery } = await import('../../models/onnx/frozen-norm.js');
  const model = await openModel(path, { device });
  try {
    const { devices, elsewhere } = await listInferenceDevices();
    const others = devices.filter((d) => d.name !== model.device.name);
    const bytes = (await fs.stat(path)).size;
    const { header } = model;
    let convert: { ok: true; range: string | null; rangeNote: string | null; stride: number | null; size: string } | { ok: false; reason: string };
    try {
      const image = describeImageModel(model);
      const fixed = image.height !== null || image.width !== null;
      convert = {
        ok: true,
        range: image.range ? image.range.join(',') : null,
        rangeNote: image.rangeNote,
        stride: image.stride,
        size: fixed
          ? `fixed ${image.width ?? '?'}×${image.height ?? '?'} input, used as the tile`
          : `any size (tiles of up to ${defaultTileFor(prepareNormSurgery(await fs.readFile(path)), model.device.maxBufferBytes)} px by default)`,
      };
    } catch (error) {
      convert = { ok: false, reason: (error as Error).message };
    }
    const tensor = (t: { name: string; type: string; dims: (string | number)[] }) => `${t.name}  ${t.type} [${t.dims.join(', ')}]`;
    const lines = [
      `Model: ${resolve(path)} (${(bytes / 1e6).toFixed(1)} MB)`,
      `Producer: ${header.producerName || '?'} ${header.producerVersion}`.trimEnd() + `; IR ${header.irVersion}; opsets ${Object.entries(header.opsets).map(([d, v]) => `${d || 'ai.onnx'} ${v}`).join(', ')}`,
      ...model.inputs.map((t) => `Input:  ${tensor(t)}`),
      ...model.outputs.map((t) => `Output: ${tensor(t)}`),
    ];
    const metadata = Object.entries(model.metadata);
    if (metadata.length > 0) {
      const width = Math.max(...metadata.map(([k]) => k.length));
      lines.push('Metadata:', ...metadata.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`));
    } else lines.push('Metadata: none');
    lines.push(
      convert.ok
        ? `Converts photos: yes; range ${convert.range ?? 'not stated (pass --range -1,1 or 0,1)'}${convert.rangeNote ? ` (${convert.rangeNote})` : ''}; stride ${convert.stride ?? 'found by probing'}; ${convert.size}`
        : `Converts photos: no. ${convert.reason}`,
      `Runs on: ${model.device.detail}`,
      ...(model.device.fallback ? [`  (not on the device meant for it: ${model.device.fallback})`] : []),
      'Other devices:',
      ...others.map((d) => `  ${d.name}: ${d.available ? 'available' : d.reason}`),
      ...elsewhere.map((d) => `  ${d.name}: not offered here: ${d.reason}`),
    );
    return {
      kind: 'model',
      path: resolve(path),
      bytes,
      producer: { name: header.producerName, version: header.producerVersion },
      irVersion: header.irVersion,
      opsets: header.opsets,
      inputs: model.inputs,
      outputs: model.outputs,
      metadata: model.metadata,
      convert,
      device: model.device,
      devices,
      elsewhere,
      lines,
    };
  } finally {
    await model.dispose();
  }
}

async function describeRun(dir: string): Promise<Described> {
  const { readRunInfo, runPaths } = await import('../../models/train/run-dir.js');
  const info = await readRunInfo(dir);
  const paths = runPaths(dir);
  const exports = (await fs.readdir(paths.exports).catch(() => [] as string[])).filter((f) => f.endsWith('.onnx')).sort();
  const datasets = Object.entries(info.datasetSizes);
  const lines = [
    `Run: ${paths.root} (${info.family})`,
    `Status: ${info.status}, iteration ${info.iteration} of ${info.totalIterations}`,
    `Backend: ${info.backend ? info.backend.detail : 'not chosen yet'}`,
    `Images: ${datasets.length > 0 ? datasets.map(([k, v]) => `${k} ${v}`).join(', ') : 'unknown'}; size ${info.train.size}, batch ${info.train.batch}, seed ${info.train.seed}`,
    `Created ${info.createdAt}, updated ${info.updatedAt}`,
  ];
  if (info.lastError) lines.push(`Last error: ${info.lastError}`);
  lines.push(exports.length > 0 ? `Exports: ${exports.map((f) => join('exports', f)).join(', ')}` : 'Exports: none yet (darkroom export RUN --out FILE.onnx)');
  return {
    kind: 'run',
    path: paths.root,
    family: info.family,
    status: info.status,
    iteration: info.iteration,
    totalIterations: info.totalIterations,
    backend: info.backend,
    datasetSizes: info.datasetSizes,
    createdAt: info.createdAt,
    updatedAt: info.updatedAt,
    lastError: info.lastError,
    exports,
    lines,
  };
}
