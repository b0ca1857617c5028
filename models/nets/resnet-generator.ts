// The CycleGAN paper's ResNet generator (Zhu et al. 2017, appendix; the official `ResnetGenerator`):
// reflect-pad 3, 7×7 conv, two stride-2 downsamplings, n residual blocks, two stride-2 upsamplings,
// reflect-pad 3, 7×7 conv to RGB, tanh. Instance norm without affine parameters, as in the official code.
// Fully convolutional: any input whose height and width are multiples of 4 comes out the same size.
// CUT's version (taesungp/contrastive-unpaired-translation) resamples with anti-aliasing by default: `resampling`.
import type { LayerSpec, NetSpec } from './spec.js';

/**
 * How the generator halves and doubles its maps. 'strided': stride-2 convs and transposed convs (CycleGAN; CUT with
 * --no_antialias --no_antialias_up). 'antialiased' (CUT's default): each downsampling a stride-1 conv, norm, ReLU and
 * then a blur at stride 2; each upsampling a blurred ×2 (replicate pad 1, a 4×4 transposed blur) before a stride-1
 * conv, norm, ReLU. 'antialiased-down' (CUT's --no_antialias_up) and 'antialiased-up' (--no_antialias): one of each.
 */
export const RESAMPLINGS = ['strided', 'antialiased', 'antialiased-down', 'antialiased-up'] as const;
export type Resampling = (typeof RESAMPLINGS)[number];

export const antialiasedDown = (r: Resampling) => r === 'antialiased' || r === 'antialiased-down';
export const antialiasedUp = (r: Resampling) => r === 'antialiased' || r === 'antialiased-up';

/** CUT's blur filters, row-major: [1, 2, 1]⊗[1, 2, 1] / 16 down; [1, 3, 3, 1]⊗[1, 3, 3, 1] / 64 up, × stride² = 4. */
const outer = (taps: number[], scale: number) => taps.flatMap((a) => taps.map((b) => a * b * scale));
export const CUT_BLUR_DOWN = outer([1, 2, 1], 1 / 16);
export const CUT_BLUR_UP = outer([1, 3, 3, 1], 4 / 64);

export interface ResnetGeneratorOptions {
  name: string;
  /** Filters of the 7×7 stem; the downsampled maps have 2·ngf and 4·ngf. */
  ngf: number;
  /** Residual blocks at 1/4 resolution (6 for 128 px in the paper, 9 for 256 px). */
  blocks: number;
  /**
   * 'pytorch': the upsamplings crop as PyTorch's ConvTranspose2d(padding 1, output_padding 1) does, one pixel at the
   * start rather than ours at the end — for generators fine-tuned from published weights, which expect it.
   */
  upsampling?: 'tensorflow' | 'pytorch';
  /** Default 'strided'. */
  resampling?: Resampling;
}

const IN_EPSILON = 1e-5;
const norm = (name: string): LayerSpec => ({ op: 'instanceNorm', name, affine: false, epsilon: IN_EPSILON });
const relu: LayerSpec = { op: 'act', fn: 'relu' };

export function buildResnetGenerator(o: ResnetGeneratorOptions): NetSpec {
  const { ngf } = o;
  const resampling = o.resampling ?? 'strided';
  // The official code keeps conv biases even before instance norm (use_bias = True for InstanceNorm2d).
  const layers: LayerSpec[] = [
    { op: 'reflectPad', pad: 3 },
    { op: 'conv', name: 'stem', filters: ngf, kernel: 7, stride: 1, pad: 0, bias: true },
    norm('stem.norm'),
    relu,
  ];
  for (let i = 0; i < 2; i++) {
    const blurred = antialiasedDown(resampling);
    layers.push({ op: 'conv', name: `down${i}`, filters: ngf * 2 ** (i + 1), kernel: 3, stride: blurred ? 1 : 2, pad: 1, bias: true }, norm(`down${i}.norm`), relu);
    if (blurred) layers.push({ op: 'reflectPad', pad: 1 }, { op: 'blurDown', size: 3, kernel: CUT_BLUR_DOWN, stride: 2 });
  }
  const width = ngf * 4;
  for (let b = 0; b < o.blocks; b++) {
    layers.push({
      op: 'residual',
      body: [
        { op: 'reflectPad', pad: 1 },
        { op: 'conv', name: `res${b}.conv0`, filters: width, kernel: 3, stride: 1, pad: 0, bias: true },
        norm(`res${b}.norm0`),
        relu,
        { op: 'reflectPad', pad: 1 },
        { op: 'conv', name: `res${b}.conv1`, filters: width, kernel: 3, stride: 1, pad: 0, bias: true },
        norm(`res${b}.norm1`),
      ],
    });
  }
  for (let i = 0; i < 2; i++) {
    if (antialiasedUp(resampling)) {
      // CUT's Upsample: the transposed blur's padding 2 and its [1:, 1:], [:-1, :-1] crops take 3 pixels off each side.
      layers.push(
        { op: 'replicatePad', pad: 1 },
        { op: 'blurUp', size: 4, kernel: CUT_BLUR_UP, stride: 2, crop: [3, 3] },
        { op: 'conv', name: `up${i}`, filters: ngf * 2 ** (1 - i), kernel: 3, stride: 1, pad: 1, bias: true },
        norm(`up${i}.norm`),
        relu,
      );
      continue;
    }
    // Official: ConvTranspose2d(k3, s2, p1, output_padding 1), i.e. exactly ×2; spec.ts's 'same' semantics
    // give the same size (the odd extra border row is cropped at the end rather than the start).
    const up = { name: `up${i}`, filters: ngf * 2 ** (1 - i), kernel: 3, stride: 2, bias: true };
    layers.push(o.upsampling === 'pytorch' ? { op: 'convTransposeCropped', ...up, crop: [1, 0] } : { op: 'convTranspose', ...up }, norm(`up${i}.norm`), relu);
  }
  layers.push(
    { op: 'reflectPad', pad: 3 },
    { op: 'conv', name: 'head', filters: 3, kernel: 7, stride: 1, pad: 0, bias: true },
    { op: 'act', fn: 'tanh' },
  );
  return { name: o.name, input: { kind: 'image', channels: 3 }, layers };
}
