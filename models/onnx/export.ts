// Exports a trained Net (or a family's part of one) as an ONNX model with Darkroom's metadata. The graph itself is
// written by spec-to-onnx.ts, the ONNX interpreter of the layer spec.
import { readParams, type Net } from '../nets/net.js';
import type { ExportPart, FamilyId } from '../families/family.js';
import { darkroomMetadata } from './darkroom-metadata.js';
import { writeModelFile } from './model-file.js';
import { specToOnnx, type ExportNetOptions } from './spec-to-onnx.js';

export type { ExportNetOptions } from './spec-to-onnx.js';
export { writeModelFile } from './model-file.js';

/** Builds the ONNX model of `net` with its current weights. Input `input`, output `output`, float32 NCHW. */
export async function exportNet(net: Net, options: ExportNetOptions): Promise<Uint8Array> {
  return specToOnnx(net.spec, await readParams(net), options);
}

export interface ExportInfo {
  family: FamilyId;
  /** The image size the model was trained at (square). */
  trainSize: number;
  /** Darkroom's version, recorded as darkroom.version and the producer version. */
  version: string;
}

/** The metadata_props Darkroom writes for one exported part (see docs/architecture.md, "An exported ONNX generator"). */
function partMetadata(part: ExportPart, info: ExportInfo): Record<string, string> {
  return darkroomMetadata(part.net.spec, {
    family: info.family,
    part: part.part,
    direction: part.direction,
    input: part.input,
    output: part.output,
    trainSize: String(info.trainSize),
    version: info.version,
    description: part.description,
  });
}

/** Exports one part of a family (a generator, encoder or decoder) with Darkroom's metadata. */
export async function exportPart(part: ExportPart, info: ExportInfo): Promise<Uint8Array> {
  const input = part.net.spec.input.kind;
  if ((part.input === 'latent') !== (input === 'vector'))
    throw new Error(`export ${part.part}: the part says its input is ${part.input} but net ${part.net.spec.name} takes a ${input}`);
  const graphName = [info.family, part.part, part.direction].filter(Boolean).join('_');
  return exportNet(part.net, { metadata: partMetadata(part, info), graphName, description: part.description });
}

/** exportPart, then writeModelFile. */
export async function exportPartToFile(part: ExportPart, info: ExportInfo, path: string): Promise<void> {
  await writeModelFile(path, await exportPart(part, info));
}

