// The 70×70 PatchGAN discriminator of pix2pix and CycleGAN (official `NLayerDiscriminator`, n_layers 3):
// each output pixel scores one 70×70 patch of the input as real (1) or fake (0); no sigmoid, since
// CycleGAN's LSGAN objective compares raw scores with the targets by squared error.
import type { LayerSpec, NetSpec } from './spec.js';

export interface PatchDiscriminatorOptions {
  name: string;
  /** Filters of the first conv; then 2·ndf, 4·ndf, 8·ndf. */
  ndf: number;
}

/** Inputs must be at least 24 px on each side (the output map is size/8 − 2). */
export const PATCHGAN_MIN_SIZE = 24;

export function buildPatchDiscriminator(o: PatchDiscriminatorOptions): NetSpec {
  const { ndf } = o;
  const lrelu: LayerSpec = { op: 'act', fn: 'leakyRelu', alpha: 0.2 };
  const conv = (name: string, filters: number, stride: number): LayerSpec => ({ op: 'conv', name, filters, kernel: 4, stride, pad: 1, bias: true });
  const norm = (name: string): LayerSpec => ({ op: 'instanceNorm', name, affine: false, epsilon: 1e-5 });
  return {
    name: o.name,
    input: { kind: 'image', channels: 3 },
    layers: [
      conv('c0', ndf, 2),
      lrelu,
      conv('c1', ndf * 2, 2),
      norm('c1.norm'),
      lrelu,
      conv('c2', ndf * 4, 2),
      norm('c2.norm'),
      lrelu,
      conv('c3', ndf * 8, 1),
      norm('c3.norm'),
      lrelu,
      conv('score', 1, 1),
    ],
  };
}
