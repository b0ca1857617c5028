// A small reader for the zip archives torch.save writes (torch ≥ 1.6): the central directory, stored or deflated
// entries, zip64 sizes and offsets. Whole file in memory (a generator checkpoint is tens of MB at most), entries
// returned as views of it without a copy when stored. No dependency: the format is a few fixed records.
import { inflateRawSync } from 'node:zlib';

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const ZIP64_EXTRA = 0x0001;
const STORED = 0;
const DEFLATED = 8;

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

/** A fault in the archive's structure; the caller names the file. */
export class ZipFormatError extends Error {
  override name = 'ZipFormatError';
}

/** True when the bytes start like a zip archive (a local file header). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === LOCAL;
}

export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entries = this.#readCentralDirectory();
  }

  /** The entry's uncompressed bytes. */
  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (!entry) throw new ZipFormatError(`the archive has no entry ${name}`);
    const at = entry.localHeaderOffset;
    if (at + 30 > this.#bytes.length || this.#u32(at) !== LOCAL) throw new ZipFormatError(`entry ${name}'s local header is missing`);
    // The local header's own name and extra lengths: torch pads the extra field to align the data to 64 bytes.
    const start = at + 30 + this.#u16(at + 26) + this.#u16(at + 28);
    const end = start + entry.compressedSize;
    if (end > this.#bytes.length) throw new ZipFormatError(`entry ${name} runs past the end of the file (truncated?)`);
    const raw = this.#bytes.subarray(start, end);
    if (entry.method === STORED) return raw;
    if (entry.method === DEFLATED) {
      const out = inflateRawSync(raw);
      if (out.length !== entry.size) throw new ZipFormatError(`entry ${name} inflates to ${out.length} bytes, not ${entry.size}`);
      return out;
    }
    throw new ZipFormatError(`entry ${name} uses compression method ${entry.method}; only stored and deflated entries are read`);
  }

  #u16(at: number): number {
    return this.#view.getUint16(at, true);
  }

  #u32(at: number): number {
    return this.#view.getUint32(at, true);
  }

  #u64(at: number): number {
    const value = this.#view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError('a zip64 size or offset is too large');
    return Number(value);
  }

  #findEndOfCentralDirectory(): number {
    // The record is 22 bytes plus a comment of up to 65535 bytes, at the very end.
    const lowest = Math.max(0, this.#bytes.length - 22 - 0xffff);
    for (let at = this.#bytes.length - 22; at >= lowest; at--) if (this.#u32(at) === EOCD) return at;
    throw new ZipFormatError('no end-of-central-directory record (not a zip archive, or truncated)');
  }

  #readCentralDirectory(): Map<string, ZipEntry> {
    if (this.#bytes.length < 22) throw new ZipFormatError('too short to be a zip archive');
    const eocd = this.#findEndOfCentralDirectory();
    let count = this.#u16(eocd + 10);
    let offset = this.#u32(eocd + 16);
    const locator = eocd - 20;
    if (locator >= 0 && this.#u32(locator) === EOCD64_LOCATOR) {
      const eocd64 = this.#u64(locator + 8);
      if (eocd64 + 56 > this.#bytes.length || this.#u32(eocd64) !== EOCD64) throw new ZipFormatError('the zip64 end record is missing');
      count = this.#u64(eocd64 + 32);
      offset = this.#u64(eocd64 + 48);
    }
    const entries = new Map<string, ZipEntry>();
    let at = offset;
    for (let i = 0; i < count; i++) {
      if (at + 46 > this.#bytes.length || this.#u32(at) !== CENTRAL) throw new ZipFormatError(`central directory entry ${i} is damaged`);
      const method = this.#u16(at + 10);
      let compressedSize = this.#u32(at + 20);
      let size = this.#u32(at + 24);
      const nameLength = this.#u16(at + 28);
      const extraLength = this.#u16(at + 30);
      const commentLength = this.#u16(at + 32);
      let localHeaderOffset = this.#u32(at + 42);
      const name = new TextDecoder().decode(this.#bytes.subarray(at + 46, at + 46 + nameLength));
      // zip64: the fields that overflowed hold 0xffffffff and their values follow, in this order, in extra field 1.
      let extra = at + 46 + nameLength;
      const extraEnd = extra + extraLength;
      while (extra + 4 <= extraEnd) {
        const id = this.#u16(extra);
        const length = this.#u16(extra + 2);
        if (id === ZIP64_EXTRA) {
          let field = extra + 4;
          if (size === 0xffffffff) (size = this.#u64(field)), (field += 8);
          if (compressedSize === 0xffffffff) (compressedSize = this.#u64(field)), (field += 8);
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = this.#u64(field);
        }
        extra += 4 + length;
      }
      entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
      at = extraEnd + commentLength;
    }
    return entries;
  }
}
