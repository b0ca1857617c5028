// The two file formats torch.save writes, down to the unpickled object (tensors still unread):
// - zip (torch ≥ 1.6): <folder>/data.pkl, the object, whose storages are the entries <folder>/data/<key>;
// - legacy (older torch, e.g. the CycleGAN zoo's 2017–2019 files): five pickles and raw data back to back — the
//   magic number, the protocol version, a system-info dict, the object, then the sorted storage keys, followed by
//   each storage's bytes in that order, each after its element count (int64, little-endian).
// Both go through the restricted unpickler (pickle.ts) with the same allowed globals (torch-pickle.ts).
import { unpickle, PickleFormatError, PyDict, type PyValue } from './pickle.js';
import { storageFromPersistentId, torchGlobals, type StorageRef } from './torch-pickle.js';
import { DTYPE_BYTES } from './tensor.js';
import { ZipArchive } from './zip.js';

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

export function readTorchZip(bytes: Uint8Array): PyValue {
  const archive = new ZipArchive(bytes);
  const pickles = [...archive.entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) throw new PickleFormatError(pickles.length === 0 ? 'the archive has no data.pkl: it is a zip file, but not one torch.save wrote' : 'the archive holds more than one data.pkl');
  const folder = pickles[0].slice(0, -'data.pkl'.length);
  const byteOrder = archive.entries.has(`${folder}byteorder`) ? new TextDecoder().decode(archive.read(`${folder}byteorder`)).trim() : 'little';
  if (byteOrder !== 'little') throw new PickleFormatError(`the file was saved on a ${byteOrder}-endian machine; Darkroom reads little-endian checkpoints`);
  const storages = new Map<string, StorageRef>();
  const { value } = unpickle(archive.read(pickles[0]), 0, { globals: torchGlobals(), persistentLoad: (pid) => storageFromPersistentId(pid, storages) });
  for (const storage of storages.values()) {
    if (storage.key.includes('/')) continue; // a view, attached to its root already
    const entry = `${folder}data/${storage.key}`;
    storage.attach(() => checkedLength(archive.read(entry), storage.elements * DTYPE_BYTES[storage.dtype], entry));
  }
  return value;
}

export function readTorchLegacy(bytes: Uint8Array): PyValue {
  const globals = torchGlobals();
  const read = (at: number, persistentLoad?: (pid: PyValue) => PyValue) => unpickle(bytes, at, { globals, persistentLoad });
  const magic = read(0);
  if (magic.value !== LEGACY_MAGIC) throw new PickleFormatError('it is a pickle, but not one torch.save wrote (no torch magic number)');
  const protocol = read(magic.end);
  if (protocol.value !== LEGACY_PROTOCOL) throw new PickleFormatError(`it is a torch file of protocol version ${String(protocol.value)}; Darkroom reads version ${LEGACY_PROTOCOL}`);
  const sysInfo = read(protocol.end);
  if (sysInfo.value instanceof PyDict && sysInfo.value.entries.get('little_endian') === false)
    throw new PickleFormatError('the file was saved on a big-endian machine; Darkroom reads little-endian checkpoints');
  const storages = new Map<string, StorageRef>();
  const object = read(sysInfo.end, (pid) => storageFromPersistentId(pid, storages));
  const keys = read(object.end);
  if (!Array.isArray(keys.value)) throw new PickleFormatError('the list of storage keys after the object is missing');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = keys.end;
  for (const key of keys.value) {
    const storage = storages.get(String(key));
    if (!storage) throw new PickleFormatError(`storage ${String(key)} is listed but no tensor uses it`);
    if (at + 8 > bytes.length) throw new PickleFormatError('the file ends before its tensor data (it is truncated)');
    const elements = Number(view.getBigInt64(at, true));
    const length = elements * DTYPE_BYTES[storage.dtype];
    const start = at + 8;
    if (elements < 0 || start + length > bytes.length) throw new PickleFormatError(`storage ${storage.key} runs past the end of the file (it is truncated)`);
    const data = bytes.subarray(start, start + length);
    storage.attach(() => data);
    at = start + length;
  }
  return object.value;
}

function checkedLength(data: Uint8Array, expected: number, entry: string): Uint8Array {
  if (data.length < expected) throw new PickleFormatError(`${entry} holds ${data.length} bytes, fewer than its ${expected}`);
  return data;
}
