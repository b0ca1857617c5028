// Variational autoencoder (Kingma & Welling 2014). The encoder gives, per image, a Gaussian q(z|x) =
// N(μ, σ²) through one dense layer of 2·latent units ([μ, log σ²]); z = μ + σ·ε with ε drawn in JS
// from the model's seeded Rng (so a resumed run draws the same ε); the decoder maps z back to an image.
//
// Objective (the negative ELBO), per image, averaged over the batch:
//   loss = recon + β·kl,  recon = Σ over pixels and channels of the L2 (or L1) error,
//                         kl    = Σ over latent dims of KL(N(μ, σ²) ‖ N(0, 1)).
// Summing (not averaging) both terms keeps them on the scale the ELBO gives them, so β = 1 is the
// textbook VAE; a mean over pixels would silently weaken the reconstruction by H·W·3.
//
// Helpers for `darkroom sample` and the studio: VaeModel.sample(count, rng) and
// VaeModel.interpolate(imageA, imageB, steps); also as functions sample(model, …) / interpolate(model, …).
import * as tf from '@tensorflow/tfjs';
import { createHeNet } from '../nets/init.js';
import { applyNet, disposeNet, trainableVariables, type Net } from '../nets/net.js';
import { buildConvDecoder, buildConvEncoder } from '../nets/pyramid.js';
import type { Rng } from '../rng.js';
import { Adam } from '../train/adam.js';
import { resolveSizeLatentNf } from './ae.js';
import type { Batches, ExportPart, FamilyModel, FamilyState, ModelFamily, SampleGrid } from './family.js';
import { klToStandardNormal, reconPerImage, type ReconLoss } from './losses.js';
import { tfEngine, type TrainingEngine } from '../diff/engine.js';
import type { Ops, Phase, PhaseResult } from '../diff/objective.js';
import { VAE_OPTIONS } from './family-options.js';
import { FamilyOptions } from './options.js';
import { checkImages, commonState, readScalars, restoreCommonState, type Trainables } from './state.js';

export type VaeConfig = {
  size: number;
  latent: number;
  nf: number;
  loss: ReconLoss;
  /** Weight of the KL term (β-VAE; 1 is the plain VAE). */
  beta: number;
  lr: number;
};

/** Prior noise vectors kept for the sample grid, so grids at different iterations show the same z. */
export const FIXED_SAMPLES = 64;

/** Initial log σ² of every latent dimension (σ ≈ 0.05). */
const INITIAL_LOG_VAR = -6;

/**
 * Sets the log σ² half of the encoder's output bias to INITIAL_LOG_VAR. With the usual σ ≈ 1 at the start,
 * z = μ + σ·ε is almost pure noise (μ is small), the decoder learns to ignore z, and the KL term then
 * closes the posterior for good (posterior collapse: every reconstruction is the mean image). Starting
 * nearly deterministic lets the decoder learn to use z first; the KL term then widens σ where it can.
 */
function startNearlyDeterministic(encoder: Net, latent: number): void {
  const bias = encoder.params.get('out.b');
  if (!bias) throw new Error(`${encoder.spec.name}: expected an output bias out.b`);
  tf.tidy(() => bias.assign(tf.concat([tf.zeros([latent]), tf.fill([latent], INITIAL_LOG_VAR)])));
}

export class VaeModel implements FamilyModel {
  readonly family = 'vae' as const;
  readonly nets: { encoder: Net; decoder: Net };
  private readonly adam: Adam;
  private rng: Rng;
  /** Kept fixed (and checkpointed) so that samples are comparable over time. */
  private readonly fixedNoise: tf.Variable<tf.Rank.R2>;

  constructor(
    readonly config: VaeConfig,
    rng: Rng,
    private readonly engine: TrainingEngine = tfEngine,
  ) {
    const { size, nf, latent } = config;
    this.nets = {
      encoder: createHeNet(buildConvEncoder({ name: 'vae_encoder', size, nf, outputs: 2 * latent }), rng),
      decoder: createHeNet(buildConvDecoder({ name: 'vae_decoder', size, nf, latent }), rng),
    };
    startNearlyDeterministic(this.nets.encoder, latent);
    this.adam = new Adam(trainableVariables(this.nets.encoder, this.nets.decoder), { learningRate: config.lr });
    this.rng = rng.fork();
    const noise = this.rng.normals(FIXED_SAMPLES * latent);
    this.fixedNoise = tf.tidy(() => tf.variable(tf.tensor2d(noise, [FIXED_SAMPLES, latent]), false));
  }

  /** [μ, log σ²] of q(z|x); call inside tf.tidy. */
  encode(images: tf.Tensor4D): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    const h = applyNet(this.nets.encoder, images) as tf.Tensor2D;
    const [mu, logVar] = tf.split(h, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    return { mu, logVar };
  }

  /** Call inside tf.tidy. */
  decode(z: tf.Tensor2D): tf.Tensor4D {
    return applyNet(this.nets.decoder, z) as tf.Tensor4D;
  }

  /**
   * The negative ELBO over images x, with the reparameterisation z = μ + σ·ε (ε drawn in JS, an input): recon and
   * kl logged, recon + β·kl minimised.
   */
  private get phase(): Phase {
    const { encoder, decoder } = this.nets;
    const { latent, loss, beta } = this.config;
    return {
      name: 'vae',
      trains: [encoder, decoder],
      objective: <T>(o: Ops<T>, { x, eps }: Record<string, T>): PhaseResult<T> => {
        const [mu, logVar] = o.splitLast(o.net(encoder, x), [latent, latent]);
        const z = o.add(mu, o.mul(o.unary('exp', o.scale(logVar, 0.5)), eps));
        const terms = { recon: reconPerImage(o, loss, o.net(decoder, z), x), kl: klToStandardNormal(o, mu, logVar) };
        return { terms, weights: { kl: beta }, outputs: {} };
      },
    };
  }

