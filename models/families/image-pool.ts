// CycleGAN's history of generated images (Shrivastava et al. 2017), with the official code's behaviour:
// until the pool is full every new image is stored and passed through; after that each new image, with
// probability 1/2, is swapped for a random stored one (which goes to the discriminator instead), else
// passed through. The discriminator thus also sees older generators' output, which damps oscillation.
// Decisions come from the caller's seeded Rng and the contents are part of the checkpoint: exact resume.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.js';

export class ImagePool {
  /** Stored images, each [1, H, W, C], owned by the pool. */
  private images: tf.Tensor4D[] = [];

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.images.length;
  }

  /** The images for the discriminator, one per input image, as a new tensor the caller disposes. */
  query(batch: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    if (this.capacity === 0) return batch.clone();
    const singles = tf.split(batch, batch.shape[0], 0) as tf.Tensor4D[];
    const chosen: tf.Tensor4D[] = [];
    const done: tf.Tensor4D[] = [];
    for (const image of singles) {
      if (this.images.length < this.capacity) {
        this.images.push(tf.keep(image)); // kept: a query inside someone's tf.tidy must not empty the pool
        chosen.push(image);
      } else if (rng.uniform() > 0.5) {
        const slot = rng.int(this.capacity);
        chosen.push(this.images[slot]);
        done.push(this.images[slot]);
        this.images[slot] = tf.keep(image);
      } else {
        chosen.push(image);
        done.push(image);
      }
    }
    const out = tf.concat(chosen, 0);
    tf.dispose(done);
    return out;
  }

  /** The stored images under `${prefix}/0`, `${prefix}/1`, … (owned by the pool) and their count. */
  getState(prefix: string): { tensors: Record<string, tf.Tensor>; count: number } {
    const tensors: Record<string, tf.Tensor> = {};
    this.images.forEach((image, i) => (tensors[`${prefix}/${i}`] = image));
    return { tensors, count: this.images.length };
  }

  /** Replaces the contents with copies of the saved images. */
  setState(prefix: string, tensors: Record<string, tf.Tensor>, count: number): void {
    if (!Number.isInteger(count) || count < 0 || count > this.capacity) {
      throw new Error(`checkpoint's image pool ${prefix} holds ${count} images; this pool holds at most ${this.capacity}`);
    }
    const restored: tf.Tensor4D[] = [];
    for (let i = 0; i < count; i++) {
      const t = tensors[`${prefix}/${i}`];
      if (!t || t.rank !== 4 || t.shape[0] !== 1) {
        tf.dispose(restored);
        throw new Error(`checkpoint is missing image ${i} of pool ${prefix}`);
      }
      restored.push(tf.keep(t.clone() as tf.Tensor4D));
    }
    this.dispose();
    this.images = restored;
  }

  dispose(): void {
    tf.dispose(this.images);
    this.images = [];
  }
}
