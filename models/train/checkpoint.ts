// Checkpoints: everything an exact resume needs, in checkpoints/NNNNNN/ (tensors.bin + manifest.json).
// Written into a temp dir that is renamed into place only when complete, so a half-written checkpoint never
// has a checkpoint's name. The manifest carries SHA-256 checksums of itself and of the tensor file; loading
// verifies both and falls back to the previous good checkpoint. The last `keep` checkpoints are kept.
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { tempSiblingWriter, writeFailureReason, writeFileAtomic } from '../atomic-fs.js';
import { remedy } from '../errors.js';

const FORMAT = 'darkroom-checkpoint';
const VERSION = 1;
const DATA_FILE = 'tensors.bin';
const MANIFEST_FILE = 'manifest.json';
const LATEST_FILE = 'latest';
const TEMP_PREFIX = '.tmp-';
const NAME_PATTERN = /^\d{6,}$/;

type StoredDtype = 'float32' | 'int32' | 'bool';

interface TensorEntry {
  name: string;
  dtype: StoredDtype;
  shape: number[];
  offset: number;
  byteLength: number;
}

interface ManifestBody {
  format: typeof FORMAT;
  version: number;
  iteration: number;
  createdAt: string;
  tensors: TensorEntry[];
  dataFile: string;
  dataBytes: number;
  dataSha256: string;
  json: Record<string, unknown>;
}

interface Manifest extends ManifestBody {
  /** SHA-256 of JSON.stringify of every other field, in order. */
  manifestSha256: string;
}

export interface CheckpointContent {
  iteration: number;
  /** Read (not disposed) at save time. */
  tensors: Record<string, tf.Tensor>;
  json: Record<string, unknown>;
}

export interface LoadedCheckpoint {
  iteration: number;
  path: string;
  /** New tensors; the caller disposes them. */
  tensors: Record<string, tf.Tensor>;
  json: Record<string, unknown>;
  /** Newer checkpoints that failed verification, with why. */
  skipped: { path: string; reason: string }[];
}

export const checkpointName = (iteration: number) => String(iteration).padStart(6, '0');

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

