// `darkroom convert --model FILE.onnx INPUT... --out DIR`: translate photos and folders at full resolution
// through the batch service. Progress goes to stderr, --json events to stdout.
import { basename } from 'node:path';
import { parseArgs, usageError } from './args.js';
import { formatDuration } from '../format.js';
import type { BatchEvent } from '../services/batch.js';
import { FORMAT_CHOICES, PIXEL_RANGES, type FormatChoice } from '../../models/data/image-io/formats.js';
import { DEVICE_CHOICES, autoGpusText, devicesElsewhereNote, platformDeviceChoices, type DeviceChoice } from '../../models/onnx/devices.js';
import { cliText, inCliWords } from '../remedy-words.js';

export const name = 'convert';
export const summary = 'translate photos and folders at full resolution with an ONNX model';
export const usage = `Usage:
  darkroom convert --model FILE.onnx INPUT... --out DIR [options]

Translates every photo given (files and folders) at its own resolution and writes the results under DIR,
mirroring the folders and keeping the file names. Outputs that already exist are skipped, so running the
same command again after an interruption or a crash finishes the job. Files that cannot be converted are
listed on stderr and in DIR/darkroom-report.json; they never stop the batch.

  --model FILE.onnx   an image-to-image model (a Darkroom export, or NCHW float32 from elsewhere); or a
                      PyTorch CycleGAN/CUT generator (.pth, .pt, .safetensors), imported once into the
                      workspace's cache as \`darkroom import\` does
  --out DIR           output folder (created if needed; not inside an input folder nor a photo's folder)
  --recursive         also convert the images in subfolders
  --format F          same | jpg | png | webp | tiff | avif (default same: the input's format)
  --quality Q         1–100 for jpg, webp and avif
  --tile N            largest tile side in pixels (default 512, larger for narrower networks as
                      \`darkroom info MODEL\` says; smaller uses less memory; on WebGPU at most what
                      the adapter's buffers hold)
  --device D          ${platformDeviceChoices(process.platform).join(' | ')} (default auto: ${autoGpusText(process.platform)}
                      on a real GPU when one works here, else the CPU; a device named is used even on
                      a software GPU). A model the device cannot run goes to the CPU, and the reason
                      is printed. \`darkroom devices\` shows the devices. ${devicesElsewhereNote(process.platform)}
  --overwrite         replace outputs that already exist
  --range R           -1,1 or 0,1: the model's value range, for models whose metadata does not say
  --json              print progress events as JSON lines on stdout

EXIF, ICC profiles and alpha are kept; 16-bit photos stay 16-bit in png and tiff.
Ctrl-C stops after the current image (a second Ctrl-C quits at once; nothing partial is left either way).

Exit codes: 0 all converted, 1 failed, 2 bad usage or input, 3 finished with some files failed,
130 interrupted.`;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(name, argv, {
    model: { kind: 'string' },
    out: { kind: 'string' },
    recursive: { kind: 'boolean' },
    format: { kind: 'string', choices: FORMAT_CHOICES },
    quality: { kind: 'int', min: 1 },
    tile: { kind: 'int', min: 64 },
    overwrite: { kind: 'boolean' },
    range: { kind: 'string', choices: PIXEL_RANGES },
    device: { kind: 'string', choices: DEVICE_CHOICES },
    json: { kind: 'boolean' },
  });
  if (args.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  const model = args.options.model as string | undefined;
  const out = args.options.out as string | undefined;
  if (model === undefined) throw usageError(name, '--model FILE.onnx is required');
  if (out === undefined) throw usageError(name, '--out DIR is required');
  if (args.positionals.length === 0) throw usageError(name, 'give the photos or folders to convert');
  const quality = args.options.quality as number | undefined;
  if (quality !== undefined && quality > 100) throw usageError(name, `--quality must be at most 100 (got ${quality})`);
  const json = args.options.json === true;

  const { runBatch } = await import('../services/batch.js');
  const printer = new ProgressPrinter(json);
  const { cachedImport, isCheckpointPath } = await import('../services/checkpoint-cache.js');
  let modelFile = model;
  if (isCheckpointPath(model)) {
    // A PyTorch or safetensors generator: imported once into the workspace's cache (refused files: exit 2).
    const cached = await cachedImport(model);
    printer.note(`${cached.imported ? 'Imported' : 'Using the model imported before from'} ${model}: ${cached.architecture}${cached.imported ? ` (cached as ${cached.model})` : ''}`);
    modelFile = cached.model;
  }
  const controller = new AbortController();
  const onInterrupt = () => {
    if (controller.signal.aborted) {
      process.stderr.write('\nQuitting now. Finished images are complete; run the same command again to convert the rest.\n');
      process.exit(130);
    }
    controller.abort();
    printer.note('Stopping after the current image… (Ctrl-C again to quit at once)');
  };
  // SIGTERM (a service manager, `kill`) stops the same way as Ctrl-C, so the report says the batch was cancelled
  // rather than still running.
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    const { report } = await runBatch({
      model: modelFile,
      // The cache file is ours: messages name the checkpoint the user gave.
      modelLabel: modelFile === model ? undefined : model,
      inputs: args.positionals,
      out,
      recursive: args.options.recursive === true,
      format: args.options.format as FormatChoice | undefined,
      quality,
      tile: args.options.tile as number | undefined,
      overwrite: args.options.overwrite === true,
      range: args.options.range as string | undefined,
      device: args.options.device as DeviceChoice | undefined,
      signal: controller.signal,
      onEvent: (event) => printer.print(event),
    });
    if (report.status === 'cancelled') return 130;
    return report.counts.failed > 0 ? 3 : 0;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

/** Human progress on stderr (one updating line on a terminal, a line per image otherwise); --json events on stdout. */
class ProgressPrinter {
  private readonly tty = process.stderr.isTTY === true;
  private statusLine = '';

  constructor(private readonly json: boolean) {}

  print(event: BatchEvent): void {
    if (this.json) process.stdout.write(JSON.stringify(inCliWords(event)) + '\n');
    switch (event.type) {
      case 'started':
        this.line(`Converting ${event.toConvert} of ${event.total} images into ${event.out}${event.total > event.toConvert ? ` (${event.total - event.toConvert} already done or not convertible)` : ''}`);
        this.line(`Running on: ${event.device.detail}`);
        if (event.device.fallback) this.line(`  (on the CPU because ${event.device.fallback})`);
        if (event.rangeNote) this.line(`Value range: ${event.rangeNote} (--range overrides it)`);
        break;
      case 'progress': {
        const speed = event.imagesPerMinute > 0 ? `${event.imagesPerMinute.toFixed(1)} images/min` : '– images/min';
        const eta = formatDuration(event.etaSeconds);
        const current = event.current ? `  ${basename(event.current)}` : '';
        const text = `[${event.done}/${event.total}]${current}  ${speed}  ETA ${eta}`;
        // On a terminal one line keeps updating; in a log, a line when an image starts.
        if (this.tty) this.status(text);
        else if (event.current) process.stderr.write(text + '\n');
        break;
      }
      case 'item':
        // Failures always get a line of their own; in a log (no terminal), so does every converted image.
        if (event.status === 'failed') this.line(`failed: ${event.path}: ${event.reason}`);
        else if (!this.tty && event.status === 'done') this.line(`done: ${event.path} → ${event.output}`);
        break;
      case 'finished': {
        const c = event.counts;
        this.line(`${event.cancelled ? 'Interrupted' : 'Finished'}: ${c.done} converted, ${c.skipped} skipped, ${c.failed} failed${c.pending > 0 ? `, ${c.pending} not started` : ''} (${formatDuration(event.elapsedMs / 1000)}). Report: ${event.report}`);
        this.line(`Ran on: ${event.device.detail}`);
        if (event.device.fallback) this.line(`  (on the CPU because ${event.device.fallback})`);
        if (event.cancelled) this.line('Run the same command again to convert the rest: images already converted are skipped.');
        if (c.failed > 0) this.line(`${c.failed} file${c.failed === 1 ? '' : 's'} could not be converted; the reasons are above and in the report.`);
        break;
      }
    }
  }

  note(text: string): void {
    this.line(text);
  }

  private status(text: string): void {
    process.stderr.write(`\r${text.padEnd(this.statusLine.length)}`);
    this.statusLine = text;
  }

  private line(text: string): void {
    if (this.tty && this.statusLine) process.stderr.write(`\r${' '.repeat(this.statusLine.length)}\r`);
    process.stderr.write(cliText(text) + '\n');
    if (this.tty && this.statusLine) process.stderr.write(this.statusLine);
  }
}
