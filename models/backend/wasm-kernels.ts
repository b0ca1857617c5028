// Training kernels for the tfjs `wasm` backend, composed from kernels that backend already runs fast
// (XNNPACK Conv2D and BatchMatMul, plus cheap data movement):
//   Conv2DBackpropFilter — missing from tfjs-backend-wasm 4.22: the weight gradient of conv2d and conv2dTranspose.
//   Conv2DBackpropInput  — the stock one is a scalar loop; this is also conv2dTranspose's forward pass.
//   MaxPoolGrad          — the stock one is wrong for windows whose values are all ≤ 0.
//   Slice                — the stock one copies its whole input first.
//   BatchMatMul          — transposed operands (every matMul gradient) in a scalar loop: wasm-matmul.ts.
// Nested ops run inside the kernel are not recorded on the gradient tape; tidy disposes their intermediates.

import * as tf from '@tensorflow/tfjs';
import { installWasmMatMul } from './wasm-matmul.js';

type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type ConvPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type DataFormat = 'NHWC' | 'NCHW';

/** How Conv2DBackpropFilter is computed; 'auto' picks by shape (see chooseFilterMethod). */
export type FilterGradMethod = 'auto' | 'im2col' | 'columns' | 'dy-columns' | 'dilated-conv';
let filterGradMethod: FilterGradMethod = 'auto';

/** For benchmarks and tests: force one way of computing the weight gradient. */
export function setFilterGradMethod(method: FilterGradMethod): void {
  filterGradMethod = method;
}

interface BackendWithRefs {
  incRef(dataId: tf.DataId): void;
}

/** The engine hands kernels Tensors; should it ever hand a bare TensorInfo, wrap it without stealing its data. */
function asTensor(info: tf.TensorInfo | undefined, backend: unknown): tf.Tensor {
  if (info === undefined) throw new Error('a training kernel was called without one of its inputs');
  if (info instanceof tf.Tensor) return info;
  (backend as BackendWithRefs).incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}

function toNHWC<T extends tf.Tensor4D>(t: T, dataFormat: DataFormat): T {
  return dataFormat === 'NCHW' ? (tf.transpose(t, [0, 2, 3, 1]) as T) : t;
}

/** The geometry both kernels need, in NHWC terms, from the op's own padding rules. */
interface Geometry {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
}

function geometry(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: ConvPad,
  dataFormat: DataFormat,
  dimRoundingMode: Rounding,
): Geometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  return {
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
    inH: info.inHeight,
    inW: info.inWidth,
    outH: info.outHeight,
    outW: info.outWidth,
  };
}

/**
 * The window [start, start+length) of `t` along H (axis 1) and W (axis 2), zero outside `t`:
 * returns the part that lies inside `t` and the zero padding still to add on each side,
 * so that the caller can hand the padding to Conv2D instead of copying.
 */
function window2d(
  t: tf.Tensor4D,
  startH: number,
  lengthH: number,
  startW: number,
  lengthW: number,
): { inner: tf.Tensor4D; pad: [[number, number], [number, number]] } {
  const [, h, w] = t.shape;
  const h0 = Math.max(0, startH);
  const h1 = Math.min(h, startH + lengthH);
  const w0 = Math.max(0, startW);
  const w1 = Math.min(w, startW + lengthW);
  if (h1 <= h0 || w1 <= w0) throw new Error('conv window lies outside the input; padding larger than the input is not supported');
  const inner = h0 === 0 && w0 === 0 && h1 === h && w1 === w ? t : tf.slice(t, [0, h0, w0, 0], [-1, h1 - h0, w1 - w0, -1]);
  return {
    inner,
    pad: [
      [h0 - startH, startH + lengthH - h1],
      [w0 - startW, startW + lengthW - w1],
    ],
  };
}

function explicit(pad: [[number, number], [number, number]]): tf.backend_util.ExplicitPadding {
  return [[0, 0], pad[0], pad[1], [0, 0]];
}

