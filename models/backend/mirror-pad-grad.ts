// The gradient of MirrorPad, for every backend. The stock one in tfjs-core 4.22 only slices the centre of dy and
// drops what flowed through the reflected border. The adjoint of mirror padding folds each border strip of dy,
// reversed, back onto the positions it was copied from: along an axis of length n padded by (before, after),
//   reflect:   padded index −m ← x[m]          and  n−1+m ← x[n−1−m]      (m ≥ 1; the edge is not repeated)
//   symmetric: padded index −m ← x[m−1]        and  n−1+m ← x[n−m]        (the edge is repeated)
// Axes are independent, so the adjoint is applied one axis at a time.

import * as tf from '@tensorflow/tfjs';

export type MirrorPadMode = 'reflect' | 'symmetric';

function sliceAxis(t: tf.Tensor, axis: number, begin: number, size: number): tf.Tensor {
  const b = t.shape.map(() => 0);
  const s = t.shape.map(() => -1);
  b[axis] = begin;
  s[axis] = size;
  return tf.slice(t, b, s);
}

/** Reverses a thin strip along `axis` by concatenating its slices (wasm's Reverse is slow; strips are ≤ a few rows). */
function reverseAxis(t: tf.Tensor, axis: number): tf.Tensor {
  const n = t.shape[axis];
  if (n === 1) return t;
  if (n > 8) return tf.reverse(t, axis);
  const parts: tf.Tensor[] = [];
  for (let i = n - 1; i >= 0; i--) parts.push(sliceAxis(t, axis, i, 1));
  return tf.concat(parts, axis);
}

function padAxis(t: tf.Tensor, axis: number, before: number, after: number): tf.Tensor {
  if (before === 0 && after === 0) return t;
  const paddings = t.shape.map((): [number, number] => [0, 0]);
  paddings[axis] = [before, after];
  return tf.pad(t, paddings);
}

function foldAxis(dy: tf.Tensor, axis: number, before: number, after: number, mode: MirrorPadMode): tf.Tensor {
  const n = dy.shape[axis] - before - after;
  const offset = mode === 'reflect' ? 1 : 0;
  let g = sliceAxis(dy, axis, before, n);
  if (before > 0) {
    const strip = reverseAxis(sliceAxis(dy, axis, 0, before), axis);
    g = tf.add(g, padAxis(strip, axis, offset, n - offset - before));
  }
  if (after > 0) {
    const strip = reverseAxis(sliceAxis(dy, axis, before + n, after), axis);
    g = tf.add(g, padAxis(strip, axis, n - offset - after, offset));
  }
  return g;
}

/** The exact adjoint of `tf.mirrorPad(x, paddings, mode)` applied to `dy`. */
function mirrorPadGrad(dy: tf.Tensor, paddings: Array<[number, number]>, mode: MirrorPadMode): tf.Tensor {
  return tf.tidy(() => {
    let g = dy;
    paddings.forEach(([before, after], axis) => {
      if (before > 0 || after > 0) g = foldAxis(g, axis, before, after, mode);
    });
    return g;
  });
}

/** Replaces tfjs-core's MirrorPad gradient (global: applies to every backend). Idempotent. */
export function installMirrorPadGradient(): void {
  tf.registerGradient({
    kernelName: 'MirrorPad',
    gradFunc: (dy, _saved, attrs) => {
      const { paddings, mode } = attrs as unknown as { paddings: Array<[number, number]>; mode: MirrorPadMode };
      return { x: () => mirrorPadGrad(dy as tf.Tensor, paddings, mode) };
    },
  });
}
