// DCGAN-style generative adversarial network (Goodfellow et al. 2014, Algorithm 1; Radford et al. 2016).
// Each iteration: k discriminator steps, each on a fresh real minibatch (nextBatches) and fresh noise,
// then one generator step on fresh noise with the non-saturating loss −log D(G(z)).
//
// Normalisation (spec.ts has no batch norm): the generator uses affine instance norm after the reshape
// and every hidden transposed conv, which keeps its activations well scaled from the first step. The
// discriminator has none: instance norm would hide each image's per-channel mean and contrast from it,
// so a generator could get colours and brightness wrong unpunished; leaky ReLU and Adam (β1 0.5) keep the
// plain stack stable at these sizes.
import * as tf from '@tensorflow/tfjs';
import { applyNet, createNet, disposeNet, trainableVariables, type Net } from '../nets/net.js';
import { buildConvDecoder, buildConvEncoder } from '../nets/pyramid.js';
import type { Rng } from '../rng.js';
import { Adam } from '../train/adam.js';
import type { Batches, ExportPart, FamilyModel, FamilyState, ModelFamily, SampleGrid } from './family.js';
import { bceFake, bceReal } from './losses.js';
import { tfEngine, type TrainingEngine } from '../diff/engine.js';
import type { Ops, Phase, PhaseResult } from '../diff/objective.js';
import { GAN_OPTIONS } from './family-options.js';
import { FamilyOptions } from './options.js';
import { checkImages, commonState, readScalars, restoreCommonState, type Trainables } from './state.js';

export type GanConfig = {
  size: number;
  latent: number;
  ngf: number;
  ndf: number;
  /** Discriminator steps per generator step. */
  k: number;
  lr: number;
};

/** Adam β1 for both players, as in DCGAN. */
const BETA1 = 0.5;
/** Noise vectors kept for the sample grid, so grids over time show the same z. */
export const FIXED_SAMPLES = 64;
/** Rows of samples in the grid (fewer when the grid is wide). */
const SAMPLE_ROWS = 3;

export class GanModel implements FamilyModel {
  readonly family = 'gan' as const;
  readonly nets: { generator: Net; discriminator: Net };
  private readonly adamG: Adam;
  private readonly adamD: Adam;
  private rng: Rng;
  /** Kept fixed (and checkpointed) so that samples are comparable over time. */
  private readonly fixedNoise: tf.Variable<tf.Rank.R2>;

  constructor(
    readonly config: GanConfig,
    rng: Rng,
    private readonly engine: TrainingEngine = tfEngine,
  ) {
    const { size, latent, ngf, ndf } = config;
    this.nets = {
      generator: createNet(buildConvDecoder({ name: 'gan_generator', size, nf: ngf, latent, norm: 'instance' }), rng),
      discriminator: createNet(buildConvEncoder({ name: 'gan_discriminator', size, nf: ndf, outputs: 1 }), rng),
    };
    this.adamG = new Adam(trainableVariables(this.nets.generator), { learningRate: config.lr, beta1: BETA1 });
    this.adamD = new Adam(trainableVariables(this.nets.discriminator), { learningRate: config.lr, beta1: BETA1 });
    this.rng = rng.fork();
    const noise = this.rng.normals(FIXED_SAMPLES * latent);
    this.fixedNoise = tf.tidy(() => tf.variable(tf.tensor2d(noise, [FIXED_SAMPLES, latent]), false));
  }

  private noise(count: number, rng: Rng = this.rng): tf.Tensor2D {
    return tf.tensor2d(rng.normals(count * this.config.latent), [count, this.config.latent]);
  }

  /** Call inside tf.tidy. */
  generate(z: tf.Tensor2D): tf.Tensor4D {
    return applyNet(this.nets.generator, z) as tf.Tensor4D;
  }

  /** The discriminator's step on real images and G(z), the fakes fixed: −log D(real) − log(1 − D(G(z))). */
  private get discriminatorPhase(): Phase {
    const { generator, discriminator } = this.nets;
    return {
      name: 'discriminator',
      trains: [discriminator],
      fixed: <T>(o: Ops<T>, { z }: Record<string, T>) => ({ fake: o.net(generator, z) }),
      objective: <T>(o: Ops<T>, { real, fake }: Record<string, T>): PhaseResult<T> => ({
        terms: { dReal: bceReal(o, o.net(discriminator, real)), dFake: bceFake(o, o.net(discriminator, fake)) },
        outputs: {},
      }),
    };
  }