function isZeroPad(pad: [[number, number], [number, number]]): boolean {
  return pad[0][0] === 0 && pad[0][1] === 0 && pad[1][0] === 0 && pad[1][1] === 0;
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropFilter: dW[a,b,c,o] = Σ_{n,i,j} xp[n, i·sh + a, j·sw + b, c] · dy[n,i,j,o]
// (xp = x with the forward pass's zero padding).

/** im2col: one column matrix (all KH×KW strided windows side by side), then dyᵀ · cols in one BatchMatMul. */
function filterGradIm2col(x: tf.Tensor4D, dy: tf.Tensor4D, g: Geometry, filterShape: number[]): tf.Tensor4D {
  const [n, , , c] = x.shape;
  const o = dy.shape[3];
  const needH = (g.outH - 1) * g.sh + g.kh;
  const needW = (g.outW - 1) * g.sw + g.kw;
  const { inner, pad } = window2d(x, -g.top, needH, -g.left, needW);
  const xp = isZeroPad(pad) ? inner : tf.pad(inner, explicit(pad));
  const spanH = (g.outH - 1) * g.sh + 1;
  const spanW = (g.outW - 1) * g.sw + 1;
  const strided = g.sh > 1 || g.sw > 1;
  const windows: tf.Tensor4D[] = [];
  for (let a = 0; a < g.kh; a++) {
    for (let b = 0; b < g.kw; b++) {
      windows.push(
        strided
          ? (tf.stridedSlice(xp, [0, a, b, 0], [n, a + spanH, b + spanW, c], [1, g.sh, g.sw, 1]) as tf.Tensor4D)
          : tf.slice(xp, [0, a, b, 0], [n, g.outH, g.outW, c]),
      );
    }
  }
  const m = n * g.outH * g.outW;
  const cols = tf.reshape(windows.length === 1 ? windows[0] : tf.concat(windows, 3), [m, g.kh * g.kw * c]);
  // Transpose dy (usually the smaller operand: O ≤ KH·KW·C) rather than pass a transpose flag: only the
  // flag-free BatchMatMul goes through XNNPACK.
  const dyT = tf.transpose(tf.reshape(dy, [m, o]));
  const w = tf.matMul(dyT, cols); // [O, KH·KW·C]
  return tf.transpose(tf.reshape(w, [o, g.kh, g.kw, c]), [1, 2, 3, 0]).reshape(filterShape) as tf.Tensor4D;
}

/**
 * The windows t[row … row+rows, column … column+length] of a 2-D float32 tensor, stacked on the leading axis, copied
 * straight into one output (one contiguous run per row; no intermediate slices and no Concat).
 *
 * Copy speed: V8 copies between views of the shared (threaded) wasm heap word by word only when source and target
 * sit at the same offset modulo 8 bytes, byte by byte otherwise: 11 against 3 GB/s. Rows whose source and target
 * differ by an odd number of floats are therefore read from a copy of `t` shifted by one float (made by the C++
 * pad kernel at memory speed), where they line up.
 */
function stackWindows(
  t: tf.Tensor2D,
  windows: { row: number; column: number }[],
  rows: number,
  length: number,
  backend: unknown,
): tf.Tensor2D {
  const heapBackend = backend as WasmBackendInternals;
  const width = t.shape[1];
  // Tensors start 8-byte aligned on the heap, so a row lines up when its offsets in `t` and in the output differ
  // by an even number of floats. (Were that ever not so, copies would be slower, never wrong: both sources hold
  // the same values.)
  const misaligned = (source: number, target: number) => ((source - target) & 1) !== 0;
  let anyMisaligned = false;
  for (let w = 0; w < windows.length && !anyMisaligned; w++) {
    const { row, column } = windows[w];
    for (let r = 0; r < Math.min(rows, 2); r++) anyMisaligned ||= misaligned((row + r) * width + column, (w * rows + r) * length);
  }
  const shifted = anyMisaligned ? tf.pad(tf.reshape(t, [t.size]), [[1, 0]]) : null; // shifted[i + 1] = t[i]
  const out = heapBackend.makeOutput([windows.length * rows, length], 'float32');
  // Views made after makeOutput, whose allocation may grow (and so replace) the heap. set() between two views
  // (copyWithin within one view of the shared heap must allow for overlap, and took ten times longer).
  const from = heapBackend.typedArrayFromHeap(t) as Float32Array;
  const fromShifted = shifted ? (heapBackend.typedArrayFromHeap(shifted) as Float32Array) : null;
  const to = heapBackend.typedArrayFromHeap(out) as Float32Array;
  let target = 0;
  for (const { row, column } of windows) {
    for (let r = row; r < row + rows; r++, target += length) {
      const source = r * width + column;
      if (fromShifted && misaligned(source, target)) {
        to.set(fromShifted.subarray(source + 1, source + 1 + length), target);
      } else {
        to.set(from.subarray(source, source + length), target);
      }
    }
  }
  shifted?.dispose();
  return tf.engine().makeTensorFromTensorInfo(out) as tf.Tensor2D;
}

/**
 * Channels-first columns, built from long contiguous copies only (wasm's Slice copies one run per row in
 * JavaScript, so windows of an NHWC tensor cost H·W short copies each).
 * Stride s is undone by splitting the padded input into s×s phases, P[pa, pb, c, n, h, w] = xp[n, s·h+pa, s·w+pb, c]
 * (one reshape and one transpose); tap (a, b) then reads phase (a mod s, b mod s) at offset (⌊a/s⌋, ⌊b/s⌋) with
 * stride 1. Flattening (n, h, w) with row width Wp, that window is ONE contiguous range per channel, of length
 * L = (N·Hp − Hp + OH − 1)·Wp + OW; it also covers positions that are not outputs (row wrap-around, rows between
 * images), which meet zeros inserted into dy at the same places. colsT [KH·KW·C, L] (one slice per tap,
 * concatenated on the leading axis) times dyW [L, O] is one flag-free BatchMatMul whose product is already
 * [KH,KW,C,O]; XNNPACK packs only dyW, the small right operand.
 */
function filterGradColumns(x: tf.Tensor4D, dy: tf.Tensor4D, g: Geometry, filterShape: number[], backend: unknown): tf.Tensor4D {
  const [n, , , c] = x.shape;
  const o = dy.shape[3];
  const hp = g.outH - 1 + Math.ceil(g.kh / g.sh);
  const wp = g.outW - 1 + Math.ceil(g.kw / g.sw);
  const { inner, pad } = window2d(x, -g.top, hp * g.sh, -g.left, wp * g.sw);
  const xp = isZeroPad(pad) ? inner : tf.pad(inner, explicit(pad));
  const phases = tf.reshape(
    tf.transpose(tf.reshape(xp, [n * hp, g.sh, wp, g.sw * c]), [1, 3, 0, 2]), // [sh, sw·C, N·Hp, Wp]
    [g.sh * g.sw * c, n * hp * wp],
  );
  const length = ((n - 1) * hp + g.outH - 1) * wp + g.outW;
  const windows: { row: number; column: number }[] = [];
  for (let a = 0; a < g.kh; a++) {
    for (let b = 0; b < g.kw; b++) {
      const phase = (a % g.sh) * g.sw + (b % g.sw);
      windows.push({ row: phase * c, column: Math.floor(a / g.sh) * wp + Math.floor(b / g.sw) });
    }
  }
  const colsT = stackWindows(phases as tf.Tensor2D, windows, c, length, backend);
  // dy placed on the same (n, h, w) grid: row (n·Hp + i)·Wp + j holds dy[n, i, j], every other row is 0.
  const grid = tf.pad(dy, [[0, 0], [0, hp - g.outH], [0, wp - g.outW], [0, 0]]);
  const dyW = tf.slice(tf.reshape(grid, [n * hp * wp, o]), [0, 0], [length, o]);
  return tf.matMul(colsT, dyW).reshape(filterShape) as tf.Tensor4D;
}

/**
 * The columns form with the roles of x and dy swapped, for stride 1 (substituting q = p + (a, b)):
 * dW[a,b,c,o] = Σ_q xp[q, c] · dy[q − (a, b), o], q over the padded input grid [N, Hp, Wp], dy zero outside its
 * OH×OW corner. Flattened with row width Wp, the shifted dy of tap (a, b) is ONE contiguous range per output
 * channel (a shift by a·Wp + b; wrap-around and the previous image land in the zero corner), so the columns come
 * from dy: dyCols [KH·KW·O, P] times xp [P, C] (packed by XNNPACK) is [KH, KW, O, C]. It wins when dy has few
 * channels and x many (the 7×7 head, 32 → 3): fewer columns to copy and a GEMM C wide instead of O.
 */
function filterGradDyColumns(x: tf.Tensor4D, dy: tf.Tensor4D, g: Geometry, filterShape: number[], backend: unknown): tf.Tensor4D {
  const [n, , , c] = x.shape;
  const o = dy.shape[3];
  const hp = g.outH + g.kh - 1;
  const wp = g.outW + g.kw - 1;
  const { inner, pad } = window2d(x, -g.top, hp, -g.left, wp);
  const xp = tf.reshape(isZeroPad(pad) ? inner : tf.pad(inner, explicit(pad)), [n * hp * wp, c]);
  const maxShift = (g.kh - 1) * wp + g.kw - 1;
  const grid = tf.pad(dy, [[0, 0], [0, hp - g.outH], [0, wp - g.outW], [0, 0]]);
  const dyT = tf.pad(tf.transpose(tf.reshape(grid, [n * hp * wp, o])), [[0, 0], [maxShift, 0]]); // [O, shift + P]
  const windows: { row: number; column: number }[] = [];
  for (let a = 0; a < g.kh; a++) {
    for (let b = 0; b < g.kw; b++) windows.push({ row: 0, column: maxShift - (a * wp + b) });
  }
  const dyCols = stackWindows(dyT as tf.Tensor2D, windows, o, n * hp * wp, backend);
  const w = tf.matMul(dyCols, xp); // [KH·KW·O, C]
  return tf.transpose(tf.reshape(w, [g.kh, g.kw, o, c]), [0, 1, 3, 2]).reshape(filterShape) as tf.Tensor4D;
}

/**
 * Dilated convolution: with channels as the batch and the batch as the reduction,
 * dW[c,a,b,o] = Σ_{i,j,n} X[c, a + i·sh, b + j·sw, n] · D[i,j,n,o], X = xpᵀ [C,H,W,N], D = dy [OH,OW,N,O],
 * which is an XNNPACK Conv2D of X with filter D, stride 1, dilation (sh, sw).
 */
function filterGradDilatedConv(x: tf.Tensor4D, dy: tf.Tensor4D, g: Geometry, filterShape: number[]): tf.Tensor4D {
  const [n] = x.shape;
  const needH = (g.outH - 1) * g.sh + g.kh;
  const needW = (g.outW - 1) * g.sw + g.kw;
  const { inner, pad } = window2d(x, -g.top, needH, -g.left, needW);
  const xT = tf.transpose(inner, [3, 1, 2, 0]); // [C, H', W', N]
  const d = (n === 1 ? tf.reshape(dy, [g.outH, g.outW, 1, dy.shape[3]]) : tf.transpose(dy, [1, 2, 0, 3])) as tf.Tensor4D;
  const out = tf.conv2d(xT, d, 1, isZeroPad(pad) ? 'valid' : explicit(pad), 'NHWC', [g.sh, g.sw]); // [C, KH, KW, O]
  return tf.transpose(out, [1, 2, 0, 3]).reshape(filterShape) as tf.Tensor4D;
}

/**
 * Measured on this machine (.scratch sweeps over the light CycleGAN's layers at 128 px, batch 1 and 2, 2 threads,
 * alone and inside whole training iterations): the channels-first columns win at any stride (ResNet blocks 3×3
 * 128 → 128 at 32×32: 7.1 against 13.0 ms for the dilated convolution; the first downsample 32 → 64: 5.4 against
 * 7.4 ms, 10.9 against 18.0 at batch 2; the 3-channel stem inside an iteration: 30 against 57 ms). A layer with
 * far fewer output than input channels at stride 1 (the 7×7 head, 32 → 3) builds its columns from dy instead:
 * 5.0 ms against 17.0 (dilated) and 25.9 (columns). The dilated convolution and the older im2col (dy as the left
 * operand, columns built from NHWC windows) no longer win anywhere and stay for benchmarks and tests.
 */
function chooseFilterMethod(g: Geometry, inChannels: number, outChannels: number): Exclude<FilterGradMethod, 'auto'> {
  const stride1 = g.sh === 1 && g.sw === 1;
  const method = filterGradMethod !== 'auto' ? filterGradMethod : stride1 && outChannels * 4 <= inChannels ? 'dy-columns' : 'columns';
  // The dy form needs stride 1; elsewhere its nearest relative is the x-side columns.
  return method === 'dy-columns' && !stride1 ? 'columns' : method;
}

function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.Tensor {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as {
    strides: number | [number, number];
    pad: ConvPad;
    dataFormat: DataFormat;
    dimRoundingMode?: Rounding;
    filterShape: [number, number, number, number];
  };
  return tf.tidy(() => {
    const x0 = asTensor(inputs.x, backend) as tf.Tensor4D;
    const dy0 = asTensor(inputs.dy, backend) as tf.Tensor4D;
    const g = geometry(x0.shape, attrs.filterShape, attrs.strides, attrs.pad, attrs.dataFormat, attrs.dimRoundingMode);
    const x = toNHWC(x0, attrs.dataFormat);
    const dy = toNHWC(dy0, attrs.dataFormat);
    const method = chooseFilterMethod(g, x.shape[3], dy.shape[3]);
    if (method === 'im2col') return filterGradIm2col(x, dy, g, attrs.filterShape);
    if (method === 'columns') return filterGradColumns(x, dy, g, attrs.filterShape, backend);
    if (method === 'dy-columns') return filterGradDyColumns(x, dy, g, attrs.filterShape, backend);
    return filterGradDilatedConv(x, dy, g, attrs.filterShape);
  });
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropInput: dx = full correlation of dy with the filter flipped in space and its channel axes
// swapped, one stride phase per group of output channels; run as one XNNPACK Conv2D.

/** (For MaxPoolGrad.) dy with (s−1) zeros after every row/column: [N, OH·sh, OW·sw, O] (trailing zeros are part of the padding). */
function insertZeros(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  const [n, oh, ow, o] = dy.shape;
  let t: tf.Tensor = dy;
  if (sw > 1) {
    t = tf.pad(tf.reshape(t, [n * oh, ow, 1, o]), [[0, 0], [0, 0], [0, sw - 1], [0, 0]]);
  }
  if (sh > 1) {
    t = tf.pad(tf.reshape(t, [n * oh, 1, ow * sw * o]), [[0, 0], [0, sh - 1], [0, 0]]);
  }
  return tf.reshape(t, [n, oh * sh, ow * sw, o]);
}

/**
 * The filter of the phase form below, [TH, TW, O, sh·sw·C] with T = ⌈K/s⌉: F[u, v, o, (ph, pw, c)] =
 * W[ph + sh·(TH−1−u), pw + sw·(TW−1−v), c, o], zero where that tap does not exist. At stride 1 it is the filter
 * flipped in space with its channel axes swapped. Picking the taps is one BatchMatMul with a 0/1 selection
 * matrix (exact: one weight times 1 plus zeros) through XNNPACK, with the selection as the small right operand
 * it packs; wasm's GatherV2 and Reverse are scalar loops that took a quarter of a CycleGAN iteration.
 */
function phaseFilter(filter: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  const [kh, kw, c, o] = filter.shape;
  const th = Math.ceil(kh / sh);
  const tw = Math.ceil(kw / sw);
  const taps = kh * kw;
  const outTaps = th * tw * sh * sw;
  if (outTaps === 1) return tf.transpose(filter, [0, 1, 3, 2]);
  if (sh === 1 && sw === 1) {
    // Only a flip in space: reverse the taps with an anti-identity matrix as the left operand (XNNPACK packs the
    // filter once), then swap the channel axes: one transpose where the general route below needs two.
    const antiIdentity = new Float32Array(taps * taps);
    for (let t = 0; t < taps; t++) antiIdentity[t * taps + (taps - 1 - t)] = 1;
    const flipped = tf.matMul(tf.tensor2d(antiIdentity, [taps, taps]), tf.reshape(filter, [taps, c * o]));
    return tf.reshape(tf.transpose(tf.reshape(flipped, [taps, c, o]), [0, 2, 1]), [kh, kw, o, c]);
  }
  const selection = new Float32Array(taps * outTaps);
  for (let u = 0; u < th; u++) {
    for (let v = 0; v < tw; v++) {
      for (let ph = 0; ph < sh; ph++) {
        for (let pw = 0; pw < sw; pw++) {
          const a = ph + sh * (th - 1 - u);
          const b = pw + sw * (tw - 1 - v);
          if (a < kh && b < kw) selection[(a * kw + b) * outTaps + ((u * tw + v) * sh + ph) * sw + pw] = 1;
        }
      }
    }
  }
  const tapsLast = tf.reshape(tf.transpose(tf.reshape(filter, [taps, c, o]), [2, 1, 0]), [o * c, taps]);
  const picked = tf.matMul(tapsLast, tf.tensor2d(selection, [taps, outTaps])); // [O·C, (u, v, ph, pw)]
  return tf.reshape(tf.transpose(tf.reshape(picked, [o, c, th * tw, sh * sw]), [2, 0, 3, 1]), [th, tw, o, sh * sw * c]);
}

/**
 * dx[h] = Σ_{i, a: sh·i + a − top = h} dy[i] · W[a] (per axis; channels contracted). Split the padded output rows
 * z = h + top by phase, z = sh·q + ph: then a = ph + sh·t and i = q − t, so every phase is a stride-1 correlation
 * of dy with the taps of that phase. All phases at once are one XNNPACK Conv2D of dy with phaseFilter (sh·sw·C
 * output channels), followed by depth-to-space (one transpose) and a crop. Unlike dilating dy by the stride with
 * zeros, no multiplication by an inserted zero is done (2.25× fewer for 3×3, 4× for 4×4 at stride 2).
 */
function conv2DBackpropInputNHWC(dy: tf.Tensor4D, filter: tf.Tensor4D, g: Geometry): tf.Tensor4D {
  const [n] = dy.shape;
  const c = filter.shape[2];
  const th = Math.ceil(g.kh / g.sh);
  const tw = Math.ceil(g.kw / g.sw);
  // Phase rows q0 … q1−1 (and columns r0 … r1−1) cover the padded rows top … top+inH−1.
  const q0 = Math.floor(g.top / g.sh);
  const r0 = Math.floor(g.left / g.sw);
  const rows = Math.ceil((g.top + g.inH) / g.sh) - q0;
  const cols = Math.ceil((g.left + g.inW) / g.sw) - r0;
  const { inner, pad } = window2d(dy, q0 - (th - 1), rows + th - 1, r0 - (tw - 1), cols + tw - 1);
  const y = tf.conv2d(inner, phaseFilter(filter, g.sh, g.sw), 1, isZeroPad(pad) ? 'valid' : explicit(pad));
  if (g.sh === 1 && g.sw === 1) return y; // one phase, and exactly the rows and columns of dx
  const z = tf.reshape(
    tf.transpose(tf.reshape(y, [n * rows, cols, g.sh, g.sw * c]), [0, 2, 1, 3]), // [N·rows, sh, cols, sw·C]
    [n, rows * g.sh, cols * g.sw * c],
  );
  const dTop = g.top - q0 * g.sh;
  const dLeft = g.left - r0 * g.sw;
  const exact = dTop === 0 && dLeft === 0 && rows * g.sh === g.inH && cols * g.sw === g.inW;
  // Cropped as [N, H, W·C], so that wasm's Slice copies one long run per row.
  const cropped = exact ? z : tf.slice(z, [0, dTop, dLeft * c], [n, g.inH, g.inW * c]);
  return tf.reshape(cropped, [n, g.inH, g.inW, c]);
}

function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.Tensor {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as {
    inputShape: [number, number, number, number];
    strides: number | [number, number];
    pad: ConvPad;
    dataFormat: DataFormat;
    dimRoundingMode?: Rounding;
  };
  return tf.tidy(() => {
    const dy0 = asTensor(inputs.dy, backend) as tf.Tensor4D;
    const filter = asTensor(inputs.filter, backend) as tf.Tensor4D;
    const g = geometry(attrs.inputShape, filter.shape, attrs.strides, attrs.pad, attrs.dataFormat, attrs.dimRoundingMode);
    const dx = conv2DBackpropInputNHWC(toNHWC(dy0, attrs.dataFormat), filter, g);
    return attrs.dataFormat === 'NCHW' ? tf.transpose(dx, [0, 3, 1, 2]) : dx;
  });
}

// ---------------------------------------------------------------------------------------------
// MaxPoolGrad: the stock wasm kernel starts its running maximum at FLT_MIN (the smallest positive float), so a
// window whose values are all ≤ 0 sends its gradient to the wrong cell. Composed here instead: for each filter
// offset (row-major, first maximum wins, as on cpu and in TensorFlow) mark the outputs whose window maximum sits
// there, and scatter dy back by zero insertion and padding.

function maxPoolGrad(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.Tensor {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: ConvPad;
    dimRoundingMode?: Rounding;
  };
  return tf.tidy(() => {
    const dy = asTensor(inputs.dy, backend) as tf.Tensor4D;
    const x = asTensor(inputs.input, backend) as tf.Tensor4D;
    const y = asTensor(inputs.output, backend) as tf.Tensor4D;
    const info = tf.backend_util.computePool2DInfo(x.shape, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
    const { top, left } = info.padInfo;
    const [n, h, w, c] = x.shape;
    const needH = (oh - 1) * sh + kh;
    const needW = (ow - 1) * sw + kw;
    const win = window2d(x, -top, needH, -left, needW);
    const xp = isZeroPad(win.pad) ? win.inner : tf.pad(win.inner, explicit(win.pad), -Infinity);
    let taken: tf.Tensor | null = null;
    let acc: tf.Tensor4D | null = null;
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const seen =
          sh > 1 || sw > 1
            ? tf.stridedSlice(xp, [0, a, b, 0], [n, a + (oh - 1) * sh + 1, b + (ow - 1) * sw + 1, c], [1, sh, sw, 1])
            : tf.slice(xp, [0, a, b, 0], [n, oh, ow, c]);
        let hit = tf.equal(seen, y);
        if (taken !== null) hit = tf.logicalAnd(hit, tf.logicalNot(taken));
        taken = taken === null ? hit : tf.logicalOr(taken, hit);
        const spread = insertZeros(tf.where(hit, dy, tf.zerosLike(dy)), sh, sw); // [n, oh·sh, ow·sw, c]
        const rows = Math.min(oh * sh, needH - a);
        const cols = Math.min(ow * sw, needW - b);
        const fitted = rows === oh * sh && cols === ow * sw ? spread : tf.slice(spread, [0, 0, 0, 0], [n, rows, cols, c]);
        const placed = tf.pad(fitted, [[0, 0], [a, needH - a - rows], [b, needW - b - cols], [0, 0]]);
        acc = acc === null ? placed : (tf.add(acc, placed) as tf.Tensor4D);
      }
    }
    // acc is indexed like the window, whose row r is x's row r − top; rows the window never read get 0.
    const back = window2d(acc as tf.Tensor4D, top, h, left, w);
    return isZeroPad(back.pad) ? back.inner : tf.pad(back.inner, explicit(back.pad));
  });
}

// ---------------------------------------------------------------------------------------------
// Slice: the stock wasm kernel first copies its WHOLE input out of the wasm heap (readSync), so cutting nine
// windows from one tensor copied it nine times: ~1 ms per slice at 128 px, a seventh of a CycleGAN iteration.
// This one copies only the window, between views of the heap, one contiguous run per outer index.

interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

let stockSlice: tf.KernelConfig | undefined;

function slice(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const x = args.inputs.x;
  if (x === undefined) throw new Error('Slice was called without its input');
  if (x.dtype === 'string' || x.dtype === 'complex64') return stockSlice!.kernelFunc(args as never) as tf.TensorInfo;
  const attrs = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
  const backend = args.backend as WasmBackendInternals;
  const out = backend.makeOutput(size, x.dtype);
  if (size.some((d) => d === 0)) return out;
  // Views made after makeOutput (whose allocation may grow, and so replace, the heap). Each run is copied with
  // set() from a view of the input into a view of the output: ten times faster than copyWithin within one view
  // of the shared heap, which must allow for overlap.
  const from = backend.typedArrayFromHeap(x);
  const to = backend.typedArrayFromHeap(out);
  const shape = x.shape;
  const strides = tf.util.computeStrides(shape);
  // Axes after `inner` are taken whole, so axis `inner` and everything after it is one contiguous run.
  let inner = shape.length - 1;
  while (inner > 0 && begin[inner] === 0 && size[inner] === shape[inner]) inner--;
  const run = size.slice(inner).reduce((a, b) => a * b, 1);
  const innerStride = inner < strides.length ? strides[inner] : 1;
  const index = new Array<number>(inner).fill(0); // position over the outer axes 0 … inner−1
  for (let written = 0; written < to.length; written += run) {
    let offset = begin[inner] * innerStride;
    for (let axis = 0; axis < inner; axis++) offset += (begin[axis] + index[axis]) * strides[axis];
    to.set(from.subarray(offset, offset + run) as never, written);
    for (let axis = inner - 1; axis >= 0; axis--) {
      if (++index[axis] < size[axis]) break;
      index[axis] = 0;
    }
  }
  return out;
}

let installed = false;
let stockBackpropInput: tf.KernelConfig | undefined;

const backpropInputConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
};

/** Registers the kernels for the `wasm` backend (replacing the stock Conv2DBackpropInput and MaxPoolGrad). Idempotent. */
export function installWasmTrainingKernels(): void {
  if (installed) return;
  stockBackpropInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (stockBackpropInput) tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
  });
  tf.registerKernel(backpropInputConfig);
  if (tf.getKernel('MaxPoolGrad', 'wasm')) tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad as unknown as tf.KernelFunc });
  stockSlice = tf.getKernel('Slice', 'wasm');
  if (stockSlice) tf.unregisterKernel('Slice', 'wasm');
  tf.registerKernel({ kernelName: 'Slice', backendName: 'wasm', kernelFunc: slice as unknown as tf.KernelFunc });
  installWasmMatMul();
  installed = true;
}

/** For benchmarks: switch back to the stock scalar Conv2DBackpropInput (true) or to ours (false). */
export function useStockConv2DBackpropInput(stock: boolean): void {
  if (!installed || stockBackpropInput === undefined) throw new Error('start the wasm backend first');
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel(stock ? stockBackpropInput : backpropInputConfig);
  if (stock) stockBackpropInput.setupFunc?.(tf.findBackend('wasm') as tf.KernelBackend); // cwraps its C++ entry
}