async function fsyncDir(dir: string): Promise<void> {
  // Makes a rename durable; some filesystems refuse fsync on directories, which is harmless here.
  const handle = await fs.open(dir, 'r').catch(() => null);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

async function tensorBytes(tensor: tf.Tensor): Promise<{ dtype: StoredDtype; bytes: Uint8Array }> {
  const values = await tensor.data();
  if (tensor.dtype === 'float32' || tensor.dtype === 'int32') {
    const view = values as Float32Array | Int32Array;
    return { dtype: tensor.dtype, bytes: new Uint8Array(view.buffer, view.byteOffset, view.byteLength) };
  }
  if (tensor.dtype === 'bool') return { dtype: 'bool', bytes: Uint8Array.from(values as ArrayLike<number>) };
  throw new Error(`checkpoint: tensor dtype ${tensor.dtype} is not supported`);
}

/** A save's temporary dirs: `.tmp-NAME-PID` (being written) and `.tmp-old-NAME-PID` (an older NAME moved aside). */
const TEMP_DIR = /^\.tmp-(old-)?(\d{6,})-\d+$/;

/**
 * Tidies what a save killed part-way left. First it puts in place a checkpoint that was complete but not yet
 * renamed: a re-save moves the old copy aside before moving the new one in, so a kill between the two leaves the
 * only copies under temporary names (the new one is taken if it verifies, else the old one). Then it removes every
 * other temp dir and the `latest` pointer's temporary files. Returns the names removed. Call only from the process
 * that owns the run.
 */
export async function cleanStaleTemps(checkpointsDir: string): Promise<string[]> {
  const names = await fs.readdir(checkpointsDir).catch(() => [] as string[]);
  const present = new Set(names);
  // New copies sort before old ones ('.tmp-0…' < '.tmp-o…'), so a complete new copy wins.
  for (const name of names.sort()) {
    const match = TEMP_DIR.exec(name);
    if (!match || present.has(match[2])) continue;
    const path = join(checkpointsDir, name);
    const verified = await readVerified(path).catch(() => null);
    if (verified?.manifest.iteration !== Number(match[2])) continue;
    await fs.rename(path, join(checkpointsDir, match[2]));
    await fsyncDir(checkpointsDir);
    present.delete(name);
    present.add(match[2]);
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!present.has(name) || !(name.startsWith(TEMP_PREFIX) || tempSiblingWriter(name) !== null)) continue;
    await fs.rm(join(checkpointsDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Writes the tensor file and the manifest into `dir`, each flushed to disk. */
async function writeContents(dir: string, content: CheckpointContent): Promise<void> {
  const entries: TensorEntry[] = [];
  const hash = createHash('sha256');
  let offset = 0;
  const data = await fs.open(join(dir, DATA_FILE), 'w');
  try {
    for (const [tensorName, tensor] of Object.entries(content.tensors)) {
      const { dtype, bytes } = await tensorBytes(tensor);
      await data.write(bytes);
      hash.update(bytes);
      entries.push({ name: tensorName, dtype, shape: tensor.shape.slice(), offset, byteLength: bytes.byteLength });
      offset += bytes.byteLength;
    }
    await data.sync();
  } finally {
    await data.close();
  }

  const body: ManifestBody = {
    format: FORMAT,
    version: VERSION,
    iteration: content.iteration,
    createdAt: new Date().toISOString(),
    tensors: entries,
    dataFile: DATA_FILE,
    dataBytes: offset,
    dataSha256: hash.digest('hex'),
    json: content.json,
  };
  const manifest: Manifest = { ...body, manifestSha256: sha256(JSON.stringify(body)) };
  const manifestHandle = await fs.open(join(dir, MANIFEST_FILE), 'w');
  try {
    await manifestHandle.writeFile(JSON.stringify(manifest));
    await manifestHandle.sync();
  } finally {
    await manifestHandle.close();
  }
}

/** Writes a checkpoint, points `latest` at it and prunes all but the newest `keep`. Returns its path. */
export async function saveCheckpoint(checkpointsDir: string, content: CheckpointContent, keep = 2): Promise<string> {
  await fs.mkdir(checkpointsDir, { recursive: true });
  await cleanStaleTemps(checkpointsDir);
  const name = checkpointName(content.iteration);
  const final = join(checkpointsDir, name);
  const temp = join(checkpointsDir, `${TEMP_PREFIX}${name}-${process.pid}`);
  // Saving the same iteration twice (e.g. stopped right after a resume): the old one is swapped out first.
  const previous = join(checkpointsDir, `${TEMP_PREFIX}old-${name}-${process.pid}`);
  let hadPrevious = false;
  try {
    await fs.mkdir(temp);
    await writeContents(temp, content);
    hadPrevious = await fs.rename(final, previous).then(
      () => true,
      () => false,
    );
    await fs.rename(temp, final);
    await fsyncDir(checkpointsDir);
  } catch (error) {
    // Nothing half-written stays behind (on a full disk that space is what lets run.json record the failure).
    await fs.rm(temp, { recursive: true, force: true }).catch(() => undefined);
    if (hadPrevious) await fs.rename(previous, final).catch(() => undefined);
    throw saveError(final, checkpointsDir, error);
  }
  if (hadPrevious) await fs.rm(previous, { recursive: true, force: true });
  // The checkpoint is complete without the pointer (loading trusts contents), but a full disk is still news.
  await writeFileAtomic(join(checkpointsDir, LATEST_FILE), name + '\n').catch((error: unknown) => {
    throw saveError(join(checkpointsDir, LATEST_FILE), checkpointsDir, error);
  });
  await pruneCheckpoints(checkpointsDir, keep);
  return final;
}

function saveError(path: string, checkpointsDir: string, error: unknown): Error {
  const reason = writeFailureReason(error) ?? (error as Error).message;
  const runDir = dirname(checkpointsDir);
  return new Error(`Could not save checkpoint ${path}: ${reason}. Then continue the run with ${remedy({ action: 'resume', run: runDir })} (it goes on from its last checkpoint).`, { cause: error });
}

/** Checkpoint directories (complete by construction), newest first. */
export async function listCheckpoints(checkpointsDir: string): Promise<{ iteration: number; path: string }[]> {
  const names = await fs.readdir(checkpointsDir).catch(() => [] as string[]);
  return names
    .filter((n) => NAME_PATTERN.test(n))
    .map((n) => ({ iteration: Number(n), path: join(checkpointsDir, n) }))
    .sort((x, y) => y.iteration - x.iteration);
}

async function pruneCheckpoints(checkpointsDir: string, keep: number): Promise<void> {
  const all = await listCheckpoints(checkpointsDir);
  for (const old of all.slice(Math.max(1, keep))) await fs.rm(old.path, { recursive: true, force: true });
}

/** A checkpoint's manifest and tensor bytes, both checked against their checksums; throws with the reason. */
async function readVerified(path: string): Promise<{ manifest: Manifest; data: Buffer }> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await fs.readFile(join(path, MANIFEST_FILE), 'utf8')) as Manifest;
  } catch (error) {
    throw new Error(`unreadable ${MANIFEST_FILE}: ${(error as Error).message}`);
  }
  const { manifestSha256, ...body } = manifest;
  if (manifest.format !== FORMAT || manifest.version !== VERSION) throw new Error(`not a ${FORMAT} v${VERSION} manifest`);
  if (sha256(JSON.stringify(body)) !== manifestSha256) throw new Error(`${MANIFEST_FILE} checksum mismatch`);
  const data = await fs.readFile(join(path, manifest.dataFile));
  if (data.byteLength !== manifest.dataBytes)
    throw new Error(`${manifest.dataFile} has ${data.byteLength} bytes, expected ${manifest.dataBytes}`);
  if (sha256(data) !== manifest.dataSha256) throw new Error(`${manifest.dataFile} checksum mismatch`);
  return { manifest, data };
}

/** Reads and verifies one checkpoint directory; throws with the reason when it is damaged. */
async function readCheckpoint(path: string): Promise<Omit<LoadedCheckpoint, 'skipped'>> {
  const { manifest, data } = await readVerified(path);

  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const entry of manifest.tensors) {
      // Copy out of the file buffer: typed arrays need aligned offsets, the file packs tensors back to back.
      const bytes = data.subarray(entry.offset, entry.offset + entry.byteLength);
      const copy = new Uint8Array(bytes);
      const values =
        entry.dtype === 'float32'
          ? new Float32Array(copy.buffer)
          : entry.dtype === 'int32'
            ? new Int32Array(copy.buffer)
            : Array.from(copy, (v) => v !== 0);
      tensors[entry.name] = tf.tensor(values, entry.shape, entry.dtype);
    }
  } catch (error) {
    // A bad entry (e.g. a shape that does not match its bytes): free what was already made.
    tf.dispose(Object.values(tensors));
    throw error;
  }
  return { iteration: manifest.iteration, path, tensors, json: manifest.json };
}

