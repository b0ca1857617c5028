// `darkroom export RUN --out FILE.onnx [--direction AtoB|BtoA] [--part decoder|encoder|generator]`
import { parseArgs, usageError } from './args.js';
import { DIRECTIONS, EXPORT_PART_NAMES } from '../../models/families/family.js';

export const name = 'export';
export const summary = 'export a trained network of a run to an ONNX file';
export const usage = `Usage:
  darkroom export RUN --out FILE.onnx [--direction AtoB|BtoA] [--part generator|decoder|encoder]

Writes one network of RUN, at its newest good checkpoint, as an ONNX model (opset 17, NCHW float32,
values in [-1, 1]; height and width dynamic for CycleGAN generators). The file is written atomically.

  --out FILE.onnx   where to write the model
  --direction D     cyclegan: AtoB (default) or BtoA; cut: AtoB (its only direction)
  --part P          vae: decoder (default, latent → image) or encoder; ae: decoder (default) or encoder;
                    gan: generator (default)

Exit codes: 0 done, 1 failed, 2 bad usage or input.`;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(name, argv, {
    out: { kind: 'string' },
    direction: { kind: 'string', choices: DIRECTIONS },
    part: { kind: 'string', choices: EXPORT_PART_NAMES },
  });
  if (args.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  const [runDir, ...rest] = args.positionals;
  if (!runDir) throw usageError(name, 'which run? darkroom export RUN --out FILE.onnx');
  if (rest.length > 0) throw usageError(name, `unexpected argument "${rest[0]}"`);
  const out = args.options.out as string | undefined;
  if (!out) throw usageError(name, '--out FILE.onnx is required');

  const { exportRun } = await import('../services/export.js');
  const result = await exportRun({
    runDir,
    out,
    direction: args.options.direction as 'AtoB' | 'BtoA' | undefined,
    part: args.options.part as 'generator' | 'decoder' | 'encoder' | undefined,
  });
  const what = `${result.family} ${result.part}${result.direction ? ` ${result.direction}` : ''}`;
  process.stderr.write(`Exported the ${what} (${result.description}) at iteration ${result.iteration} to ${result.path}\n`);
  return 0;
}
