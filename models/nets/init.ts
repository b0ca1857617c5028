// He (Kaiming) initialisation for nets without normalisation layers. With the papers' N(0, 0.02²) a plain
// conv stack shrinks its signal at every layer, so an autoencoder's decoder starts out seeing almost no
// input and learns only the mean image for a long while; scaling each weight by gain/√fan-in keeps the
// activations' scale from layer to layer (He et al. 2015).
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.js';
import { createNet, type Net } from './net.js';
import { DEFAULT_LEAKY_ALPHA, type LayerSpec, type NetSpec } from './spec.js';

/** How each weight-bearing layer is scaled: its fan-in and the gain of the activation that follows it. */
function weightScales(spec: NetSpec): Map<string, { fanIn: (shape: number[]) => number; gain: number }> {
  const scales = new Map<string, { fanIn: (shape: number[]) => number; gain: number }>();
  const visit = (layers: LayerSpec[]) => {
    layers.forEach((layer, i) => {
      if (layer.op === 'residual') return visit(layer.body);
      if (layer.op !== 'conv' && layer.op !== 'convTranspose' && layer.op !== 'dense') return;
      // The activation that follows (norms and reshapes in between do not change the gain).
      const next = layers.slice(i + 1).find((l) => l.op === 'act' || l.op === 'conv' || l.op === 'convTranspose' || l.op === 'dense');
      let gain = 1;
      if (next?.op === 'act' && next.fn === 'relu') gain = Math.SQRT2;
      if (next?.op === 'act' && next.fn === 'leakyRelu') gain = Math.sqrt(2 / (1 + (next.alpha ?? DEFAULT_LEAKY_ALPHA) ** 2));
      // conv [kh, kw, in, out]; dense [in, out]; convTranspose [kh, kw, out, in], each output seeing in·kh·kw/stride² inputs.
      const fanIn =
        layer.op === 'dense'
          ? (s: number[]) => s[0]
          : layer.op === 'conv'
            ? (s: number[]) => s[0] * s[1] * s[2]
            : (s: number[]) => (s[0] * s[1] * s[3]) / layer.stride ** 2;
      scales.set(`${layer.name}.w`, { fanIn, gain });
    });
  };
  visit(spec.layers);
  return scales;
}

/** createNet with weights drawn N(0, gain²/fan-in) instead of N(0, 0.02²); draws the same numbers from rng. */
export function createHeNet(spec: NetSpec, rng: Rng): Net {
  const net = createNet(spec, rng, 1);
  const scales = weightScales(spec);
  for (const [name, v] of net.params) {
    const scale = scales.get(name);
    if (!scale) continue;
    const std = scale.gain / Math.sqrt(scale.fanIn(v.shape));
    tf.tidy(() => v.assign(tf.mul(v, std))); // inside tidy, so the scaled copy is freed
  }
  return net;
}
