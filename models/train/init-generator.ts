// `--init-generator`: a translation run whose generators start from published PyTorch weights (models/import reads
// and recognises them, and already maps PyTorch's layout onto our parameters: that mapping is reused, not repeated).
// The rest of the model (discriminators, PatchNCE heads, a generator no file is given for) is initialised from the
// seed as in any run, so a fine-tune and a run from scratch with the same seed differ only in those generators.
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { promises as fs } from 'node:fs';
import { basename, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readCheckpoint, type CheckpointFormat } from '../import/checkpoint.js';
import { CheckpointError } from '../import/checkpoint-error.js';
import { recogniseGenerator, type RecognisedGenerator } from '../import/recognise.js';
import type { ResnetVariant } from '../import/resnet-layouts.js';
import type { Resampling } from '../nets/resnet-generator.js';
import type { LayerSpec } from '../nets/spec.js';
import { FAMILY_TRAITS, type Direction, type FamilyId, type FamilyModel } from '../families/family.js';
import { TRANSLATOR_PRESETS } from '../families/translator-nets.js';
import { UsageError, option, remedy } from '../errors.js';

/** What run.json records of each file a run started from: enough to see where it began and to check the file. */
export interface InitGeneratorRecord {
  /** The generator it initialised: AtoB (CycleGAN's G_AB, CUT's G) or BtoA (CycleGAN's G_BA). */
  direction: Direction;
  /** Absolute path when the run started. */
  file: string;
  name: string;
  sha256: string;
  format: CheckpointFormat;
  architecture: string;
}

export interface InitGenerator {
  record: InitGeneratorRecord;
  generator: RecognisedGenerator;
}

/** Which published generators each family's training nets can run: CycleGAN's generators have no blur layers. */
export const FINE_TUNABLE = {
  cyclegan: "pytorch-CycleGAN-and-pix2pix's ResnetGenerator (every CycleGAN zoo model, any latest_net_G_A/G_B.pth) or a CUT ResnetGenerator trained with both --no_antialias and --no_antialias_up",
  cut: "CUT's ResnetGenerator (anti-aliased as CUT and FastCUT train it by default, or with --no_antialias / --no_antialias_up) or pytorch-CycleGAN-and-pix2pix's",
} as const;

/** The CUT generator resampling (nets/resnet-generator.ts) that a recognised checkpoint was trained with. */
export function resamplingOf(v: ResnetVariant): Resampling {
  if (v.antialiasDown) return v.antialiasUp ? 'antialiased' : 'antialiased-down';
  return v.antialiasUp ? 'antialiased-up' : 'strided';
}

const flag = option('initGenerator');

/** Reads and recognises each file (A → B first, then B → A), refusing what the run cannot start from. */
export async function readInitGenerators(family: FamilyId, files: readonly string[], warn: (message: string) => void): Promise<InitGenerator[]> {
  const directions = FAMILY_TRAITS[family].directions;
  if (directions.length === 0) throw new UsageError(`${flag} starts a translator (cyclegan, cut) from a published generator; ${family} has none`);
  if (files.length === 0 || files.length > directions.length)
    throw new UsageError(
      family === 'cut'
        ? `${flag} takes one file for cut (its A → B generator); got ${files.length}`
        : `${flag} takes A2B_FILE or A2B_FILE,B2A_FILE for cyclegan (the A → B generator, then the B → A one); got ${files.length} files`,
    );
  const inits: InitGenerator[] = [];
  for (const [i, given] of files.entries()) {
    const file = resolve(given);
    const bytes = await fs.readFile(file).catch((error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? 'does not exist: check the path' : error.code === 'EISDIR' ? 'is a folder: give the checkpoint file (.pth, .pt or .safetensors)' : `cannot be read (${error.message})`;
      throw new UsageError(`${flag} ${given} ${why}`);
    });
    let generator: RecognisedGenerator;
    let format: CheckpointFormat;
    try {
      const checkpoint = readCheckpoint(bytes, given);
      format = checkpoint.format;
      generator = recogniseGenerator(checkpoint.tensors, given);
    } catch (error) {
      if (error instanceof CheckpointError) throw new UsageError(`${flag}: ${error.message}`);
      throw error;
    }
    if (family === 'cyclegan' && resamplingOf(generator.variant) !== 'strided')
      throw new UsageError(
        `${flag} ${given} holds a ${generator.architecture}: Darkroom trains its anti-aliased (blur) resampling in CUT's generator, not CycleGAN's, so fine-tune it in a CUT run (family cut), ` +
          `convert with it as it is (${remedy({ action: 'convert-checkpoint', file: basename(given) })}), or start CycleGAN from ${FINE_TUNABLE.cyclegan}.`,
      );
    if (generator.variant.dropout) warn(`${given} was trained with dropout in its residual blocks; Darkroom fine-tunes it without dropout.`);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    inits.push({ record: { direction: directions[i], file, name: basename(file), sha256, format, architecture: generator.architecture }, generator });
  }
  const [first, second] = inits;
  if (second && (first.generator.ngf !== second.generator.ngf || first.generator.blocks !== second.generator.blocks))
    throw new UsageError(
      `${flag}: ${files[0]} has ngf ${first.generator.ngf} and ${first.generator.blocks} blocks but ${files[1]} has ngf ${second.generator.ngf} and ${second.generator.blocks}; a CycleGAN's two generators are the same size, so give two checkpoints of one architecture`,
    );
  return inits;
}

