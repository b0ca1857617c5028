// Test support for --init-generator (not a test file): a generator's weights written as the PyTorch checkpoint a
// user would download — pytorch-CycleGAN-and-pix2pix's ResnetGenerator state dict, or CUT's anti-aliased one with
// its blur buffers, in safetensors — so the tests need no Python. The key ↔ parameter table is the importer's own
// (resnet-layouts.ts), read backwards.
import { writeFile } from 'node:fs/promises';
import { resnetLayout, type ResnetVariant } from '../import/resnet-layouts.js';
import { CUT_BLUR_DOWN, CUT_BLUR_UP } from '../nets/resnet-generator.js';
import { permute4, type ParamValues } from '../onnx/spec-to-onnx.js';

const NO_ANTIALIAS: ResnetVariant = { antialiasDown: false, antialiasUp: false, dropout: false };

/** safetensors: the header's length (u64, little-endian), the JSON header, then each tensor's raw bytes. */
export async function writeSafetensors(path: string, tensors: Map<string, { shape: number[]; values: Float32Array }>): Promise<void> {
  const header: Record<string, unknown> = {};
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [key, { shape, values }] of tensors) {
    header[key] = { dtype: 'F32', shape, data_offsets: [offset, offset + values.byteLength] };
    blobs.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    offset += values.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(json.length), true);
  await writeFile(path, Buffer.concat([length, json, ...blobs]));
}

/**
 * Our generator's parameters (tf layout) as the ResnetGenerator state dict PyTorch would save ([out|in, in|out, kh,
 * kw]); an anti-aliased variant's blur layers get CUT's `filt` buffers, one copy of the filter per channel.
 */
export function toPytorchStateDict(params: ParamValues, ngf: number, blocks: number, variant = NO_ANTIALIAS): Map<string, { shape: number[]; values: Float32Array }> {
  const layout = resnetLayout(variant, ngf, blocks, { input: 3, output: 3 });
  const dict = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const { key, param } of layout.params) {
    const value = params.get(param);
    if (!value) throw new Error(`the generator has no parameter ${param} for ${key}`);
    dict.set(key, value.shape.length === 4 ? permute4(value.values, value.shape, [3, 2, 0, 1]) : value);
  }
  for (const { key } of layout.blurs) {
    const shape = layout.keys.get(key)!; // [channels, 1, k, k]
    const filter = shape[2] === 3 ? CUT_BLUR_DOWN : CUT_BLUR_UP;
    dict.set(key, { shape, values: Float32Array.from({ length: shape[0] * filter.length }, (_, i) => filter[i % filter.length]) });
  }
  return dict;
}

/** Writes a generator's parameters, e.g. `net/G_AB/...` of a checkpoint with the prefix taken off, as a checkpoint file. */
export async function writeGeneratorCheckpoint(path: string, params: ParamValues, ngf: number, blocks: number, variant = NO_ANTIALIAS): Promise<void> {
  await writeSafetensors(path, toPytorchStateDict(params, ngf, blocks, variant));
}
