// `darkroom sample RUN --count N --out DIR`: new images from the prior of a trained vae or gan run.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { BACKEND_PREFERENCES } from '../../models/backend/names.js';
import { parseArgs, usageError } from './args.js';
import { createOutputFolder } from '../../models/output-folder.js';

export const name = 'sample';
export const summary = 'draw new images from a trained vae or gan run';
export const usage = `Usage:
  darkroom sample RUN --count N --out DIR [--seed N] [--backend B] [--overwrite]

Decodes N random latent vectors drawn from N(0, I) with the run's newest checkpoint and writes
DIR/sample-0001.png, … (vae and gan runs only). The same --seed gives the same images.

  --count N       how many images
  --out DIR       output folder (created if needed)
  --seed N        random seed (default: random; printed)
  --backend B     auto | tensorflow | wasm | cpu (default auto)
  --overwrite     replace existing sample-NNNN.png files in DIR

Exit codes: 0 done, 1 failed, 2 bad usage or input.`;

/** Images decoded per step, to bound memory for large counts. */
const CHUNK = 16;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(name, argv, {
    count: { kind: 'int', min: 1 },
    out: { kind: 'string' },
    seed: { kind: 'int', min: 0 },
    backend: { kind: 'string', choices: BACKEND_PREFERENCES },
    overwrite: { kind: 'boolean' },
  });
  if (args.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  const [runDir, ...rest] = args.positionals;
  if (!runDir) throw usageError(name, 'which run? darkroom sample RUN --count N --out DIR');
  if (rest.length > 0) throw usageError(name, `unexpected argument "${rest[0]}"`);
  const count = args.options.count as number | undefined;
  const out = args.options.out as string | undefined;
  if (count === undefined) throw usageError(name, '--count N is required');
  if (out === undefined) throw usageError(name, '--out DIR is required');
  const seed = (args.options.seed as number | undefined) ?? randomInt(0, 2 ** 31);
  const names = Array.from({ length: count }, (_, i) => `sample-${String(i + 1).padStart(4, '0')}.png`);
  if (!args.options.overwrite) {
    const existing = new Set(await fs.readdir(out).catch(() => [] as string[]));
    const clash = names.filter((n) => existing.has(n));
    if (clash.length > 0) throw usageError(name, `${join(out, clash[0])} already exists; choose another --out or add --overwrite`);
  }

  // Heavy modules load only once the command line is known to be good.
  const tf = await import('@tensorflow/tfjs');
  const { initBackend } = await import('../../models/backend/index.js');
  const { canSample, sampleImages, samplingFamilies } = await import('../../models/families/index.js');
  const { loadRunModel } = await import('../../models/train/load-run.js');
  const { readRunInfo } = await import('../../models/train/run-dir.js');
  const { writePngAtomic } = await import('../../models/data/image-io.js');
  const { Rng } = await import('../../models/rng.js');

  const info = await readRunInfo(runDir);
  if (!canSample(info.family))
    throw usageError(name, `${runDir} is a ${info.family} run; sampling from a prior works for ${samplingFamilies()} runs`);
  await initBackend((args.options.backend as 'auto' | undefined) ?? 'auto');
  const loaded = await loadRunModel(runDir);
  await createOutputFolder(out, 'the output folder (--out)');
  const rng = new Rng(seed);
  try {
    for (let start = 0; start < count; start += CHUNK) {
      const n = Math.min(CHUNK, count - start);
      const images = sampleImages(loaded.model, n, rng);
      try {
        const [, h, w] = images.shape;
        const pixels = (await images.data()) as Float32Array;
        for (let i = 0; i < n; i++) {
          const one = pixels.subarray(i * h * w * 3, (i + 1) * h * w * 3);
          await writePngAtomic(join(out, names[start + i]), one, w, h, 3, { range: '-1,1' });
        }
      } finally {
        tf.dispose(images);
      }
    }
  } finally {
    loaded.model.dispose();
  }
  process.stderr.write(`Wrote ${count} image${count === 1 ? '' : 's'} to ${out} (${info.family} at iteration ${loaded.iteration}, seed ${seed}).\n`);
  return 0;
}