const given = (options: Record<string, unknown>, key: string) => options[key] !== undefined && options[key] !== null;

/**
 * The family options with the generator's size taken from the checkpoint when the user chose none (--ngf, --blocks,
 * --preset): a preset whose widths match is named, so its discriminator width follows; else ndf = ngf, as the presets
 * pair them. CUT's resampling likewise, unless chosen (--resampling). What the user did choose is left for
 * checkNetsFit to compare.
 */
export function netOptionsFromCheckpoint(family: FamilyId, chosen: Record<string, unknown>, inits: readonly InitGenerator[]): Record<string, unknown> {
  if (inits.length === 0) return chosen;
  const options = family === 'cut' && !given(chosen, 'resampling') ? { ...chosen, resampling: resamplingOf(inits[0].generator.variant) } : chosen;
  if (['ngf', 'blocks', 'preset'].some((k) => given(options, k))) return options;
  const { ngf, blocks } = inits[0].generator;
  const preset = Object.entries(TRANSLATOR_PRESETS).find(([, p]) => p.ngf === ngf && p.blocks === blocks)?.[0];
  if (preset) return { ...options, preset };
  return { ...options, ngf, blocks, ...(given(options, 'ndf') ? {} : { ndf: ngf }) };
}

/** Refuses a run whose generator size or resampling (as resolved from the user's options) is not the checkpoint's. */
export function checkNetsFit(config: { ngf: number; blocks: number; preset: string; resampling?: Resampling }, inits: readonly InitGenerator[]): void {
  for (const { record, generator } of inits) {
    const resampling = resamplingOf(generator.variant);
    if (config.resampling !== undefined && config.resampling !== resampling)
      throw new UsageError(
        `${flag} ${record.name} holds a ${generator.architecture}, whose resampling is ${resampling}, but this run's generator has ${option('resampling', config.resampling)}: leave out ${option('resampling')} to take the checkpoint's, or give ${option('resampling', resampling)}`,
      );
    if (generator.ngf === config.ngf && generator.blocks === config.blocks) continue;
    throw new UsageError(
      `${flag} ${record.name} holds a generator with ngf ${generator.ngf} and ${generator.blocks} residual blocks, but this run's generator has ngf ${config.ngf} and ${config.blocks} blocks ` +
        `(from ${option('preset', config.preset)} and any ${option('ngf')}/${option('blocks')}): leave out ${option('ngf')}, ${option('blocks')} and ${option('preset')} to take the checkpoint's size, or give ${option('ngf', generator.ngf)} ${option('blocks', generator.blocks)}`,
    );
  }
}

const blurLayers = (layers: readonly LayerSpec[]) => layers.filter((l) => l.op === 'blurDown' || l.op === 'blurUp');

/** Copies each checkpoint's weights (already in our layout, by our parameter names) into the generator it starts. */
export function applyInitGenerators(model: FamilyModel, inits: readonly InitGenerator[]): void {
  const generators = new Map(model.exportParts().filter((p) => p.part === 'generator').map((p) => [p.direction, p.net]));
  for (const { record, generator } of inits) {
    const net = generators.get(record.direction);
    if (!net) throw new Error(`${model.family} has no ${record.direction} generator for ${record.name}`);
    // The blurs have no weights to compare: the checkpoint's (its `filt` buffers) must be the run's, CUT's filters.
    if (!isDeepStrictEqual(blurLayers(net.spec.layers), blurLayers(generator.spec.layers)))
      throw new UsageError(`${flag} ${record.name} holds a ${generator.architecture} whose blur resampling differs from this run's generator's (CUT's filters), so it cannot be fine-tuned`);
    const missing = [...generator.params.keys()].filter((name) => !net.params.has(name));
    if (missing.length > 0) throw new UsageError(`${flag} ${record.name} has weights this run's generator lacks (${missing.slice(0, 3).join(', ')})`);
    for (const [name, variable] of net.params) {
      const value = generator.params.get(name);
      if (!value || value.shape.join() !== variable.shape.join())
        throw new UsageError(
          `${flag} ${record.name} does not fit this run's generator: ${name} is ${value ? `[${value.shape.join(', ')}]` : 'missing'}, the generator's is [${variable.shape.join(', ')}]`,
        );
      tf.tidy(() => variable.assign(tf.tensor(value.values, value.shape)));
    }
  }
}

/**
 * For a resumed run that never reached a checkpoint: the files it started from again, each checked against the hash
 * run.json recorded (a changed or missing file is refused rather than quietly starting from something else).
 */
export async function rereadInitGenerators(family: FamilyId, records: readonly InitGeneratorRecord[], warn: (message: string) => void): Promise<InitGenerator[]> {
  const inits = await readInitGenerators(family, records.map((r) => r.file), warn).catch((error: Error) => {
    throw new UsageError(`this run started from ${records.map((r) => r.file).join(' and ')} and has no checkpoint yet, so it needs them again: ${error.message}`);
  });
  for (const [i, init] of inits.entries())
    if (init.record.sha256 !== records[i].sha256)
      throw new UsageError(
        `${records[i].file} has changed since this run started from it (its SHA-256 differs from run.json's), and the run has no checkpoint yet: put the original file back, or start a new run`,
      );
  return inits;
}
