// A restricted unpickler for PyTorch checkpoints: Python's pickle protocols 2–5, only the opcodes a saved state
// dict uses, and only the globals a state dict needs (OrderedDict, torch's tensor rebuild functions, storage
// types). A checkpoint from the internet is untrusted: a pickle may name any Python callable (os.system, eval…)
// to be called on load. Nothing here can call Python, and a pickle that names anything else is refused by name
// before its data is even looked at — never "skipped", so a file is either read as what it says or not at all.

/** A Python value as this reader builds it. Dicts keep their insertion order (OrderedDict's too). */
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PyObject;

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

export class PyDict {
  readonly entries = new Map<PyValue, PyValue>();
}

/** What an allowed global builds or is: the caller's own objects (tensors, storages, storage types). */
export abstract class PyObject {}

/** A global the caller allows: called by REDUCE with the argument tuple's items, or used as a plain value. */
export type AllowedGlobal = { call: (args: PyValue[]) => PyValue } | { value: PyValue };

export interface UnpickleOptions {
  /** "module.name" → what it is; anything missing is refused. */
  globals: ReadonlyMap<string, AllowedGlobal>;
  /** Resolves a persistent id (torch: a storage reference tuple); absent: persistent ids are refused. */
  persistentLoad?: (pid: PyValue) => PyValue;
}

/** The pickle names a global outside the allowed set: the file asks for code to be run. */
export class ForbiddenGlobalError extends Error {
  override name = 'ForbiddenGlobalError';
  constructor(readonly global: string) {
    super(`the pickle asks for ${global}`);
  }
}

/** Bytes that are not a pickle this reader understands. */
export class PickleFormatError extends Error {
  override name = 'PickleFormatError';
}

/** The modules whose `set`/`dict`/… Python 2 pickles name as __builtin__. */
const MODULE_ALIASES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

/** Reads one pickle starting at `offset`; returns its value and the offset just past its STOP. */
export function unpickle(bytes: Uint8Array, offset: number, options: UnpickleOptions): { value: PyValue; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  const memo = new Map<number, PyValue>();
  let at = offset;

  const need = (n: number) => {
    if (at + n > bytes.length) throw new PickleFormatError('the pickle ends early (the file is truncated)');
  };
  const u8 = () => (need(1), bytes[at++]);
  const u16 = () => (need(2), (at += 2), view.getUint16(at - 2, true));
  const u32 = () => (need(4), (at += 4), view.getUint32(at - 4, true));
  const i32 = () => (need(4), (at += 4), view.getInt32(at - 4, true));
  const u64 = () => {
    need(8);
    const value = view.getBigUint64(at, true);
    at += 8;
    if (value > BigInt(bytes.length)) throw new PickleFormatError('a length in the pickle is larger than the file');
    return Number(value);
  };
  const take = (n: number) => (need(n), (at += n), bytes.subarray(at - n, at));
  const text = (n: number) => new TextDecoder().decode(take(n));
  const line = () => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) throw new PickleFormatError('the pickle ends early (the file is truncated)');
    const s = new TextDecoder().decode(bytes.subarray(at, end));
    at = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    const item = stack.pop();
    if (item === undefined || item === MARK) throw new PickleFormatError('the pickle pops from an empty stack');
    return item;
  };
  const top = (): PyValue => {
    const item = stack[stack.length - 1];
    if (item === undefined || item === MARK) throw new PickleFormatError('the pickle reads an empty stack');
    return item;
  };
  const popToMark = (): PyValue[] => {
    const mark = stack.lastIndexOf(MARK);
    if (mark < 0) throw new PickleFormatError('the pickle has no mark where one is needed');
    const items = stack.splice(mark) as PyValue[];
    items.shift();
    return items;
  };
  const global = (module: string, name: string): PyValue => {
    const qualified = `${MODULE_ALIASES[module] ?? module}.${name}`;
    const allowed = options.globals.get(qualified);
    if (!allowed) throw new ForbiddenGlobalError(qualified);
    return 'value' in allowed ? allowed.value : new CallableRef(qualified, allowed.call);
  };
  const setItems = (target: PyValue, items: PyValue[]) => {
    if (!(target instanceof PyDict)) throw new PickleFormatError('the pickle sets items on something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) target.entries.set(keyOf(items[i]), items[i + 1]);
  };
  const appendItems = (target: PyValue, items: PyValue[]) => {
    if (!Array.isArray(target)) throw new PickleFormatError('the pickle appends to something that is not a list');
    target.push(...items);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new PickleFormatError('the pickle uses a protocol newer than 5');
        break;
      case 0x95: // FRAME: a length prefix only
        take(8);
        break;
      case 0x2e: // STOP
        return { value: pop(), end: at };
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x64: {
        // DICT
        const dict = new PyDict();
        setItems(dict, popToMark());
        stack.push(dict);
        break;
      }
      case 0x6c: // LIST
        stack.push(popToMark());
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popToMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popToMark();
        setItems(top(), items);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        appendItems(top(), [value]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popToMark();
        appendItems(top(), items);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: // LONG1
        stack.push(littleEndianSigned(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(littleEndianSigned(take(u32())));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(at, false));
        at += 8;
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str, read as text)
        stack.push(latin1(take(u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(latin1(take(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()));
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()));
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const index = op === 0x68 ? u8() : u32();
        if (!memo.has(index)) throw new PickleFormatError(`the pickle refers to memo entry ${index}, which it never stored`);
        stack.push(memo.get(index)!);
        break;
      }
      case 0x30: // POP
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popToMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw new PickleFormatError('STACK_GLOBAL without a module and a name');
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE: callable(*args)
        const args = pop();
        const callable = pop();
        stack.push(call(callable, args));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args); only our callables take it, as a call
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state). A state dict's OrderedDict carries _metadata (module versions), which is
        // not needed; tensors get theirs from torch's rebuild arguments. Nothing else is built.
        const state = pop();
        const target = top();
        if (!(target instanceof PyDict) && !(target instanceof PyObject)) throw new PickleFormatError('the pickle sets state on a plain value');
        void state;
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) throw new PickleFormatError('the pickle refers to data outside it (a persistent id) where none is expected');
        stack.push(options.persistentLoad(pid));
        break;
      }
      default:
        throw new PickleFormatError(`the pickle uses opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at - 1}, which a PyTorch state dict does not use`);
    }
  }
}

/** An allowed callable on the stack, waiting for REDUCE. */
class CallableRef extends PyObject {
  constructor(
    readonly qualified: string,
    readonly fn: (args: PyValue[]) => PyValue,
  ) {
    super();
  }
}

function call(callable: PyValue, args: PyValue): PyValue {
  if (!(callable instanceof CallableRef)) throw new PickleFormatError('the pickle calls something that is not an allowed function');
  if (!(args instanceof PyTuple)) throw new PickleFormatError(`the pickle calls ${callable.qualified} without an argument tuple`);
  return callable.fn(args.items);
}

/** Dict keys: strings and numbers compare by value in a Map; a small bigint is a number. */
function keyOf(key: PyValue): PyValue {
  if (typeof key === 'bigint' && key >= BigInt(Number.MIN_SAFE_INTEGER) && key <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(key);
  return key;
}

/** A little-endian two's complement integer (LONG1, LONG4); a number when it fits exactly. */
function littleEndianSigned(data: Uint8Array): number | bigint {
  if (data.length === 0) return 0;
  let value = 0n;
  for (let i = data.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[i]);
  if (data[data.length - 1] & 0x80) value -= 1n << BigInt(8 * data.length);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function latin1(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
}
