// The one interface every model family implements: AE, VAE, GAN and CycleGAN.
// The training loop (train/), the exporter (onnx/) and the studio only ever see these types.
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.js';
import type { Net } from '../nets/net.js';
import type { TrainingEngine } from '../diff/engine.js';

export const FAMILY_IDS = ['ae', 'vae', 'gan', 'cyclegan', 'cut'] as const;
export type FamilyId = (typeof FAMILY_IDS)[number];

/** What the training options, the CLI and the studio need to know of a family without loading it (and tfjs). */
export interface FamilyTraits {
  /** 1: one folder (`--data`); 2: two unpaired folders (`--a`, `--b`). */
  datasets: 1 | 2;
  /** The learning rate stays for half the run and then falls linearly to zero (CycleGAN's and CUT's schedule). */
  decayingLr: boolean;
  /** Directions its export can translate: ['AtoB', 'BtoA'] for CycleGAN, ['AtoB'] for CUT, none for the others. */
  directions: readonly Direction[];
  /** The network an export writes when no part is asked for: what makes images (a decoder for the autoencoders). */
  exportPart: ExportPartName;
  /** Draws new images from a prior (`darkroom sample`, the studio's Generate): its model has `sample`. */
  samples: boolean;
  defaults: { batch: number; iterations: number; checkpointEvery: number; sampleEvery: number };
}

// Defaults small enough to finish on a laptop CPU with the patched wasm backend; the user scales up from there.
export const FAMILY_TRAITS: Record<FamilyId, FamilyTraits> = {
  ae: { datasets: 1, decayingLr: false, directions: [], exportPart: 'decoder', samples: false, defaults: { batch: 16, iterations: 2000, checkpointEvery: 1000, sampleEvery: 200 } },
  vae: { datasets: 1, decayingLr: false, directions: [], exportPart: 'decoder', samples: true, defaults: { batch: 16, iterations: 3000, checkpointEvery: 1000, sampleEvery: 200 } },
  gan: { datasets: 1, decayingLr: false, directions: [], exportPart: 'generator', samples: true, defaults: { batch: 16, iterations: 5000, checkpointEvery: 1000, sampleEvery: 200 } },
  cyclegan: { datasets: 2, decayingLr: true, directions: ['AtoB', 'BtoA'], exportPart: 'generator', samples: false, defaults: { batch: 1, iterations: 20000, checkpointEvery: 500, sampleEvery: 100 } },
  cut: { datasets: 2, decayingLr: true, directions: ['AtoB'], exportPart: 'generator', samples: false, defaults: { batch: 1, iterations: 20000, checkpointEvery: 500, sampleEvery: 100 } },
};

/** NHWC float32 images in [-1, 1]. `b` only for two-domain families (CycleGAN: a = domain A, b = domain B). */
export interface Batches {
  a: tf.Tensor4D;
  b?: tf.Tensor4D;
}

/** Everything a family needs, besides its weights, to continue training exactly (optimizer moments, image pools, fixed noise…). */
export interface FamilyState {
  tensors: Record<string, tf.Tensor>;
  json: Record<string, unknown>;
}

/** The networks an export can write: a translator's or GAN's generator, an autoencoder's encoder or decoder. */
export const EXPORT_PART_NAMES = ['generator', 'encoder', 'decoder'] as const;
export type ExportPartName = (typeof EXPORT_PART_NAMES)[number];
export const DIRECTIONS = ['AtoB', 'BtoA'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Network sizes of the ResNet-generator families (CycleGAN, CUT); the widths live in translator-nets.ts. */
export const PRESETS = ['light', 'standard'] as const;
export type Preset = (typeof PRESETS)[number];

export interface ExportPart {
  part: ExportPartName;
  direction?: Direction;
  net: Net;
  /** What the exported graph takes: an image NCHW [-1, 1], or a latent vector [N, size]. */
  input: 'image' | 'latent';
  /** What it gives: an image NCHW [-1, 1], or a vector (e.g. the VAE encoder's [μ, log σ²] concatenated). */
  output: 'image' | 'vector';
  description: string;
}

/** Rows of images to tile into a sample grid; every row NHWC in [-1, 1] with the same count and size. */
export interface SampleGrid {
  rows: { label: string; images: tf.Tensor4D }[];
}

export interface FamilyModel {
  readonly family: FamilyId;
  /** Named networks, e.g. { encoder, decoder } or { G_AB, G_BA, D_A, D_B }. */
  readonly nets: Record<string, Net>;
  /**
   * One training iteration. `nextBatches` draws a fresh minibatch (the GAN draws one per discriminator step,
   * as in Goodfellow et al., Algorithm 1). `lrScale` ∈ [0, 1] multiplies the family's base learning rate
   * (the loop owns the schedule). Resolves to the iteration's scalar losses by name, read back asynchronously
   * (GPU backends have no synchronous read). Must not leak tensors.
   */
  trainStep(nextBatches: () => Batches, lrScale: number): Promise<Record<string, number>>;
  /** What the user looks at: reconstructions, samples, translations, for fixed real inputs. Caller disposes. */
  sampleGrid(fixed: Batches): SampleGrid;
  /** State beyond net weights for an exact resume. Tensors are owned by the model; caller must not dispose. */
  getState(): FamilyState;
  /** Restores what getState returned (tensors are copied; caller keeps ownership). */
  setState(state: FamilyState): void;
  exportParts(): ExportPart[];
  /** count new images from the prior, NHWC in [-1, 1] (caller disposes); only where FAMILY_TRAITS says `samples`. */
  sample?(count: number, rng: Rng): tf.Tensor4D;
  dispose(): void;
}

export interface ModelFamily<C extends object = Record<string, unknown>> {
  readonly id: FamilyId;
  readonly title: string;
  /** One sentence on what it learns, for the studio's Train view and `--help`. */
  readonly summary: string;
  /** 1: one folder (`--data`); 2: two unpaired folders (`--a`, `--b`). */
  readonly datasets: 1 | 2;
  /** Checks and completes user options (unknown or bad values throw UsageError naming the option). */
  resolveConfig(options: Record<string, unknown>): C;
  /**
   * Builds fresh networks and optimizers; all randomness comes from rng. `engine` trains them (TensorFlow.js when
   * not given); a family that `engines` does not list for ONNX Runtime ignores it.
   */
  create(config: C, rng: Rng, engine?: TrainingEngine): FamilyModel;
}