  async trainStep(nextBatches: () => Batches, lrScale: number): Promise<Record<string, number>> {
    const batch = nextBatches();
    const held: tf.Tensor[] = [batch.a, batch.b!];
    try {
      const x = checkImages(batch.a, 'training images', this.config.size, this.family);
      const n = x.shape[0];
      const eps = tf.tensor2d(this.rng.normals(n * this.config.latent), [n, this.config.latent]);
      held.push(eps);
      const { losses } = await this.engine.step(this.phase, this.adam, { x, eps }, lrScale);
      const { recon, kl } = await readScalars(losses);
      return { loss: recon + this.config.beta * kl, recon, kl };
    } finally {
      tf.dispose(held);
    }
  }

  /** count images decoded from z ~ N(0, I) drawn from rng. Caller disposes. */
  sample(count: number, rng: Rng): tf.Tensor4D {
    const z = tf.tensor2d(rng.normals(count * this.config.latent), [count, this.config.latent]);
    const images = tf.tidy(() => this.decode(z));
    z.dispose();
    return images;
  }

  /** steps images (≥ 2) decoded along the straight line between the means μ of imageA and imageB, both ends included. */
  interpolate(imageA: tf.Tensor3D | tf.Tensor4D, imageB: tf.Tensor3D | tf.Tensor4D, steps: number): tf.Tensor4D {
    if (!Number.isInteger(steps) || steps < 2) throw new Error(`interpolate needs at least 2 steps, got ${steps}`);
    return tf.tidy(() => {
      const one = (t: tf.Tensor3D | tf.Tensor4D) => checkImages(t.rank === 3 ? t.expandDims(0) : t, 'images to interpolate', this.config.size, this.family);
      const { mu } = this.encode(tf.concat([one(imageA).slice(0, 1), one(imageB).slice(0, 1)]) as tf.Tensor4D);
      const t = tf.linspace(0, 1, steps).reshape([steps, 1]);
      const [muA, muB] = tf.split(mu, 2, 0);
      return this.decode(tf.add(muA, tf.mul(t, tf.sub(muB, muA))) as tf.Tensor2D);
    });
  }

  sampleGrid(fixed: Batches): SampleGrid {
    const x = checkImages(fixed.a, 'sample images', this.config.size, this.family);
    const n = Math.min(x.shape[0], FIXED_SAMPLES);
    const inputs = x.slice(0, n);
    const rows: SampleGrid['rows'] = [
      { label: 'input', images: inputs },
      { label: 'reconstruction (μ)', images: tf.tidy(() => this.decode(this.encode(inputs).mu)) },
      { label: 'samples from the prior', images: tf.tidy(() => this.decode(this.fixedNoise.slice(0, n))) },
    ];
    if (n >= 2) {
      const between = tf.tidy(() => this.interpolate(inputs.slice(0, 1), inputs.slice(1, 1), n));
      rows.push({ label: 'interpolation: first → second input', images: between });
    }
    return { rows };
  }

  private trainables(): Trainables {
    return { family: this.family, nets: this.nets, optimizers: { vae: this.adam }, rng: this.rng, fixed: { fixedNoise: this.fixedNoise } };
  }

  getState(): FamilyState {
    return commonState(this.trainables());
  }

  setState(state: FamilyState): void {
    this.rng = restoreCommonState(this.trainables(), state)!;
  }

  exportParts(): ExportPart[] {
    const { latent } = this.config;
    return [
      { part: 'decoder', net: this.nets.decoder, input: 'latent', output: 'image', description: `${latent}-d latent z ~ N(0, I) → image` },
      { part: 'encoder', net: this.nets.encoder, input: 'image', output: 'vector', description: `image → [μ (${latent}), log σ² (${latent})] of q(z|x)` },
    ];
  }

  dispose(): void {
    void this.engine.dispose();
    this.adam.dispose();
    this.fixedNoise.dispose();
    disposeNet(this.nets.encoder);
    disposeNet(this.nets.decoder);
  }
}

function asVae(model: FamilyModel): VaeModel {
  if (!(model instanceof VaeModel)) throw new Error(`expected a vae model, got ${model.family}`);
  return model;
}

/** See VaeModel.sample. */
export const sample = (model: FamilyModel, count: number, rng: Rng): tf.Tensor4D => asVae(model).sample(count, rng);

/** See VaeModel.interpolate. */
export const interpolate = (model: FamilyModel, imageA: tf.Tensor3D | tf.Tensor4D, imageB: tf.Tensor3D | tf.Tensor4D, steps: number): tf.Tensor4D =>
  asVae(model).interpolate(imageA, imageB, steps);

export const vae: ModelFamily<VaeConfig> = {
  id: 'vae',
  title: 'Variational autoencoder',
  summary: 'Learns a smooth latent space of your images: rebuild them, blend between two, or draw new ones from noise.',
  datasets: 1,
  resolveConfig(options) {
    const read = new FamilyOptions('vae', options, VAE_OPTIONS);
    return { ...resolveSizeLatentNf(read), loss: read.choice<ReconLoss>('loss'), beta: read.number('beta'), lr: read.number('lr') };
  },
  create: (config, rng, engine) => new VaeModel(config, rng, engine),
};
