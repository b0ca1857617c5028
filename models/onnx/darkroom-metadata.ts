// The metadata_props Darkroom writes into every model it makes, exported from a run or imported from a checkpoint
// (docs/architecture.md, "An exported ONNX generator"). One list of keys, so readers need no special cases.
import { isFullyConvolutional, netStride, type NetSpec } from '../nets/spec.js';

export interface ModelDescription {
  family: string;
  /** generator, encoder, decoder. */
  part: string;
  /** AtoB or BtoA for translators; absent: 'none'. */
  direction?: string | null;
  input: 'image' | 'latent';
  output: string;
  /** The square size it was trained at, or 'unknown' (an imported checkpoint does not say). */
  trainSize: string;
  version: string;
  description?: string;
  /** Further darkroom.* keys (an import's source and architecture). */
  extra?: Record<string, string>;
}

export function darkroomMetadata(spec: NetSpec, d: ModelDescription): Record<string, string> {
  const metadata: Record<string, string> = {
    'darkroom.family': d.family,
    'darkroom.part': d.part,
    // Only translators have a direction; the key is always present so readers need no special case.
    'darkroom.direction': d.direction ?? 'none',
    'darkroom.input': d.input,
    'darkroom.output': d.output,
    'darkroom.range': '-1,1',
    'darkroom.trainSize': d.trainSize,
    'darkroom.version': d.version,
    'darkroom.layout': 'NCHW',
  };
  if (spec.input.kind === 'vector') metadata['darkroom.latentSize'] = String(spec.input.size);
  // Inputs that are multiples of the stride come back at the same size; tiled inference pads to it.
  if (isFullyConvolutional(spec)) metadata['darkroom.stride'] = String(netStride(spec));
  if (d.description) metadata['darkroom.description'] = d.description;
  return { ...metadata, ...d.extra };
}
