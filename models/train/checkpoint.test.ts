import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rename, rm, truncate, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.js';
import { mountTinyDisk } from '../tiny-disk.js';
import {
  checkpointName,
  cleanStaleTemps,
  listCheckpoints,
  loadLatestCheckpoint,
  readLatestPointer,
  saveCheckpoint,
} from './checkpoint.js';
import { cliText } from '../../electron/remedy-words.js';

await tf.setBackend('cpu');

async function tempDir(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-ckpt-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function content(iteration: number, rng: Rng) {
  return {
    iteration,
    tensors: {
      'net/enc/conv1.w': tf.tensor(rng.normals(3 * 3 * 2 * 4), [3, 3, 2, 4]),
      'state/count': tf.tensor([iteration, -iteration], [2], 'int32'),
      'state/mask': tf.tensor([true, false, true], [3], 'bool'),
    },
    json: { rngs: { data: rng.getState() }, note: `at ${iteration}` },
  };
}

test('a saved checkpoint loads back with the same values, dtypes and JSON', async (t) => {
  const dir = await tempDir(t);
  const saved = content(7, new Rng(1));
  const path = await saveCheckpoint(dir, saved);
  assert.equal(path, join(dir, '000007'));
  assert.equal(await readLatestPointer(dir), 7);
  const loaded = await loadLatestCheckpoint(dir);
  assert.ok(loaded);
  assert.equal(loaded.iteration, 7);
  assert.deepEqual(loaded.json, saved.json);
  for (const [name, tensor] of Object.entries(saved.tensors)) {
    assert.equal(loaded.tensors[name].dtype, tensor.dtype, name);
    assert.deepEqual(loaded.tensors[name].shape, tensor.shape, name);
    assert.deepEqual(Array.from(loaded.tensors[name].dataSync()), Array.from(tensor.dataSync()), name);
  }
  tf.dispose([Object.values(saved.tensors), Object.values(loaded.tensors)]);
});

test('only the newest two checkpoints are kept', async (t) => {
  const dir = await tempDir(t);
  const rng = new Rng(2);
  for (const it of [10, 20, 30, 40]) {
    const c = content(it, rng);
    await saveCheckpoint(dir, c);
    tf.dispose(Object.values(c.tensors));
  }
  assert.deepEqual((await listCheckpoints(dir)).map((c) => c.iteration), [40, 30]);
});

for (const damage of ['truncated tensors', 'flipped byte', 'torn manifest', 'missing manifest'] as const) {
  test(`a damaged newest checkpoint (${damage}) falls back to the previous good one`, async (t) => {
    const dir = await tempDir(t);
    const rng = new Rng(3);
    const first = content(100, rng);
    await saveCheckpoint(dir, first);
    const second = content(200, rng);
    await saveCheckpoint(dir, second);
    const newest = join(dir, checkpointName(200));
    if (damage === 'truncated tensors') await truncate(join(newest, 'tensors.bin'), 10);
    if (damage === 'flipped byte') {
      const bytes = await readFile(join(newest, 'tensors.bin'));
      bytes[5] ^= 0xff;
      await writeFile(join(newest, 'tensors.bin'), bytes);
    }
    if (damage === 'torn manifest') {
      const text = await readFile(join(newest, 'manifest.json'), 'utf8');
      await writeFile(join(newest, 'manifest.json'), text.slice(0, text.length - 40));
    }
    if (damage === 'missing manifest') await rm(join(newest, 'manifest.json'));

    const loaded = await loadLatestCheckpoint(dir);
    assert.ok(loaded);
    assert.equal(loaded.iteration, 100);
    assert.equal(loaded.skipped.length, 1);
    assert.equal(loaded.skipped[0].path, newest);
    assert.deepEqual(
      Array.from(loaded.tensors['net/enc/conv1.w'].dataSync()),
      Array.from(first.tensors['net/enc/conv1.w'].dataSync()),
    );
    tf.dispose([Object.values(first.tensors), Object.values(second.tensors), Object.values(loaded.tensors)]);
  });
}

test('an edited manifest value is caught by the manifest checksum', async (t) => {
  const dir = await tempDir(t);
  const c = content(5, new Rng(4));
  await saveCheckpoint(dir, c);
  const manifestPath = join(dir, checkpointName(5), 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  manifest.json.note = 'tampered';
  await writeFile(manifestPath, JSON.stringify(manifest));
  assert.equal(await loadLatestCheckpoint(dir), null);
  tf.dispose(Object.values(c.tensors));
});

test('a leftover temp dir from a crashed save is never loaded, and the next save cleans it', async (t) => {
  const dir = await tempDir(t);
  const rng = new Rng(5);
  const good = content(50, rng);
  await saveCheckpoint(dir, good);
  // What a process killed mid-save leaves: a temp dir holding a later, incomplete checkpoint.
  const leftover = join(dir, '.tmp-000099-12345');
  await mkdir(leftover);
  await writeFile(join(leftover, 'tensors.bin'), Buffer.alloc(16));
  const loaded = await loadLatestCheckpoint(dir);
  assert.equal(loaded?.iteration, 50);
  assert.ok((await readdir(dir)).includes('.tmp-000099-12345'), 'loading must not touch the directory');
  const next = content(60, rng);
  await saveCheckpoint(dir, next);
  assert.ok(!(await readdir(dir)).some((n) => n.startsWith('.tmp-')));
  assert.deepEqual(await cleanStaleTemps(dir), []);
  tf.dispose([Object.values(good.tensors), Object.values(next.tensors), Object.values(loaded!.tensors)]);
});

test('saving the same iteration twice replaces it cleanly', async (t) => {
  const dir = await tempDir(t);
  const rng = new Rng(6);
  const a = content(30, rng);
  const b = content(30, rng);
  await saveCheckpoint(dir, a);
  await saveCheckpoint(dir, b);
  const loaded = await loadLatestCheckpoint(dir);
  assert.deepEqual(loaded?.json, b.json);
  assert.deepEqual((await readdir(dir)).sort(), ['000030', 'latest']);
  tf.dispose([Object.values(a.tensors), Object.values(b.tensors), Object.values(loaded!.tensors)]);
});

test('an empty or missing checkpoints folder loads as null', async (t) => {
  const dir = await tempDir(t);
  assert.equal(await loadLatestCheckpoint(dir), null);
  assert.equal(await loadLatestCheckpoint(join(dir, 'nope')), null);
});

test("the `latest` pointer's temporary files left by a killed save are cleaned", async (t) => {
  const dir = await tempDir(t);
  const rng = new Rng(7);
  const first = content(10, rng);
  await saveCheckpoint(dir, first);
  await writeFile(join(dir, '.latest.tmp-999999-0123abcd'), '000099\n');
  assert.deepEqual(await cleanStaleTemps(dir), ['.latest.tmp-999999-0123abcd']);
  await writeFile(join(dir, '.latest.tmp-999999-89abcdef'), '000099\n');
  const second = content(20, rng);
  await saveCheckpoint(dir, second);
  assert.deepEqual((await readdir(dir)).sort(), ['000010', '000020', 'latest']);
  tf.dispose([Object.values(first.tensors), Object.values(second.tensors)]);
});

/** The state of a re-save of `iteration` killed between its two renames: the old one moved aside, the new one not yet in place. */
async function killedBetweenRenames(dir: string, old: ReturnType<typeof content>, fresh: ReturnType<typeof content> | null) {
  await saveCheckpoint(dir, old);
  const name = checkpointName(old.iteration);
  await rename(join(dir, name), join(dir, `.tmp-old-${name}-4242`));
  if (fresh) {
    const elsewhere = join(dir, 'elsewhere');
    await saveCheckpoint(elsewhere, fresh);
    await rename(join(elsewhere, name), join(dir, `.tmp-${name}-4242`));
    await rm(elsewhere, { recursive: true });
  } else {
    // Killed while the new one was still being written.
    await mkdir(join(dir, `.tmp-${name}-4242`));
    await writeFile(join(dir, `.tmp-${name}-4242`, 'tensors.bin'), Buffer.alloc(8));
  }
}

test('a re-save killed between its two renames: resume recovers the only checkpoint instead of deleting it', async (t) => {
  const rng = new Rng(8);
  // The new copy was complete: it is the one recovered.
  const dir = await tempDir(t);
  const old = content(30, rng);
  const fresh = content(30, rng);
  await killedBetweenRenames(dir, old, fresh);
  assert.deepEqual(await listCheckpoints(dir), [], 'no checkpoint under its own name');
  await cleanStaleTemps(dir);
  const loaded = await loadLatestCheckpoint(dir);
  assert.equal(loaded?.iteration, 30);
  assert.deepEqual(loaded?.json, fresh.json);
  assert.deepEqual((await readdir(dir)).sort(), ['000030', 'latest']);

  // The new copy was half written: the old one goes back.
  const dir2 = join(dir, 'second');
  const old2 = content(40, rng);
  await killedBetweenRenames(dir2, old2, null);
  await cleanStaleTemps(dir2);
  const loaded2 = await loadLatestCheckpoint(dir2);
  assert.deepEqual(loaded2?.json, old2.json);
  assert.deepEqual((await readdir(dir2)).sort(), ['000040', 'latest']);
  tf.dispose([old, fresh, old2].flatMap((c) => Object.values(c.tensors)));
  tf.dispose([Object.values(loaded!.tensors), Object.values(loaded2!.tensors)]);
});

test('a full disk: the save fails naming the checkpoint and saying what to do, and leaves no temporary folder', async (t) => {
  const disk = await mountTinyDisk(256 * 1024, (fn) => t.after(fn));
  if ('skip' in disk) return t.skip(disk.skip);
  const dir = join(disk.path, 'run', 'checkpoints');
  const small = content(1, new Rng(9));
  await saveCheckpoint(dir, small);
  const big = { iteration: 2, tensors: { weights: tf.zeros([128, 1024]) }, json: {} };
  await assert.rejects(saveCheckpoint(dir, big), (error: Error) => {
    assert.match(error.message, new RegExp(`${join(dir, '000002')}.*the disk is full`));
    assert.match(cliText(error.message), /free some space .*`darkroom train --resume /i);
    return true;
  });
  assert.deepEqual((await readdir(dir)).sort(), ['000001', 'latest'], 'the good checkpoint stays, nothing else');
  tf.dispose([Object.values(small.tensors), Object.values(big.tensors)]);
});
