// Adam with its whole state in named tensors, so checkpoints hold it and a resume is exact.
// (tfjs's built-in optimizer keeps its learning rate and moments out of reach for this.)
import * as tf from '@tensorflow/tfjs';

export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class Adam {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private step = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(
    private readonly vars: tf.Variable[],
    readonly options: AdamOptions,
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    // tidy frees the zeros; the variables outlive it.
    this.m = vars.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)));
    this.v = vars.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)));
  }

  /**
   * Minimises loss() over this optimizer's variables with learning rate base × lrScale; returns the loss as a
   * scalar tensor the caller disposes. No value is read back here: on a GPU a read stalls the queue, and
   * tfjs-webgpu has no synchronous read in Node at all (it draws through OffscreenCanvas).
   */
  minimize(loss: () => tf.Scalar, lrScale = 1): tf.Scalar {
    this.step += 1;
    const lr = this.options.learningRate * lrScale;
    const t = this.step;
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, this.vars);
      const c1 = 1 - this.beta1 ** t;
      const c2 = 1 - this.beta2 ** t;
      this.vars.forEach((x, i) => {
        const g = grads[x.name];
        // A parameter the loss does not depend on (a bias cancelled by the norm after it) has no gradient; with
        // zero gradients Adam would leave it, and its moments, where they are.
        if (g === undefined) return;
        const m = tf.add(tf.mul(this.m[i], this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[i], this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const update = tf.div(tf.mul(m, lr / c1), tf.add(tf.sqrt(tf.div(v, c2)), this.epsilon));
        x.assign(tf.sub(x, update));
      });
      return value;
    });
  }

  /** Each trained variable with its moments, for an engine that computes the update itself (diff/onnx-engine.ts). */
  slots(): { param: tf.Variable; m: tf.Variable; v: tf.Variable }[] {
    return this.vars.map((param, i) => ({ param, m: this.m[i], v: this.v[i] }));
  }

  /**
   * Counts one step taken elsewhere and gives its factors: the update is m·lrOverC1 / (√(v / c2) + ε), as in
   * minimize.
   */
  nextStep(lrScale = 1): { lrOverC1: number; c2: number } {
    this.step += 1;
    return { lrOverC1: (this.options.learningRate * lrScale) / (1 - this.beta1 ** this.step), c2: 1 - this.beta2 ** this.step };
  }

  /** Moments (owned by the optimizer) under `${prefix}.m.i` / `${prefix}.v.i`, and the step counter. */
  getState(prefix: string): { tensors: Record<string, tf.Tensor>; step: number } {
    const tensors: Record<string, tf.Tensor> = {};
    this.m.forEach((m, i) => (tensors[`${prefix}.m.${i}`] = m));
    this.v.forEach((v, i) => (tensors[`${prefix}.v.${i}`] = v));
    return { tensors, step: this.step };
  }

  setState(prefix: string, tensors: Record<string, tf.Tensor>, step: number): void {
    const take = (key: string, into: tf.Variable) => {
      const t = tensors[key];
      if (!t) throw new Error(`checkpoint is missing optimizer state ${key}`);
      into.assign(t);
    };
    this.m.forEach((m, i) => take(`${prefix}.m.${i}`, m));
    this.v.forEach((v, i) => take(`${prefix}.v.${i}`, v));
    this.step = step;
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
