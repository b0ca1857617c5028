// The fixed-size conv pyramids behind the AE, the VAE and the GAN: an encoder that halves the image
// with stride-2 convolutions down to 4×4 and ends in one dense layer, and its mirror image, a decoder
// that starts with a dense layer, reshapes to 4×4 and doubles the size with transposed convolutions.
import type { LayerSpec, NetSpec } from './spec.js';

/** The spatial size every pyramid bottoms out at. */
const PYRAMID_BASE = 4;

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Number of ×2 steps between 4×4 and size×size (size a power of two ≥ 8). */
export function pyramidDepth(size: number): number {
  if (!isPowerOfTwo(size) || size < 2 * PYRAMID_BASE) throw new Error(`pyramid size must be a power of two ≥ 8, got ${size}`);
  return Math.log2(size / PYRAMID_BASE);
}

/** Channels at level i of the pyramid (0 = the largest feature map): nf, 2nf, 4nf, then capped at 8nf as in DCGAN. */
function levelChannels(nf: number, level: number): number {
  return nf * 2 ** Math.min(level, 3);
}

export interface EncoderOptions {
  name: string;
  /** Input height and width (power of two ≥ 8); the input has 3 channels. */
  size: number;
  /** Filters of the first conv; doubled at each level up to 8·nf. */
  nf: number;
  /** Width of the final dense layer (the latent size, 2·latent for a VAE, 1 for a discriminator's logit). */
  outputs: number;
  /** Instance norm (affine) after every conv but the first; the DCGAN discriminator's normalisation slot. */
  norm?: 'none' | 'instance';
}

/** image [size, size, 3] → conv 4×4 stride 2 + leakyRelu 0.2, down to 4×4 → flatten → dense(outputs), no activation. */
export function buildConvEncoder(o: EncoderOptions): NetSpec {
  const depth = pyramidDepth(o.size);
  const layers: LayerSpec[] = [];
  for (let level = 0; level < depth; level++) {
    const normed = o.norm === 'instance' && level > 0;
    // k4 s2 p1 halves exactly; a bias is redundant in front of a normalisation.
    layers.push({ op: 'conv', name: `down${level}`, filters: levelChannels(o.nf, level), kernel: 4, stride: 2, pad: 1, bias: !normed });
    if (normed) layers.push({ op: 'instanceNorm', name: `down${level}.norm`, affine: true, epsilon: 1e-5 });
    layers.push({ op: 'act', fn: 'leakyRelu', alpha: 0.2 });
  }
  layers.push({ op: 'flatten' }, { op: 'dense', name: 'out', units: o.outputs, bias: true });
  return { name: o.name, input: { kind: 'image', channels: 3, height: o.size, width: o.size }, layers };
}

export interface DecoderOptions {
  name: string;
  /** Output height and width (power of two ≥ 8); the output has 3 channels in [-1, 1]. */
  size: number;
  /** Channels of the last hidden feature map; deeper maps have up to 8·nf, mirroring the encoder. */
  nf: number;
  /** Length of the input vector. */
  latent: number;
  /** Affine instance norm after the reshape and every hidden transposed conv (the GAN generator's). */
  norm?: 'none' | 'instance';
}

/** vector [latent] → dense → reshape 4×4 → (norm) relu → convTranspose 4×4 stride 2 (+ norm + relu) … → 3 channels → tanh. */
export function buildConvDecoder(o: DecoderOptions): NetSpec {
  const depth = pyramidDepth(o.size);
  const normed = o.norm === 'instance';
  const base = levelChannels(o.nf, depth - 1);
  const layers: LayerSpec[] = [
    { op: 'dense', name: 'in', units: PYRAMID_BASE * PYRAMID_BASE * base, bias: !normed },
    { op: 'reshape', height: PYRAMID_BASE, width: PYRAMID_BASE, channels: base },
  ];
  if (normed) layers.push({ op: 'instanceNorm', name: 'in.norm', affine: true, epsilon: 1e-5 });
  layers.push({ op: 'act', fn: 'relu' });
  for (let level = depth - 2; level >= 0; level--) {
    layers.push({ op: 'convTranspose', name: `up${level}`, filters: levelChannels(o.nf, level), kernel: 4, stride: 2, bias: !normed });
    if (normed) layers.push({ op: 'instanceNorm', name: `up${level}.norm`, affine: true, epsilon: 1e-5 });
    layers.push({ op: 'act', fn: 'relu' });
  }
  layers.push({ op: 'convTranspose', name: 'out', filters: 3, kernel: 4, stride: 2, bias: true }, { op: 'act', fn: 'tanh' });
  return { name: o.name, input: { kind: 'vector', size: o.latent }, layers };
}
