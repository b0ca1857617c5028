// safetensors: an 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}} (and an
// optional __metadata__ of strings), then the raw little-endian data. No code can be in such a file.
import { contiguousStrides, DTYPE_BYTES, StridedTensor, type CheckpointTensor, type DType } from './tensor.js';

const DTYPES: Record<string, DType> = { F64: 'F64', F32: 'F32', F16: 'F16', BF16: 'BF16', I64: 'I64', I32: 'I32', I16: 'I16', I8: 'I8', U8: 'U8', BOOL: 'BOOL' };

export class SafetensorsFormatError extends Error {
  override name = 'SafetensorsFormatError';
}

/** True when the bytes plausibly start a safetensors file: a sane header length, then '{'. */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return length > 1n && length <= BigInt(bytes.length - 8) && bytes[8] === 0x7b;
}

export function readSafetensors(bytes: Uint8Array): Map<string, CheckpointTensor> {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>;
  } catch {
    throw new SafetensorsFormatError('its header is not valid JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsFormatError('its header is not a JSON object');
  const data = bytes.subarray(8 + length);
  const tensors = new Map<string, CheckpointTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const type = typeof dtype === 'string' ? DTYPES[dtype] : undefined;
    if (!type) throw new SafetensorsFormatError(`tensor ${name} has element type ${String(dtype)}, which Darkroom does not read`);
    if (!Array.isArray(shape) || !shape.every((n) => Number.isInteger(n) && n >= 0)) throw new SafetensorsFormatError(`tensor ${name} has no valid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((n) => Number.isInteger(n) && n >= 0)) throw new SafetensorsFormatError(`tensor ${name} has no valid data offsets`);
    const [begin, end] = offsets as [number, number];
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end > data.length || end - begin !== size * DTYPE_BYTES[type]) throw new SafetensorsFormatError(`tensor ${name}'s data (bytes ${begin}–${end}) does not fit its shape or the file`);
    tensors.set(name, new StridedTensor(type, shape as number[], data.subarray(begin, end), 0, contiguousStrides(shape as number[]), `tensor ${name}`));
  }
  return tensors;
}