/**
 * The newest checkpoint that verifies, or null when there is none. Damaged newer ones are listed in
 * `skipped` (never deleted here: a reader such as the exporter must not touch a live run).
 */
export async function loadLatestCheckpoint(checkpointsDir: string): Promise<LoadedCheckpoint | null> {
  const skipped: { path: string; reason: string }[] = [];
  for (const candidate of await listCheckpoints(checkpointsDir)) {
    try {
      return { ...(await readCheckpoint(candidate.path)), skipped };
    } catch (error) {
      skipped.push({ path: candidate.path, reason: (error as Error).message });
    }
  }
  return null;
}

/** Where a damaged checkpoint was moved, and why it was damaged. */
export interface SetAside {
  path: string;
  movedTo: string;
  reason: string;
}

/**
 * For a run none of whose checkpoints verifies, before it starts again from iteration 0: moves each checkpoint
 * folder aside as `NNNNNN-damaged-K` (K from 1, the first free), so the new run's checkpoints of the same names
 * and its pruning never replace them, and someone can still look into them. Names of that form are not
 * checkpoints (listCheckpoints) nor temporary (cleanStaleTemps), so nothing removes them. Call only from the
 * process that owns the run.
 */
export async function setAsideDamagedCheckpoints(checkpointsDir: string): Promise<SetAside[]> {
  const present = new Set(await fs.readdir(checkpointsDir).catch(() => [] as string[]));
  const moved: SetAside[] = [];
  for (const { path } of await listCheckpoints(checkpointsDir)) {
    const reason = await readVerified(path).then(
      () => null,
      (error: Error) => error.message,
    );
    if (reason === null) continue; // a good one stays where it is
    let k = 1;
    while (present.has(`${basename(path)}-damaged-${k}`)) k++;
    const movedTo = join(checkpointsDir, `${basename(path)}-damaged-${k}`);
    await fs.rename(path, movedTo);
    present.add(basename(movedTo));
    moved.push({ path, movedTo, reason });
  }
  if (moved.length > 0) await fsyncDir(checkpointsDir);
  return moved;
}

/** The iteration the `latest` pointer names (informational: loading trusts verified contents, not the pointer). */
export async function readLatestPointer(checkpointsDir: string): Promise<number | null> {
  const text = await fs.readFile(join(checkpointsDir, LATEST_FILE), 'utf8').catch(() => null);
  const name = text?.trim();
  return name && NAME_PATTERN.test(name) ? Number(name) : null;
}
