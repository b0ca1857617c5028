// A published PyTorch generator → a Darkroom ONNX model: read the checkpoint (checkpoint.ts), recognise the
// architecture (recognise.ts), write the graph with the exporter's interpreter of the layer spec and Darkroom's
// metadata. Nothing is written unless all of that succeeds, and then atomically.
import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { darkroomMetadata } from '../onnx/darkroom-metadata.js';
import { writeModelFile } from '../onnx/model-file.js';
import { specToOnnx } from '../onnx/spec-to-onnx.js';
import { readCheckpoint, type CheckpointFormat } from './checkpoint.js';
import { CheckpointError } from './checkpoint-error.js';
import { recogniseGenerator, type RecognisedGenerator } from './recognise.js';
import { FAMILY_TRAITS, type Direction, type FamilyId } from '../families/family.js';

export { CHECKPOINT_EXTENSIONS, isCheckpointPath } from './checkpoint-files.js';

export interface ImportOptions {
  /** Darkroom's version, recorded in the model. */
  version: string;
  /** A nested state dict to take, by its key (default: found, state-dict.ts). */
  key?: string;
  /** What the model is called (darkroom.name; the Models view shows it). */
  name?: string;
  /** Names the file in messages (default: its file name); the path the user gave, where there is one. */
  label?: string;
}

export interface ImportedGenerator {
  onnx: Uint8Array;
  metadata: Record<string, string>;
  generator: RecognisedGenerator;
  format: CheckpointFormat;
  /** The key the state dict was nested under, or null. */
  nestedKey: string | null;
}

/** Nested keys and the repository's file names that say which way a CycleGAN generator translates. */
function directionOf(family: FamilyId, nestedKey: string | null, fileName: string): Direction | null {
  const { directions } = FAMILY_TRAITS[family];
  if (directions.length === 1) return directions[0]; // CUT trains one generator, A → B
  const said = `${nestedKey ?? ''} ${fileName}`;
  if (/(^|[^A-Za-z])(net_?)?G_A([^A-Za-z]|$)/.test(said)) return 'AtoB';
  if (/(^|[^A-Za-z])(net_?)?G_B([^A-Za-z]|$)/.test(said)) return 'BtoA';
  return null;
}

const FORMAT_NAMES: Record<CheckpointFormat, string> = { 'torch-zip': 'PyTorch (zip)', 'torch-legacy': 'PyTorch (legacy pickle)', safetensors: 'safetensors' };

/** Converts a checkpoint's bytes; `fileName` names it in messages and metadata. Throws CheckpointError for bad input. */
export function importGenerator(bytes: Uint8Array, fileName: string, options: ImportOptions): ImportedGenerator {
  const label = options.label ?? fileName;
  const checkpoint = readCheckpoint(bytes, label, options.key);
  const generator = recogniseGenerator(checkpoint.tensors, label);
  const direction = directionOf(generator.family, checkpoint.nestedKey, fileName);
  const metadata = darkroomMetadata(generator.spec, {
    family: generator.family,
    part: 'generator',
    direction,
    input: 'image',
    output: 'image',
    trainSize: 'unknown',
    version: options.version,
    description: `imported from ${fileName}: ${generator.architecture}`,
    extra: {
      'darkroom.source': 'imported',
      'darkroom.sourceFile': fileName,
      'darkroom.sourceFormat': FORMAT_NAMES[checkpoint.format],
      'darkroom.architecture': generator.architecture,
      ...(checkpoint.nestedKey ? { 'darkroom.sourceKey': checkpoint.nestedKey } : {}),
      ...(options.name ? { 'darkroom.name': options.name } : {}),
    },
  });
  const graphName = [generator.family, 'generator', direction].filter(Boolean).join('_');
  const onnx = specToOnnx(generator.spec, generator.params, { metadata, graphName, description: metadata['darkroom.description'] });
  return { onnx, metadata, generator, format: checkpoint.format, nestedKey: checkpoint.nestedKey };
}

/** Reads `source`, converts it and writes the model to `out` (atomically; nothing is written on refusal). */
export async function importGeneratorFile(source: string, out: string, options: ImportOptions): Promise<ImportedGenerator> {
  const stat = await fs.stat(source).catch(() => null);
  if (!stat) throw new CheckpointError(`${source} does not exist: check the path`);
  if (!stat.isFile()) throw new CheckpointError(`${source} is not a file: give the checkpoint file (.pth, .pt or .safetensors)`);
  const imported = importGenerator(await fs.readFile(source), basename(source), { label: source, ...options });
  await writeModelFile(out, imported.onnx);
  return imported;
}
