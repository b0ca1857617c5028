// The readers' corners the fixtures do not reach: deflated and zip64 archive entries, float16's special values,
// and pickles that misuse the globals they are allowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { ForbiddenGlobalError, PickleFormatError, unpickle } from './pickle.js';
import { halfToFloat } from './tensor.js';
import { torchGlobals } from './torch-pickle.js';
import { ZipArchive } from './zip.js';

/** A zip of the given entries; `zip64` writes every size and offset through the zip64 extra field. */
function makeZip(entries: { name: string; data: Uint8Array; deflate?: boolean }[], zip64 = false): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const stored = e.deflate ? deflateRawSync(e.data) : Buffer.from(e.data);
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, stored);
    const extra = Buffer.alloc(zip64 ? 28 : 0);
    if (zip64) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(e.data.length), 4);
      extra.writeBigUInt64LE(BigInt(stored.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(zip64 ? 0xffffffff : stored.length, 20);
    central.writeUInt32LE(zip64 ? 0xffffffff : e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
    centrals.push(central, name, extra);
    offset += 30 + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, end]));
}

test('zip: stored and deflated entries, with and without zip64 fields', () => {
  const text = new TextEncoder().encode('a state dict '.repeat(50));
  for (const zip64 of [false, true]) {
    const archive = new ZipArchive(makeZip([{ name: 'a/data.pkl', data: text }, { name: 'a/data/0', data: text, deflate: true }], zip64));
    assert.deepEqual([...archive.entries.keys()], ['a/data.pkl', 'a/data/0']);
    assert.deepEqual(archive.read('a/data.pkl'), text);
    assert.deepEqual(new Uint8Array(archive.read('a/data/0')), text);
  }
  assert.throws(() => new ZipArchive(new Uint8Array(100)), /no end-of-central-directory record/);
});

test('float16: normal, subnormal, zero, infinity and NaN', () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  assert.ok(Object.is(halfToFloat(0x8000), -0));
});

const pickle = (...ops: (number | string)[]) => new Uint8Array(ops.flatMap((op) => (typeof op === 'number' ? [op] : [...Buffer.from(op, 'latin1')])));

test('pickle: a global outside the allowed set is refused by name, whatever opcode names it', () => {
  const options = { globals: torchGlobals() };
  // protocol 2: GLOBAL 'posix\nsystem\n'
  assert.throws(() => unpickle(pickle(0x80, 2, 'cposix\nsystem\n', '.'), 0, options), (e) => e instanceof ForbiddenGlobalError && e.global === 'posix.system');
  // protocol 4: STACK_GLOBAL of 'builtins' 'eval'
  assert.throws(() => unpickle(pickle(0x80, 4, 0x8c, 8, 'builtins', 0x8c, 4, 'eval', 0x93, '.'), 0, options), (e) => e instanceof ForbiddenGlobalError && e.global === 'builtins.eval');
  // Python 2's __builtin__ is builtins
  assert.throws(() => unpickle(pickle(0x80, 2, 'c__builtin__\nexec\n', '.'), 0, options), (e) => e instanceof ForbiddenGlobalError && e.global === 'builtins.exec');
});

test('pickle: allowed names cannot be misused', () => {
  const options = { globals: torchGlobals() };
  // A storage type is never called.
  assert.throws(() => unpickle(pickle(0x80, 2, 'ctorch\nFloatStorage\n', ')', 'R', '.'), 0, options), PickleFormatError);
  // A persistent id with nowhere to resolve it.
  assert.throws(() => unpickle(pickle(0x80, 2, 'K', 1, 'Q', '.'), 0, options), /persistent id/);
  // A truncated pickle.
  assert.throws(() => unpickle(pickle(0x80, 2, 0x8c, 40, 'abc'), 0, options), /ends early/);
  // An OrderedDict is built and filled.
  const { value } = unpickle(pickle(0x80, 2, 'ccollections\nOrderedDict\n', ')', 'R', 0x8c, 1, 'k', 'K', 7, 's', '.'), 0, options);
  assert.equal((value as { entries: Map<unknown, unknown> }).entries.get('k'), 7);
});
