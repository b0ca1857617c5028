// Which generator a state dict holds, from its keys and shapes alone (never the file's name): each supported
// layout (resnet-layouts.ts) is built for the stem width and block count the keys show and compared key by key.
// The match gives the layer spec and its weights, converted to the spec's layout.
import { permute4 } from '../onnx/spec-to-onnx.js';
import type { ParamValues } from '../onnx/spec-to-onnx.js';
import type { NetSpec } from '../nets/spec.js';
import { CheckpointError } from './checkpoint-error.js';
import { resnetLayout, type ResnetLayout, type ResnetVariant } from './resnet-layouts.js';
import type { CheckpointTensor } from './tensor.js';

export interface RecognisedGenerator {
  family: 'cyclegan' | 'cut';
  /** In words, for metadata and the Models view, e.g. "CUT ResnetGenerator (anti-aliased), ngf 64, 9 blocks". */
  architecture: string;
  ngf: number;
  blocks: number;
  variant: ResnetVariant;
  spec: NetSpec;
  params: ParamValues;
}

export const SUPPORTED_ARCHITECTURES =
  "pytorch-CycleGAN-and-pix2pix's ResnetGenerator (any width and block count, with or without dropout) and CUT's ResnetGenerator (anti-aliased, or with --no_antialias / --no_antialias_up)";

/** Keys older checkpoints carry for instance norms that track no statistics (torch < 0.4): never used, dropped. */
const UNUSED_KEY = /\.(running_mean|running_var|num_batches_tracked)$/;

const VARIANTS: ResnetVariant[] = [false, true].flatMap((antialiasDown) =>
  [false, true].flatMap((antialiasUp) => [false, true].map((dropout) => ({ antialiasDown, antialiasUp, dropout }))),
);

export function recogniseGenerator(all: Map<string, CheckpointTensor>, label: string): RecognisedGenerator {
  const tensors = new Map([...all].filter(([key]) => !UNUSED_KEY.test(key)));
  const stem = tensors.get('model.1.weight');
  const blocks = new Set([...tensors.keys()].map((k) => /^model\.(\d+)\.conv_block\./.exec(k)?.[1]).filter(Boolean)).size;
  const head = [...tensors.entries()].filter(([k, t]) => /^model\.\d+\.weight$/.test(k) && t.shape.length === 4 && t.shape[2] === 7).pop()?.[1];
  if (!stem || stem.shape.length !== 4 || stem.shape[2] !== 7 || blocks === 0 || !head) throw unknown(tensors, label, null);
  const [ngf, input] = stem.shape;
  const output = head.shape[0];
  if (input !== 3 || output !== 3)
    throw new CheckpointError(`${label} holds a ResnetGenerator for ${input}-channel input and ${output}-channel output; Darkroom translates RGB photos (3 channels in and out)`);

  let closest: { variant: ResnetVariant; differences: string[] } | null = null;
  for (const variant of VARIANTS) {
    const layout = resnetLayout(variant, ngf, blocks, { input, output });
    const differences = compare(layout, tensors);
    if (differences.length === 0) return build(layout, variant, ngf, blocks, tensors, label);
    if (!closest || differences.length < closest.differences.length) closest = { variant, differences };
  }
  throw unknown(tensors, label, closest && `closest is ${describe(closest.variant, ngf, blocks)}, but ${closest.differences.slice(0, 3).join('; ')}`);
}

/** What differs between a layout and the state dict: missing and unexpected keys, wrong shapes. */
function compare(layout: ResnetLayout, tensors: Map<string, CheckpointTensor>): string[] {
  const differences: string[] = [];
  for (const [key, shape] of layout.keys) {
    const tensor = tensors.get(key);
    if (!tensor) differences.push(`${key} is missing`);
    else if (tensor.shape.join() !== shape.join()) differences.push(`${key} is [${tensor.shape.join(', ')}], not [${shape.join(', ')}]`);
  }
  for (const key of tensors.keys()) if (!layout.keys.has(key)) differences.push(`${key} is not part of it`);
  return differences;
}

function build(layout: ResnetLayout, variant: ResnetVariant, ngf: number, blocks: number, tensors: Map<string, CheckpointTensor>, label: string): RecognisedGenerator {
  const read = (key: string) => {
    try {
      return tensors.get(key)!.toFloat32();
    } catch (error) {
      throw new CheckpointError(`${label}: ${key} cannot be read: ${(error as Error).message}`, { cause: error });
    }
  };
  const params: ParamValues = new Map();
  for (const { key, param } of layout.params) {
    const shape = [...tensors.get(key)!.shape];
    const values = read(key);
    // PyTorch keeps conv weights [out, in, kh, kw] and transposed ones [in, out, kh, kw]; the spec [kh, kw, …] (spec.ts).
    params.set(param, shape.length === 4 ? permute4(values, shape, [2, 3, 1, 0]) : { shape, values });
  }
  for (const { key, layer } of layout.blurs) {
    const [channels, , k] = tensors.get(key)!.shape;
    const filt = read(key);
    const kernel = Array.from(filt.subarray(0, k * k));
    for (let c = 1; c < channels; c++)
      if (filt.subarray(c * k * k, (c + 1) * k * k).some((v, i) => v !== kernel[i]))
        throw new CheckpointError(`${label}: the blur filter ${key} differs between channels; CUT's anti-aliasing uses one filter for all`);
    layer.kernel = kernel;
  }
  const family = variant.antialiasDown || variant.antialiasUp ? 'cut' : 'cyclegan';
  return { family, architecture: describe(variant, ngf, blocks), ngf, blocks, variant, spec: layout.spec, params };
}

function describe(v: ResnetVariant, ngf: number, blocks: number): string {
  const size = `ngf ${ngf}, ${blocks} residual block${blocks === 1 ? '' : 's'}${v.dropout ? ', dropout' : ''}`;
  if (!v.antialiasDown && !v.antialiasUp) return `ResnetGenerator of pytorch-CycleGAN-and-pix2pix (${size}; also CUT's with --no_antialias --no_antialias_up)`;
  const aa = v.antialiasDown && v.antialiasUp ? 'anti-aliased' : v.antialiasDown ? 'anti-aliased downsampling, --no_antialias_up' : 'anti-aliased upsampling, --no_antialias';
  return `CUT ResnetGenerator (${aa}; ${size})`;
}

function unknown(tensors: Map<string, CheckpointTensor>, label: string, closest: string | null): CheckpointError {
  const keys = [...tensors.entries()];
  const shown = keys.slice(0, 6).map(([k, t]) => `${k} [${t.shape.join(', ')}]`).join(', ');
  return new CheckpointError(
    `${label} is not a generator Darkroom knows: it holds ${keys.length} tensor${keys.length === 1 ? '' : 's'} (${shown}${keys.length > 6 ? ', …' : ''})` +
      `${closest ? `; the ${closest}` : ''}. Darkroom imports ${SUPPORTED_ARCHITECTURES}, saved as a state dict.`,
  );
}
