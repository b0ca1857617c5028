// `darkroom train`: start or resume a training run in a trainer process and show its progress.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BACKEND_PREFERENCES } from '../../models/backend/names.js';
import { DEVICE_CHOICES, platformDeviceChoices } from '../../models/onnx/devices.js';
import { FAMILY_IDS, type FamilyId } from '../../models/families/family.js';
import { checkDomainFolders } from '../../models/data/domain-folders.js';
import type { RunHandle, RunOutcome, RunRequest } from '../services/training.js';
import { parseArgs, usageError, type OptionSpecs, type ParsedArgs } from './args.js';
import { checkFamilyFlags, familyFlagSpecs, familyUsage } from './family-flags.js';
import { JsonPrinter, ProgressPrinter } from './progress-printer.js';

export const name = 'train';
export const summary = 'train an ae, vae, gan, cyclegan or cut on folders of images, or resume a run';

/** Exit code after Ctrl+C: the run stopped cleanly with a checkpoint but is not done (128 + SIGINT). */
const EXIT_INTERRUPTED = 130;

const LOOP_OPTIONS: OptionSpecs = {
  data: { kind: 'string' },
  a: { kind: 'string' },
  b: { kind: 'string' },
  out: { kind: 'string' },
  resume: { kind: 'string' },
  size: { kind: 'int' }, // the family's rule is checked by checkFamilyFlags
  'load-size': { kind: 'int', min: 1 },
  iterations: { kind: 'int', min: 1 },
  epochs: { kind: 'int', min: 1 },
  batch: { kind: 'int', min: 1 },
  seed: { kind: 'int', min: 0 },
  'checkpoint-every': { kind: 'int', min: 1 },
  'sample-every': { kind: 'int', min: 1 },
  'log-every': { kind: 'int', min: 1 },
  backend: { kind: 'string', choices: BACKEND_PREFERENCES },
  threads: { kind: 'int', min: 1 },
  device: { kind: 'string', choices: DEVICE_CHOICES },
  'no-flip': { kind: 'boolean' },
  'lr-constant': { kind: 'int', min: 0 },
  'lr-decay': { kind: 'int', min: 0 },
  'init-generator': { kind: 'string' },
  json: { kind: 'boolean' },
};

/** Options a resumed run may change: where it runs, not what it computes. */
const RESUME_OPTIONS = new Set(['resume', 'iterations', 'backend', 'threads', 'device', 'json']);

/** Family option flags (union over families; each family rejects the ones it does not take). */
const FAMILY_FLAGS: OptionSpecs = familyFlagSpecs();

export const usage = `Usage:
  darkroom train ae|vae|gan --data DIR --out RUN [options]
  darkroom train cyclegan|cut --a DIR --b DIR --out RUN [options]   (cut: --mode cut|fastcut)
  darkroom train --resume RUN [--iterations N] [--backend B] [--device D] [--threads N] [--json]

Trains in a separate process. Progress goes to stderr; --json prints every event as a JSON line on stdout.
Ctrl+C stops cleanly with a checkpoint (exit ${EXIT_INTERRUPTED}) and prints the command that resumes the run.

Data and run:
  --data DIR              folder of training images (ae, vae, gan); subfolders are included
  --a DIR, --b DIR        the two unpaired image folders (cyclegan, cut)
  --out RUN               new run directory (refused if it exists and is not empty)
  --resume RUN            continue RUN exactly where it stopped
  --resume RUN --iterations N
                          train RUN further, a finished one too, to N iterations in all (a new total, more
                          than it has done). The learning rate keeps its schedule's shape: a decaying one
                          (cyclegan, cut) keeps its constant part and now decays over the rest of the new
                          total, so it rises again and reaches zero at iteration N; a constant one stays.

Training:
  --size N                image size (crop) in pixels: each family's rule and default are under Model options
  --load-size N           images are resized to this before cropping (cyclegan, cut: size×286/256; others: size)
  --no-flip               no random horizontal flips
  --iterations N | --epochs N
  --batch N               images per step (default 16; cyclegan and cut 1)
  --seed N                random seed (default: random, recorded in run.json)
  --lr-constant N         iterations at the full learning rate (cyclegan, cut default: half the run)
  --lr-decay N            iterations of linear decay to zero after that (cyclegan, cut default: the other half)
  --init-generator FILE   start from a published generator (.pth, .pt, .safetensors): cut FILE; cyclegan
                          A2B_FILE[,B2A_FILE] (the other generator, the discriminators and PatchNCE heads start
                          as usual). Fine-tunes pytorch-CycleGAN-and-pix2pix's ResnetGenerator and CUT's
                          (anti-aliased, its default, or --no_antialias / --no_antialias_up: cut only, unless
                          strided); the size and cut's --resampling come from the file unless --preset, --ngf,
                          --blocks or --resampling say otherwise (then they must match it)
  --checkpoint-every N    iterations between checkpoints (always one at the end and on stop)
  --sample-every N        iterations between sample grids (RUN/samples/NNNNNN.png)
  --log-every N           iterations between metrics lines (RUN/metrics.jsonl), default 10
  --backend B             auto | tensorflow | webgpu | onnx | wasm | cpu (default auto: the fastest that works;
                          auto never takes a software GPU adapter, webgpu by name does, with a warning).
                          onnx is Darkroom's engine on ONNX Runtime, for every family
  --device D              where onnx runs: ${platformDeviceChoices(process.platform).join(' | ')} (the rules of convert --device)
  --threads N             compute threads for wasm and onnx on the CPU
  --json                  events as JSON lines on stdout

Exit codes: 0 done, 1 failed, 2 bad usage or input (nothing trained), ${EXIT_INTERRUPTED} stopped by Ctrl+C.`;

