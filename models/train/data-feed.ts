// The loop's source of minibatches: one EpochSampler per dataset (shuffled epochs) plus one Rng for
// augmentation (random crops and flips). All of it is saved in checkpoints, so a resumed run draws exactly
// the batches an uninterrupted run would have drawn.
import type * as tf from '@tensorflow/tfjs';
import { EpochSampler, type EpochSamplerState, type FolderDataset } from '../data/folder-dataset.js';
import type { Batches } from '../families/family.js';
import { Rng, type RngState } from '../rng.js';

export interface DataFeedState {
  samplers: Record<string, EpochSamplerState>;
  augment: RngState;
}

/** Images in the fixed sample batch (first images of each folder, centre crop, no flip). */
const SAMPLE_IMAGES = 4;

export class DataFeed {
  private samplers: { a: EpochSampler; b?: EpochSampler };
  private augment: Rng;

  constructor(
    private readonly datasets: { a: FolderDataset; b?: FolderDataset },
    readonly batchSize: number,
    rng: Rng,
  ) {
    this.samplers = {
      a: new EpochSampler({ size: datasets.a.size, batchSize, rng: rng.fork() }),
      ...(datasets.b ? { b: new EpochSampler({ size: datasets.b.size, batchSize, rng: rng.fork() }) } : {}),
    };
    this.augment = rng.fork();
  }

  /** A fresh augmented minibatch; the tensors are recorded in `created` so the loop can dispose them. */
  next(created: tf.Tensor[]): Batches {
    const a = this.datasets.a.batch(this.samplers.a.next(), this.augment, true);
    created.push(a);
    if (!this.datasets.b || !this.samplers.b) return { a };
    const b = this.datasets.b.batch(this.samplers.b.next(), this.augment, true);
    created.push(b);
    return { a, b };
  }

  /** The same first images every time, without augmentation (draws no random numbers). Caller disposes. */
  fixedBatch(): Batches {
    const first = (d: FolderDataset) => Array.from({ length: Math.min(SAMPLE_IMAGES, d.size) }, (_, i) => i);
    const unused = new Rng(0);
    const a = this.datasets.a.batch(first(this.datasets.a), unused, false);
    const b = this.datasets.b?.batch(first(this.datasets.b), unused, false);
    return b ? { a, b } : { a };
  }

  /** Passes over the larger dataset so far. */
  get epochs(): number {
    return Math.max(this.samplers.a.progress, this.samplers.b?.progress ?? 0);
  }

  getState(): DataFeedState {
    const samplers: Record<string, EpochSamplerState> = { a: this.samplers.a.getState() };
    if (this.samplers.b) samplers.b = this.samplers.b.getState();
    return { samplers, augment: this.augment.getState() };
  }

  /**
   * Continues from a saved state. If a folder's images changed since, that folder starts a new shuffled
   * order (the resume is then no longer exact) and the returned warnings say so.
   */
  restore(state: DataFeedState): string[] {
    const warnings: string[] = [];
    const restoreOne = (key: 'a' | 'b', dataset: FolderDataset): EpochSampler => {
      const saved = state.samplers[key];
      if (!saved) throw new Error(`the checkpoint has no data order for dataset ${key}`);
      if (saved.size === dataset.size && saved.batchSize === this.batchSize) return new EpochSampler(saved);
      warnings.push(
        `${dataset.dir} now has ${dataset.size} usable images where the run had ${saved.size}: ` +
          'training continues with a new shuffled order, so it will not repeat the original run exactly.',
      );
      return new EpochSampler({ size: dataset.size, batchSize: this.batchSize, rng: new Rng(saved.rng) });
    };
    this.samplers = {
      a: restoreOne('a', this.datasets.a),
      ...(this.datasets.b ? { b: restoreOne('b', this.datasets.b) } : {}),
    };
    this.augment = new Rng(state.augment);
    return warnings;
  }
}
