// `darkroom import FILE [--out MODEL.onnx] [--name NAME] [--key KEY]`: a published PyTorch generator (the CycleGAN
// and CUT authors' checkpoints, or one trained with their code) as a Darkroom ONNX model, ready for convert, batch
// and info. The checkpoint is read without running anything from it (models/import).
import { basename, dirname, extname, join } from 'node:path';
import { parseArgs, usageError } from './args.js';

export const name = 'import';
export const summary = 'turn a PyTorch CycleGAN or CUT generator checkpoint (.pth, .pt, .safetensors) into an ONNX model';
export const usage = `Usage:
  darkroom import FILE [--out MODEL.onnx] [--name NAME] [--key KEY]

Reads a generator's weights from FILE and writes a Darkroom ONNX model (NCHW float32, values in [-1, 1],
any size that is a multiple of 4) with its metadata: family (cyclegan or cut), direction where the file
says (G_A: AtoB, G_B: BtoA; CUT: AtoB), the source file and the architecture found. The model is written
atomically; nothing is written when the file is refused.

FILE is a PyTorch checkpoint (torch.save, zip or the legacy format of older torch, such as the CycleGAN
zoo's latest_net_G.pth) or a .safetensors file, holding a state dict at the top level or under a common
key (state_dict, model, netG, G_A…), with or without nn.DataParallel's "module." prefix, in float32 or
float16. The architecture is recognised from the keys and shapes: pytorch-CycleGAN-and-pix2pix's
ResnetGenerator (any width and block count, with or without dropout) and CUT's ResnetGenerator (anti-aliased,
or trained with --no_antialias / --no_antialias_up).

A checkpoint is a Python pickle, which may ask to run any code when loaded. Darkroom never runs code from
it: it reads only the tensors of a state dict and refuses a file that asks for anything else.

  --out MODEL.onnx   where to write the model (default: FILE with .onnx in place of its extension)
  --name NAME        what to call the model (recorded in it; the studio's Models view shows it)
  --key KEY          the state dict to take when FILE holds several (e.g. G_B)
  --json             print what was imported as JSON on stdout

\`darkroom convert --model FILE.pth …\` imports on the fly (once, into the workspace's cache).

Exit codes: 0 done, 1 failed, 2 bad usage or input (a refused file included).`;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(name, argv, { out: { kind: 'string' }, name: { kind: 'string' }, key: { kind: 'string' }, json: { kind: 'boolean' } });
  if (args.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  const [source, ...rest] = args.positionals;
  if (!source) throw usageError(name, 'which checkpoint? darkroom import FILE.pth [--out MODEL.onnx]');
  if (rest.length > 0) throw usageError(name, `unexpected argument "${rest[0]}"`);
  const out = (args.options.out as string | undefined) ?? join(dirname(source), `${basename(source, extname(source))}.onnx`);
  if (!out.toLowerCase().endsWith('.onnx')) throw usageError(name, `--out ${out}: give a file name ending in .onnx`);

  const { importGeneratorFile } = await import('../../models/import/import-generator.js');
  const { DARKROOM_VERSION } = await import('../services/version.js');
  const imported = await importGeneratorFile(source, out, {
    version: DARKROOM_VERSION,
    name: args.options.name as string | undefined,
    key: args.options.key as string | undefined,
  });
  const direction = imported.metadata['darkroom.direction'];
  const summaryLine = `Imported ${imported.generator.architecture} from ${source} (${imported.metadata['darkroom.sourceFormat']}${imported.nestedKey ? `, key ${imported.nestedKey}` : ''}) as a ${imported.generator.family} generator${direction !== 'none' ? ` ${direction}` : ''} to ${out}`;
  process.stderr.write(summaryLine + '\n');
  if (args.options.json)
    process.stdout.write(JSON.stringify({ out, family: imported.generator.family, direction, architecture: imported.generator.architecture, format: imported.format, key: imported.nestedKey, metadata: imported.metadata }, null, 2) + '\n');
  return 0;
}