  /** The generator's step, non-saturating: −log D(G(z)). */
  private get generatorPhase(): Phase {
    const { generator, discriminator } = this.nets;
    return {
      name: 'generator',
      trains: [generator],
      objective: <T>(o: Ops<T>, { z }: Record<string, T>): PhaseResult<T> => ({ terms: { g: bceReal(o, o.net(discriminator, o.net(generator, z))) }, outputs: {} }),
    };
  }

  async trainStep(nextBatches: () => Batches, lrScale: number): Promise<Record<string, number>> {
    // Every step's losses stay on the device until one read at the end (a read per step would stall a GPU k+1 times).
    const losses: Record<string, tf.Scalar> = {};
    try {
      let batchSize = 0;
      for (let step = 0; step < this.config.k; step++) {
        const batch = nextBatches();
        const held: tf.Tensor[] = [batch.a, batch.b!];
        try {
          const real = checkImages(batch.a, 'training images', this.config.size, this.family);
          batchSize = real.shape[0];
          const z = this.noise(batchSize);
          held.push(z);
          const d = await this.engine.step(this.discriminatorPhase, this.adamD, { real, z }, lrScale);
          losses[`dReal.${step}`] = d.losses.dReal;
          losses[`dFake.${step}`] = d.losses.dFake;
        } finally {
          tf.dispose(held);
        }
      }
      const z = this.noise(batchSize);
      try {
        losses.g = (await this.engine.step(this.generatorPhase, this.adamG, { z }, lrScale)).losses.g;
      } finally {
        z.dispose();
      }
    } catch (error) {
      tf.dispose(Object.values(losses));
      throw error;
    }
    const values = await readScalars(losses);
    const k = this.config.k;
    const mean = (name: string) => Array.from({ length: k }, (_, step) => values[`${name}.${step}`]).reduce((s, x) => s + x, 0) / k;
    return { d: mean('dReal') + mean('dFake'), dReal: mean('dReal'), dFake: mean('dFake'), g: values.g };
  }

  /** count images from z ~ N(0, I) drawn from rng. Caller disposes. */
  sample(count: number, rng: Rng): tf.Tensor4D {
    const z = this.noise(count, rng);
    const images = tf.tidy(() => this.generate(z));
    z.dispose();
    return images;
  }

  sampleGrid(fixed: Batches): SampleGrid {
    const x = checkImages(fixed.a, 'sample images', this.config.size, this.family);
    const n = Math.min(x.shape[0], FIXED_SAMPLES);
    const rowCount = Math.max(1, Math.min(SAMPLE_ROWS, Math.floor(FIXED_SAMPLES / n)));
    const rows: SampleGrid['rows'] = [];
    for (let r = 0; r < rowCount; r++) {
      rows.push({ label: `samples from fixed noise${rowCount > 1 ? ` (${r + 1} of ${rowCount})` : ''}`, images: tf.tidy(() => this.generate(this.fixedNoise.slice(r * n, n))) });
    }
    rows.push({ label: 'real', images: x.slice(0, n) });
    return { rows };
  }

  private trainables(): Trainables {
    return { family: this.family, nets: this.nets, optimizers: { G: this.adamG, D: this.adamD }, rng: this.rng, fixed: { fixedNoise: this.fixedNoise } };
  }

  getState(): FamilyState {
    return commonState(this.trainables());
  }

  setState(state: FamilyState): void {
    this.rng = restoreCommonState(this.trainables(), state)!;
  }

  exportParts(): ExportPart[] {
    return [
      { part: 'generator', net: this.nets.generator, input: 'latent', output: 'image', description: `${this.config.latent}-d noise z ~ N(0, I) → image` },
    ];
  }

  dispose(): void {
    void this.engine.dispose();
    this.adamG.dispose();
    this.adamD.dispose();
    this.fixedNoise.dispose();
    disposeNet(this.nets.generator);
    disposeNet(this.nets.discriminator);
  }
}

/** count new images from the prior; see GanModel.sample. */
export function sample(model: FamilyModel, count: number, rng: Rng): tf.Tensor4D {
  if (!(model instanceof GanModel)) throw new Error(`expected a gan model, got ${model.family}`);
  return model.sample(count, rng);
}

export const gan: ModelFamily<GanConfig> = {
  id: 'gan',
  title: 'GAN',
  summary: 'A generator learns to draw new images like yours by fooling a discriminator that tells real from generated.',
  datasets: 1,
  resolveConfig(options) {
    const read = new FamilyOptions('gan', options, GAN_OPTIONS);
    return { size: read.int('size'), latent: read.int('latent'), ngf: read.int('ngf'), ndf: read.int('ndf'), k: read.int('k'), lr: read.number('lr') };
  },
  create: (config, rng, engine) => new GanModel(config, rng, engine),
};