/** The command line read and checked: flags known, values of the right kind (family rules come later). */
export const parseTrainArgs = (argv: string[]): ParsedArgs => parseArgs(name, argv, { ...FAMILY_FLAGS, ...LOOP_OPTIONS });

/** A fresh run's folder and request from its arguments; every family option checked against the family's rule. */
export function freshRunRequest(args: ParsedArgs): { runDir: string; request: RunRequest } {
  const o = args.options;
  const [family, ...rest] = args.positionals;
  if (!family) throw usageError(name, `which model? darkroom train ${FAMILY_IDS.join('|')} … (or --resume RUN)`);
  if (!(FAMILY_IDS as readonly string[]).includes(family))
    throw usageError(name, `unknown model family "${family}": choose one of ${FAMILY_IDS.join(', ')}`);
  if (rest.length > 0) throw usageError(name, `unexpected argument "${rest[0]}"`);
  if (o.out === undefined) throw usageError(name, '--out RUN is required: the folder where the run is written');
  // --size is both the loop's crop and the family's option: checked by the family's rule, passed as the loop's.
  const { size, ...familyOptions } = checkFamilyFlags(family as FamilyId, o, FAMILY_FLAGS);
  const num = (flag: string) => o[flag] as number | undefined;
  const request: RunRequest = {
    family,
    data: o.data as string | undefined,
    a: o.a as string | undefined,
    b: o.b as string | undefined,
    size: size as number | undefined,
    loadSize: num('load-size'),
    iterations: num('iterations'),
    epochs: num('epochs'),
    batch: num('batch'),
    seed: num('seed'),
    checkpointEvery: num('checkpoint-every'),
    sampleEvery: num('sample-every'),
    logEvery: num('log-every'),
    backend: o.backend as string | undefined,
    threads: num('threads'),
    device: o.device as string | undefined,
    flip: o['no-flip'] === true ? false : undefined,
    lrConstant: num('lr-constant'),
    lrDecay: num('lr-decay'),
    ...(o['init-generator'] === undefined ? {} : { initGenerator: initGeneratorFiles(String(o['init-generator'])) }),
    familyOptions,
  };
  return { runDir: String(o.out), request };
}

export async function run(argv: string[]): Promise<number> {
  const args = parseTrainArgs(argv);
  if (args.help) {
    process.stdout.write(usage + '\n' + familyUsage() + '\n');
    return 0;
  }
  const o = args.options;
  const json = o.json === true;
  const { resumeRun, startRun } = await import('../services/training.js'); // loads tfjs: not for --help
  let handle: RunHandle;
  if (o.resume !== undefined) {
    const extra = Object.keys(o).filter((k) => !RESUME_OPTIONS.has(k));
    if (args.positionals.length > 0 || extra.length > 0)
      throw usageError(name, `--resume continues a run with its own settings; remove ${[...args.positionals, ...extra.map((k) => `--${k}`)].join(', ')}`);
    handle = resumeRun(String(o.resume), {
      backend: o.backend as string | undefined,
      threads: o.threads as number | undefined,
      device: o.device as string | undefined,
      iterations: o.iterations as number | undefined,
    });
  } else {
    const { runDir, request } = freshRunRequest(args);
    // The studio's rule for two datasets, before a trainer is started for nothing.
    if (request.a !== undefined && request.b !== undefined) await checkDomainFolders(request.a, request.b);
    handle = startRun({ runDir, ...request });
  }
  return follow(handle, json);
}

/**
 * `A2B_FILE[,B2A_FILE]` → the files, resolved against the working folder (the trainer process may have another). A
 * comma inside a file's name is not a separator: a value that names an existing file is that file, and of the ways
 * to cut it at a comma, one whose two sides both exist wins.
 */
export function initGeneratorFiles(value: string): string[] {
  if (existsSync(resolve(value))) return [resolve(value)];
  const cuts = [...value.matchAll(/,/g)].map((m) => m.index!).map((i) => [value.slice(0, i).trim(), value.slice(i + 1).trim()]);
  const existing = cuts.filter((files) => files.every((f) => f !== '' && existsSync(resolve(f))));
  const files = existing[0] ?? (cuts.length === 1 ? cuts[0] : [value.trim()]);
  if (files.some((f) => f === '')) throw usageError(name, `--init-generator takes FILE or A2B_FILE,B2A_FILE; got "${value}"`);
  return files.map((f) => resolve(f));
}

/** Prints the run's events until it ends; maps the outcome to an exit code. */
async function follow(handle: RunHandle, json: boolean): Promise<number> {
  const printer = json ? new JsonPrinter() : new ProgressPrinter(process.stderr);
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) {
      process.stderr.write('\nQuitting without a checkpoint; the run resumes from its last one.\n');
      handle.kill();
      return;
    }
    interrupted = true;
    printer.note('Stopping: saving a checkpoint… (Ctrl+C again quits at once)');
    handle.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const unsubscribe = handle.subscribe((event) => printer.print(event));
  let outcome: RunOutcome;
  try {
    outcome = await handle.done;
  } finally {
    unsubscribe();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    printer.finish();
  }
  if (outcome.status === 'done') return 0;
  if (outcome.status === 'failed') return outcome.badInput ? 2 : 1;
  process.stderr.write(`Resume with: darkroom train --resume ${shellQuote(handle.runDir)}\n`);
  return interrupted ? EXIT_INTERRUPTED : 0;
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

