// The CycleGAN paper's ResNet generator (Zhu et al. 2017, appendix; the official `ResnetGenerator`):
// reflect-pad 3, 7×7 conv, two stride-2 downsamplings, n residual blocks, two stride-2 upsamplings,
// reflect-pad 3, 7×7 conv to RGB, tanh. Instance norm without affine parameters, as in the official code.
// Fully convolutional: any input whose height and width are multiples of 4 comes out the same size.
import type { LayerSpec, NetSpec } from './spec.js';

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
}

const IN_EPSILON = 1e-5;
const norm = (name: string): LayerSpec => ({ op: 'instanceNorm', name, affine: false, epsilon: IN_EPSILON });
const relu: LayerSpec = { op: 'act', fn: 'relu' };

export function buildResnetGenerator(o: ResnetGeneratorOptions): NetSpec {
  const { ngf } = o;
  // The official code keeps conv biases even before instance norm (use_bias = True for InstanceNorm2d).
  const layers: LayerSpec[] = [
    { op: 'reflectPad', pad: 3 },
    { op: 'conv', name: 'stem', filters: ngf, kernel: 7, stride: 1, pad: 0, bias: true },
    norm('stem.norm'),
    relu,
  ];
  for (let i = 0; i < 2; i++) {
    layers.push({ op: 'conv', name: `down${i}`, filters: ngf * 2 ** (i + 1), kernel: 3, stride: 2, pad: 1, bias: true }, norm(`down${i}.norm`), relu);
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
