// One tensor of a checkpoint, whatever file it came from (torch zip, legacy torch, safetensors): its element type,
// shape and a way to read it as float32 in row-major order. Reading is lazy, so keys that are dropped (running
// statistics, counters) are never decoded.

export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Record<DType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** Element types whose values are weights: everything else (int64 counters, masks) cannot be a weight. */
const FLOAT_TYPES = new Set<DType>(['F64', 'F32', 'F16', 'BF16']);

export interface CheckpointTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** The values as float32, row-major (float64 rounded, float16 and bfloat16 widened). */
  toFloat32(): Float32Array;
}

/** A tensor that is a strided view of a storage's bytes (torch: storage offset and strides, in elements). */
export class StridedTensor implements CheckpointTensor {
  constructor(
    readonly dtype: DType,
    readonly shape: readonly number[],
    private readonly storage: Uint8Array,
    private readonly offset: number,
    private readonly strides: readonly number[],
    /** Names the tensor in errors. */
    private readonly label: string,
  ) {}

  toFloat32(): Float32Array {
    if (!FLOAT_TYPES.has(this.dtype)) throw new Error(`${this.label} holds ${this.dtype} values, not floating-point weights`);
    const size = this.shape.reduce((a, b) => a * b, 1);
    const elements = this.storage.byteLength / DTYPE_BYTES[this.dtype];
    // The furthest element the view reaches must lie inside the storage (a damaged or hostile file could point anywhere).
    const last = this.offset + this.shape.reduce((sum, n, i) => sum + (n - 1) * this.strides[i], 0);
    if (size > 0 && (this.offset < 0 || last >= elements || this.strides.some((s) => s < 0)))
      throw new Error(`${this.label} reaches past its data (offset ${this.offset}, shape [${this.shape.join(', ')}], strides [${this.strides.join(', ')}] in ${elements} elements)`);
    const read = elementReader(this.dtype, this.storage);
    const out = new Float32Array(size);
    if (size === 0) return out;
    if (isContiguous(this.shape, this.strides)) {
      for (let i = 0; i < size; i++) out[i] = read(this.offset + i);
      return out;
    }
    // Non-contiguous (a transposed or sliced tensor saved as is): gather in row-major order.
    const index = new Array<number>(this.shape.length).fill(0);
    for (let i = 0; i < size; i++) {
      let element = this.offset;
      for (let d = 0; d < index.length; d++) element += index[d] * this.strides[d];
      out[i] = read(element);
      for (let d = index.length - 1; d >= 0 && ++index[d] === this.shape[d]; d--) index[d] = 0;
    }
    return out;
  }
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) (strides[d] = step), (step *= shape[d]);
  return strides;
}

function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  const expected = contiguousStrides(shape);
  // A dimension of size 1 may carry any stride.
  return shape.every((n, d) => n === 1 || strides[d] === expected[d]);
}

/** Reads element i of a little-endian buffer as a number. */
function elementReader(dtype: DType, bytes: Uint8Array): (i: number) => number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32':
      return (i) => view.getFloat32(i * 4, true);
    case 'F64':
      return (i) => view.getFloat64(i * 8, true);
    case 'F16':
      return (i) => halfToFloat(view.getUint16(i * 2, true));
    case 'BF16': {
      const word = new DataView(new ArrayBuffer(4));
      return (i) => (word.setUint32(0, view.getUint16(i * 2, true) << 16, false), word.getFloat32(0, false));
    }
    default:
      throw new Error(`no float reader for ${dtype}`);
  }
}

/** IEEE 754 binary16 → number (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
