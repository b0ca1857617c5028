// What a torch.save pickle may name, and how its storages and tensors come out: the allowed globals shared by the
// zip and the legacy format. A storage is referenced by a persistent id; its bytes are found by the format's
// reader (an archive entry, or the bytes after the pickle in the legacy format) when a tensor is first read.
import { PyDict, PyObject, PyTuple, type AllowedGlobal, type PyValue } from './pickle.js';
import { DTYPE_BYTES, StridedTensor, type CheckpointTensor, type DType } from './tensor.js';

/** torch's storage classes, by the element type they hold. */
const STORAGE_TYPES: Record<string, DType> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** A storage class named in a persistent id (never called). */
export class StorageType extends PyObject {
  constructor(readonly dtype: DType) {
    super();
  }
}

/** One storage of the file: its element type and, once found, its bytes. */
export class StorageRef extends PyObject {
  #bytes: (() => Uint8Array) | null = null;

  constructor(
    readonly key: string,
    readonly dtype: DType,
    /** Elements, as the persistent id states them. */
    readonly elements: number,
  ) {
    super();
  }

  attach(bytes: () => Uint8Array): void {
    this.#bytes = bytes;
  }

  get bytes(): Uint8Array {
    if (!this.#bytes) throw new Error(`storage ${this.key} has no data in the file`);
    return this.#bytes();
  }
}

/** A tensor rebuilt from its storage, offset, size and stride (torch._utils._rebuild_tensor_v2's arguments). */
export class TorchTensor extends PyObject implements CheckpointTensor {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
  ) {
    super();
  }

  get dtype(): DType {
    return this.storage.dtype;
  }

  toFloat32(): Float32Array {
    return new StridedTensor(this.dtype, this.shape, this.storage.bytes, this.offset, this.strides, `tensor of storage ${this.storage.key}`).toFloat32();
  }
}

const ints = (value: PyValue, what: string): number[] => {
  if (!(value instanceof PyTuple) || !value.items.every((v) => typeof v === 'number' && Number.isInteger(v)))
    throw new Error(`a tensor's ${what} is not a tuple of integers`);
  return value.items as number[];
};

function rebuildTensor([storage, offset, size, stride]: PyValue[]): PyValue {
  if (!(storage instanceof StorageRef)) throw new Error('a tensor is rebuilt from something that is not a storage');
  if (typeof offset !== 'number' || !Number.isInteger(offset)) throw new Error("a tensor's storage offset is not an integer");
  const shape = ints(size, 'size');
  const strides = ints(stride, 'stride');
  if (shape.length !== strides.length) throw new Error("a tensor's size and stride differ in length");
  return new TorchTensor(storage, offset, shape, strides);
}

/** The globals a state dict needs. Everything else a pickle names is refused (pickle.ts). */
export function torchGlobals(): Map<string, AllowedGlobal> {
  const globals = new Map<string, AllowedGlobal>([
    ['collections.OrderedDict', { call: () => new PyDict() }],
    ['torch._utils._rebuild_tensor', { call: rebuildTensor }],
    ['torch._utils._rebuild_tensor_v2', { call: rebuildTensor }],
    // A Parameter is its data; requires_grad and hooks mean nothing for inference.
    ['torch._utils._rebuild_parameter', { call: ([data]) => data }],
    ['torch._utils._rebuild_parameter_with_state', { call: ([data]) => data }],
    // Protocol 2 writes Python 3 bytes as _codecs.encode(text, 'latin1'): a pure conversion.
    ['_codecs.encode', { call: ([text]) => (typeof text === 'string' ? new Uint8Array(Buffer.from(text, 'latin1')) : text) }],
  ]);
  for (const [name, dtype] of Object.entries(STORAGE_TYPES)) globals.set(`torch.${name}`, { value: new StorageType(dtype) });
  return globals;
}

/**
 * Reads a storage persistent id: ('storage', type, key, location, elements[, view]) — the zip format's five items,
 * the legacy format's six (a view of a larger storage: (view key, offset, elements), or None). `storages` keeps one
 * StorageRef per key, so tensors sharing a storage share it.
 */
export function storageFromPersistentId(pid: PyValue, storages: Map<string, StorageRef>): PyValue {
  if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage') throw new Error('the pickle refers to outside data that is not a tensor storage');
  const [, type, key, , elements, view] = pid.items;
  if (!(type instanceof StorageType)) throw new Error('a storage reference names no storage type');
  if (typeof key !== 'string' && typeof key !== 'number') throw new Error('a storage reference has no key');
  if (typeof elements !== 'number') throw new Error('a storage reference has no element count');
  const name = String(key);
  let root = storages.get(name);
  if (!root) storages.set(name, (root = new StorageRef(name, type.dtype, elements)));
  if (view === undefined || view === null) return root;
  // A view: a slice of the root storage (legacy format only).
  if (!(view instanceof PyTuple) || typeof view.items[1] !== 'number' || typeof view.items[2] !== 'number') throw new Error('a storage view is malformed');
  const [viewKey, offset, size] = view.items as [PyValue, number, number];
  const viewName = `${name}/${String(viewKey)}`;
  let slice = storages.get(viewName);
  if (!slice) {
    const parent = root;
    slice = new StorageRef(viewName, type.dtype, size);
    const width = DTYPE_BYTES[type.dtype];
    slice.attach(() => parent.bytes.subarray(offset * width, (offset + size) * width));
    storages.set(viewName, slice);
  }
  return slice;
}
