// What an image-to-image ONNX model takes and gives, checked before any image is read: Darkroom runs
// float32 NCHW RGB models with one input (its own exports and e.g. PyTorch CycleGAN exports).
import type { Dim } from './proto.js';
import { OnnxModelError } from './model-error.js';
import { remedy } from '../errors.js';
import type { OnnxModel, TensorInfo } from './model.js';

export interface ImageModelInfo {
  inputName: string;
  outputName: string;
  /** Fixed sizes, or null where the model takes any (symbolic dimension). */
  batch: number | null;
  height: number | null;
  width: number | null;
  /** The output's fixed sizes, or null where they follow the input. */
  outputHeight: number | null;
  outputWidth: number | null;
  /**
   * The value range the model works in: darkroom.range, or else what its final operation fixes (Tanh: -1..1,
   * Sigmoid: 0..1); null when neither says (ask --range).
   */
  range: [number, number] | null;
  /** Where `range` came from when not from valid darkroom.range metadata, or why it is unknown; null otherwise. */
  rangeNote: string | null;
  /** Input sizes that are multiples of this come back at the same size (darkroom.stride); null when unknown. */
  stride: number | null;
  /** darkroom.family and darkroom.direction, when the model was exported by Darkroom. */
  family: string | null;
  direction: string | null;
}

const shapeText = (t: TensorInfo) => `[${t.dims.join(', ')}]`;
const fixed = (d: Dim | undefined): number | null => (typeof d === 'number' ? d : null);

/** Checks that `model` is an image-to-image model Darkroom can run and says what it takes; throws OnnxModelError saying why not. */
export function describeImageModel(model: OnnxModel): ImageModelInfo {
  const refuse = (why: string): never => {
    throw new OnnxModelError(`model ${model.label} cannot convert images: ${why}`);
  };
  if (model.inputs.length !== 1)
    refuse(`it has ${model.inputs.length} inputs (${model.inputs.map((i) => i.name).join(', ') || 'none'}); Darkroom runs models that take one image`);
  const input = model.inputs[0];
  if (input.type !== 'float32') refuse(`its input '${input.name}' is ${input.type}; Darkroom feeds float32 images`);
  if (input.dims.length !== 4) {
    const latent = model.metadata['darkroom.input'] === 'latent' || input.dims.length === 2;
    refuse(
      latent
        ? `its input '${input.name}' ${shapeText(input)} is a latent vector, not an image (a decoder or generator from noise: use ${remedy({ action: 'command', command: 'sample' })} on its run)`
        : `its input '${input.name}' has shape ${shapeText(input)}; an image model takes [N, 3, H, W]`,
    );
  }
  checkChannels(input, 'input', refuse);

  const output = model.outputs[0];
  if (!output) return refuse('it has no outputs');
  if (output.type !== 'float32') refuse(`its output '${output.name}' is ${output.type}; Darkroom reads float32 images`);
  if (output.dims.length !== 4) refuse(`its output '${output.name}' has shape ${shapeText(output)}, which is not an image [N, 3, H, W]`);
  checkChannels(output, 'output', refuse);

  return {
    inputName: input.name,
    outputName: output.name,
    batch: fixed(input.dims[0]),
    height: fixed(input.dims[2]),
    width: fixed(input.dims[3]),
    outputHeight: fixed(output.dims[2]),
    outputWidth: fixed(output.dims[3]),
    ...valueRangeOf(model),
    stride: parseStride(model.metadata['darkroom.stride']),
    family: model.metadata['darkroom.family'] ?? null,
    direction: model.metadata['darkroom.direction'] ?? null,
  };
}

function checkChannels(t: TensorInfo, role: string, refuse: (why: string) => never): void {
  const [, channels, , last] = t.dims;
  if (channels === 3) return;
  // A symbolic channel dimension is taken on trust, unless the last dimension looks like the channels.
  if (last === 3 || last === 1 || last === 4) refuse(`its ${role} '${t.name}' ${shapeText(t)} looks channels-last (NHWC); Darkroom needs NCHW [N, 3, H, W]: export it channels-first`);
  if (typeof channels === 'number') refuse(`its ${role} '${t.name}' ${shapeText(t)} has ${channels} channels; Darkroom converts RGB images (3 channels)`);
}

/** The value ranges a graph's final operation fixes for certain. */
const SQUASHING_RANGES: Record<string, [number, number]> = { Tanh: [-1, 1], Sigmoid: [0, 1] };

/**
 * The value range a model works in: its darkroom.range metadata, or else what its final operation fixes for
 * certain; with words on where it came from (or why it is unknown) when not from valid metadata.
 */
export function valueRangeOf(model: Pick<OnnxModel, 'metadata' | 'header'>): Pick<ImageModelInfo, 'range' | 'rangeNote'> {
  const stated = model.metadata['darkroom.range'];
  if (stated !== undefined) {
    const range = parseRange(stated);
    if (range) return { range, rangeNote: null };
    return { range: null, rangeNote: `its darkroom.range metadata is "${stated}", which is not a value range (it should be two increasing numbers, such as -1,1)` };
  }
  const last = model.header.outputOp;
  const squashed = last ? SQUASHING_RANGES[last] : undefined;
  if (squashed) return { range: squashed, rangeNote: `no darkroom.range metadata; its output comes from a final ${last}, so its range is ${squashed[0]}..${squashed[1]}` };
  return { range: null, rangeNote: 'no darkroom.range metadata, and its last operation does not fix a range' };
}

/** "-1,1" → [-1, 1]; null for anything else than two increasing numbers. */
export function parseRange(text: string | undefined): [number, number] | null {
  if (!text) return null;
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[0] >= parts[1]) return null;
  return [parts[0], parts[1]];
}

function parseStride(text: string | undefined): number | null {
  const stride = Number(text);
  return text && Number.isInteger(stride) && stride >= 1 ? stride : null;
}
