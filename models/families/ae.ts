// Autoencoder: squeeze an image through a small latent vector and rebuild it. The first family in the
// studio's sequence: it shows what a bottleneck keeps (shapes, colours) and what it loses (detail).
import * as tf from '@tensorflow/tfjs';
import { createHeNet } from '../nets/init.js';
import { applyNet, disposeNet, trainableVariables, type Net } from '../nets/net.js';
import { buildConvDecoder, buildConvEncoder } from '../nets/pyramid.js';
import type { Rng } from '../rng.js';
import { Adam } from '../train/adam.js';
import type { Batches, ExportPart, FamilyModel, FamilyState, ModelFamily, SampleGrid } from './family.js';
import { reconMean, type ReconLoss } from './losses.js';
import { tfEngine, type TrainingEngine } from '../diff/engine.js';
import type { Ops, Phase, PhaseResult } from '../diff/objective.js';
import { AE_OPTIONS } from './family-options.js';
import { FamilyOptions } from './options.js';
import { checkImages, commonState, readScalars, restoreCommonState, type Trainables } from './state.js';

export type AeConfig = {
  /** Image height and width (a power of two: see AE_OPTIONS). */
  size: number;
  latent: number;
  /** Filters of the encoder's first conv (and the decoder's last hidden layer). */
  nf: number;
  loss: ReconLoss;
  lr: number;
};

export function resolveSizeLatentNf(options: FamilyOptions) {
  return { size: options.int('size'), latent: options.int('latent'), nf: options.int('nf') };
}

class AeModel implements FamilyModel {
  readonly family = 'ae' as const;
  readonly nets: { encoder: Net; decoder: Net };
  private readonly adam: Adam;

  constructor(
    readonly config: AeConfig,
    rng: Rng,
    private readonly engine: TrainingEngine = tfEngine,
  ) {
    const { size, nf, latent } = config;
    this.nets = {
      encoder: createHeNet(buildConvEncoder({ name: 'ae_encoder', size, nf, outputs: latent }), rng),
      decoder: createHeNet(buildConvDecoder({ name: 'ae_decoder', size, nf, latent }), rng),
    };
    this.adam = new Adam(trainableVariables(this.nets.encoder, this.nets.decoder), { learningRate: config.lr });
  }

  /** Encode then decode; call inside tf.tidy. */
  reconstruct(images: tf.Tensor4D): tf.Tensor4D {
    return applyNet(this.nets.decoder, applyNet(this.nets.encoder, images)) as tf.Tensor4D;
  }

  private get phase(): Phase {
    const { encoder, decoder } = this.nets;
    return {
      name: 'autoencoder',
      trains: [encoder, decoder],
      objective: <T>(o: Ops<T>, { x }: Record<string, T>): PhaseResult<T> => ({
        terms: { recon: reconMean(o, this.config.loss, o.net(decoder, o.net(encoder, x)), x) },
        outputs: {},
      }),
    };
  }

  async trainStep(nextBatches: () => Batches, lrScale: number): Promise<Record<string, number>> {
    const batch = nextBatches();
    try {
      const x = checkImages(batch.a, 'training images', this.config.size, this.family);
      const { losses } = await this.engine.step(this.phase, this.adam, { x }, lrScale);
      return await readScalars(losses);
    } finally {
      tf.dispose([batch.a, batch.b]);
    }
  }

  sampleGrid(fixed: Batches): SampleGrid {
    const x = checkImages(fixed.a, 'sample images', this.config.size, this.family);
    return { rows: [{ label: 'input', images: x.clone() }, { label: 'reconstruction', images: tf.tidy(() => this.reconstruct(x)) }] };
  }

  private trainables(): Trainables {
    return { family: this.family, nets: this.nets, optimizers: { ae: this.adam }, rng: null };
  }

  getState(): FamilyState {
    return commonState(this.trainables());
  }

  setState(state: FamilyState): void {
    restoreCommonState(this.trainables(), state);
  }

  exportParts(): ExportPart[] {
    return [
      { part: 'encoder', net: this.nets.encoder, input: 'image', output: 'vector', description: `image → ${this.config.latent}-d latent vector` },
      { part: 'decoder', net: this.nets.decoder, input: 'latent', output: 'image', description: `${this.config.latent}-d latent vector → image` },
    ];
  }

  dispose(): void {
    void this.engine.dispose();
    this.adam.dispose();
    disposeNet(this.nets.encoder);
    disposeNet(this.nets.decoder);
  }
}

export const ae: ModelFamily<AeConfig> = {
  id: 'ae',
  title: 'Autoencoder',
  summary: 'Learns to squeeze each image into a short code and rebuild it, showing what a bottleneck keeps and what it loses.',
  datasets: 1,
  resolveConfig(options) {
    const read = new FamilyOptions('ae', options, AE_OPTIONS);
    return { ...resolveSizeLatentNf(read), loss: read.choice<ReconLoss>('loss'), lr: read.number('lr') };
  },
  create: (config, rng, engine) => new AeModel(config, rng, engine),
};
