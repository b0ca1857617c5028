// The ResNet generators of the two reference implementations, as the keys and shapes their state dicts carry and
// the layer spec that computes the same function:
// - pytorch-CycleGAN-and-pix2pix `ResnetGenerator`: reflect pad 3, 7×7 conv, two stride-2 3×3 convs, n residual
//   blocks (reflect pad, conv, norm, ReLU, [dropout,] reflect pad, conv, norm), two transposed convs (k3, s2,
//   padding 1, output_padding 1), reflect pad 3, 7×7 conv, tanh. Instance norm without affine: no keys.
// - CUT's `ResnetGenerator` with anti-aliasing: each downsampling is a stride-1 conv, norm, ReLU, then `Downsample`
//   (reflect pad 1, the blur in its `filt` buffer, depthwise at stride 2); each upsampling is `Upsample` (replicate
//   pad 1, the 4×4 `filt` as a depthwise transposed conv at stride 2 with padding 2, then cropped by one pixel at
//   the start and one at the end) followed by a stride-1 conv, norm, ReLU. --no_antialias and --no_antialias_up
//   put CycleGAN's down- and upsampling back, each on its own.
// All of them are one nn.Sequential named `model`; a module's index in it is the number in its keys.
import type { LayerSpec, NetSpec } from '../nets/spec.js';

export interface ResnetVariant {
  /** CUT's blur-pool downsampling (else stride-2 convs). */
  antialiasDown: boolean;
  /** CUT's blur upsampling (else transposed convs). */
  antialiasUp: boolean;
  /** nn.Dropout in each block (use_dropout): no weights, but the block's second conv moves from index 5 to 6. */
  dropout: boolean;
}

export interface ResnetLayout {
  spec: NetSpec;
  /** Every key the state dict must have (running statistics aside), with its shape. */
  keys: Map<string, number[]>;
  /** Which key fills which parameter of the spec (all conv weights: PyTorch [out|in, in|out, kh, kw]). */
  params: { key: string; param: string }[];
  /** The blur layers, whose filter comes from the `filt` buffer under `key`. */
  blurs: { key: string; layer: { kernel: number[] } }[];
}

const IN_EPSILON = 1e-5; // nn.InstanceNorm2d's default
const norm = (name: string): LayerSpec => ({ op: 'instanceNorm', name, affine: false, epsilon: IN_EPSILON });
const relu: LayerSpec = { op: 'act', fn: 'relu' };

/**
 * The layout of a generator with `ngf` filters in its stem and `blocks` residual blocks. Layer names follow
 * Darkroom's own generator (nets/resnet-generator.ts): stem, down0, down1, res<b>.conv0/1, up0, up1, head.
 */
export function resnetLayout(v: ResnetVariant, ngf: number, blocks: number, channels: { input: number; output: number }): ResnetLayout {
  const keys = new Map<string, number[]>();
  const params: ResnetLayout['params'] = [];
  const blurs: ResnetLayout['blurs'] = [];
  const layers: LayerSpec[] = [];
  let index = 0;
  const next = () => `model.${index++}`;
  const weights = (prefix: string, param: string, shape: number[]) => {
    keys.set(`${prefix}.weight`, shape);
    keys.set(`${prefix}.bias`, [shape[0]]);
    params.push({ key: `${prefix}.weight`, param: `${param}.w` }, { key: `${prefix}.bias`, param: `${param}.b` });
  };
  const conv = (prefix: string, name: string, cin: number, cout: number, kernel: number, stride: number, pad: number): LayerSpec => {
    weights(prefix, name, [cout, cin, kernel, kernel]);
    return { op: 'conv', name, filters: cout, kernel, stride, pad, bias: true };
  };

  next(); // ReflectionPad2d(3)
  layers.push({ op: 'reflectPad', pad: 3 }, conv(next(), 'stem', channels.input, ngf, 7, 1, 0), norm('stem.norm'), relu);
  index += 2; // norm, ReLU
  for (let d = 0; d < 2; d++) {
    const c = ngf * 2 ** d;
    layers.push(conv(next(), `down${d}`, c, 2 * c, 3, v.antialiasDown ? 1 : 2, 1), norm(`down${d}.norm`), relu);
    index += 2;
    if (v.antialiasDown) {
      const key = `${next()}.filt`;
      keys.set(key, [2 * c, 1, 3, 3]);
      const blur = { op: 'blurDown' as const, size: 3, kernel: [] as number[], stride: 2 };
      blurs.push({ key, layer: blur });
      layers.push({ op: 'reflectPad', pad: 1 }, blur);
    }
  }
  const width = 4 * ngf;
  for (let b = 0; b < blocks; b++) {
    const block = `${next()}.conv_block`;
    layers.push({
      op: 'residual',
      body: [
        { op: 'reflectPad', pad: 1 },
        conv(`${block}.1`, `res${b}.conv0`, width, width, 3, 1, 0),
        norm(`res${b}.norm0`),
        relu,
        { op: 'reflectPad', pad: 1 },
        conv(`${block}.${v.dropout ? 6 : 5}`, `res${b}.conv1`, width, width, 3, 1, 0),
        norm(`res${b}.norm1`),
      ],
    });
  }
  for (let u = 0; u < 2; u++) {
    const c = ngf * 2 ** (2 - u);
    if (v.antialiasUp) {
      const key = `${next()}.filt`;
      keys.set(key, [c, 1, 4, 4]);
      // padding 2 of the transposed conv and the [1:, 1:], [:-1, :-1] crops: 3 pixels off each side.
      const blur = { op: 'blurUp' as const, size: 4, kernel: [] as number[], stride: 2, crop: [3, 3] as [number, number] };
      blurs.push({ key, layer: blur });
      layers.push({ op: 'replicatePad', pad: 1 }, blur, conv(next(), `up${u}`, c, c / 2, 3, 1, 1));
    } else {
      const prefix = next();
      weights(prefix, `up${u}`, [c, c / 2, 3, 3]); // ConvTranspose2d weight: [in, out, kh, kw]
      keys.set(`${prefix}.bias`, [c / 2]);
      // padding 1, output_padding 1: one pixel off the start of the full (2n + 1) output, none off the end.
      layers.push({ op: 'convTransposeCropped', name: `up${u}`, filters: c / 2, kernel: 3, stride: 2, bias: true, crop: [1, 0] });
    }
    layers.push(norm(`up${u}.norm`), relu);
    index += 2;
  }
  next(); // ReflectionPad2d(3)
  layers.push({ op: 'reflectPad', pad: 3 }, conv(next(), 'head', ngf, channels.output, 7, 1, 0), { op: 'act', fn: 'tanh' });
  return { spec: { name: 'generator', input: { kind: 'image', channels: channels.input }, layers }, keys, params, blurs };
}
