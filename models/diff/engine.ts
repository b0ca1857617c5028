// A training engine runs one phase of a family (objective.ts) and its Adam update. The family code is the same for
// both: TensorFlow.js differentiates the objective eagerly (tfEngine); the ONNX Runtime engine compiles it
// (onnx-engine.ts). Either way the weights and moments live in the family's tf.Variables, so checkpoints, sample
// grids and export do not depend on the engine.
import * as tf from '@tensorflow/tfjs';
import type { Adam } from '../train/adam.js';
import { tfOps, type Phase } from './objective.js';

export interface PhaseStep {
  /** Each term's value (the caller reads them back and disposes them). */
  losses: Record<string, tf.Scalar>;
  /** The objective's outputs (the caller disposes them). */
  outputs: Record<string, tf.Tensor>;
}

export interface TrainingEngine {
  readonly name: 'tfjs' | 'onnx';
  /** Minimises the phase's summed terms over its nets' weights with `adam` (learning rate × lrScale). */
  step(phase: Phase, adam: Adam, inputs: Record<string, tf.Tensor>, lrScale: number): Promise<PhaseStep>;
  /** Releases what the engine holds (compiled graphs); the weights stay with the family. */
  dispose(): Promise<void>;
}

export const tfEngine: TrainingEngine = {
  name: 'tfjs',
  async step(phase, adam, inputs, lrScale) {
    const losses: Record<string, tf.Scalar> = {};
    const outputs: Record<string, tf.Tensor> = {};
    const fixed = phase.fixed ? tf.tidy(() => phase.fixed!(tfOps, inputs)) : {};
    try {
      const total = adam.minimize(() => {
        const r = phase.objective(tfOps, { ...inputs, ...fixed });
        for (const [name, t] of Object.entries(r.outputs)) outputs[name] = tf.keep(t);
        for (const [name, t] of Object.entries(r.terms)) losses[name] = tf.keep(t as tf.Scalar);
        return tf.addN(Object.entries(r.terms).map(([name, t]) => tfOps.scale(t, r.weights?.[name] ?? 1))) as tf.Scalar;
      }, lrScale);
      total.dispose();
    } catch (error) {
      tf.dispose([...Object.values(losses), ...Object.values(outputs)]);
      throw error;
    } finally {
      tf.dispose(Object.values(fixed));
    }
    return { losses, outputs };
  },
  async dispose() {},
};
