// The real `darkroom convert` in child processes: exit codes and messages, bad files, an unreadable file,
// Ctrl-C, and a batch killed with SIGKILL that a rerun finishes with every image converted exactly once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { negativeModelBytes, squashingModelBytes, texturedPhoto, tinyGeneratorBytes } from '../../models/onnx/convert-fixtures.js';
import { BAD_FILES, listTree, writeBadFiles } from '../services/batch-fixtures.js';
import type { BatchEvent, BatchReport } from '../services/batch.js';

const BIN = fileURLToPath(new URL('../../bin/darkroom.js', import.meta.url));
const PHOTOS = 10;

let dir: string;
let model: string;
let photos: string;

before(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'darkroom-convert-cli-'));
  model = join(dir, 'g.onnx');
  // Wide enough that each photo takes a noticeable moment, so a kill lands mid-batch.
  await fs.writeFile(model, await tinyGeneratorBytes({ ngf: 16, blocks: 4 }));
  photos = join(dir, 'photos');
  await fs.mkdir(photos);
  for (let i = 0; i < PHOTOS; i++) {
    const p = texturedPhoto(320, 240, 100 + i);
    await sharp(p.pixels, { raw: { width: 320, height: 240, channels: 3 } }).jpeg({ quality: 90 }).toFile(join(photos, `photo-${i}.jpg`));
  }
});

after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

interface Running {
  pid: number;
  /** Parsed --json events so far. */
  events: BatchEvent[];
  stderr: () => string;
  /** Resolves with the first event that matches. */
  waitForEvent: (match: (e: BatchEvent) => boolean) => Promise<BatchEvent>;
  exit: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

function start(args: string[], options: SpawnOptions = {}): Running {
  const child = spawn(process.execPath, [BIN, 'convert', ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const events: BatchEvent[] = [];
  let stdout = '';
  let stderr = '';
  const waiters: { match: (e: BatchEvent) => boolean; resolve: (e: BatchEvent) => void }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const lines = stdout.split('\n');
    stdout = lines.pop()!;
    for (const line of lines.filter(Boolean)) {
      const event = JSON.parse(line) as BatchEvent;
      events.push(event);
      for (const w of waiters.filter((w) => w.match(event))) (waiters.splice(waiters.indexOf(w), 1), w.resolve(event));
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    pid: child.pid!,
    events,
    stderr: () => stderr,
    waitForEvent: (match) => {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return Promise.race([
        new Promise<BatchEvent>((resolve) => waiters.push({ match, resolve })),
        exit.then((code): never => {
          throw new Error(`darkroom convert exited (${code}) before the awaited event:\n${stderr}`);
        }),
      ]);
    },
    exit,
    kill: (signal) => child.kill(signal),
  };
}

async function runToEnd(args: string[], options: SpawnOptions = {}) {
  const running = start(args, options);
  const code = await running.exit;
  return { code, stderr: running.stderr(), events: running.events };
}

async function readReport(out: string): Promise<BatchReport> {
  return JSON.parse(await fs.readFile(join(out, 'darkroom-report.json'), 'utf8')) as BatchReport;
}

/** Decodes every visible output completely; a partial file under a real name would fail here. */
async function checkOutputsComplete(out: string): Promise<void> {
  for (const name of await listTree(out)) {
    if (name.startsWith('.') || name.endsWith('.json')) continue;
    const { info } = await sharp(join(out, name)).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [320, 240], name);
  }
}

test('usage errors exit 2 before any work, saying what to do', async () => {
  const noModel = await runToEnd([photos, '--out', join(dir, 'x')]);
  assert.equal(noModel.code, 2);
  assert.match(noModel.stderr, /--model FILE\.onnx is required/);
  const inside = await runToEnd(['--model', model, photos, '--out', join(photos, 'converted')]);
  assert.equal(inside.code, 2);
  assert.match(inside.stderr, /is inside the input folder/);
  const insidePhotoFolder = await runToEnd(['--model', model, join(photos, 'photo-0.jpg'), '--out', join(photos, 'converted')]);
  assert.equal(insidePhotoFolder.code, 2, 'a photo given by itself follows the same rule as its folder');
  assert.match(insidePhotoFolder.stderr, /is inside the folder of the input/);
  await assert.rejects(fs.stat(join(photos, 'converted')), 'nothing was written into the photos folder');
  // A model from elsewhere that does not state its range: --range is asked for, and accepted as `--range 0,1`.
  const foreign = join(dir, 'negative.onnx');
  await fs.writeFile(foreign, negativeModelBytes());
  const noRange = await runToEnd(['--model', foreign, join(photos, 'photo-0.jpg'), '--out', join(dir, 'neg')]);
  assert.equal(noRange.code, 2);
  assert.match(noRange.stderr, /pass --range -1,1 .* or --range 0,1/);
  await assert.rejects(fs.stat(join(dir, 'x')));
  await assert.rejects(fs.stat(join(dir, 'neg')));
  const withRange = await runToEnd(['--model', foreign, join(photos, 'photo-0.jpg'), '--out', join(dir, 'neg'), '--range', '0,1', '--format', 'png']);
  assert.equal(withRange.code, 0, withRange.stderr);
  const [original, negative] = await Promise.all([sharp(join(photos, 'photo-0.jpg')).raw().toBuffer(), sharp(join(dir, 'neg', 'photo-0.png')).raw().toBuffer()]);
  assert.ok(original.every((v, i) => Math.abs(255 - v - negative[i]) <= 1), 'range 0,1: the negative model gives the photographic negative');
});

test('trusted mode converts a folder as its listing says: links out of it are not read, a linked output sub-folder is not written into; a photo named by itself is read where it leads', async () => {
  const root = join(dir, 'links');
  for (const folder of ['in/sub', 'secret', 'elsewhere', 'out']) await fs.mkdir(join(root, folder), { recursive: true });
  const small = async (path: string, seed: number) => {
    const p = texturedPhoto(64, 48, seed);
    await sharp(p.pixels, { raw: { width: 64, height: 48, channels: 3 } }).png().toFile(path);
  };
  await small(join(root, 'in', 'real.png'), 1);
  await small(join(root, 'in', 'sub', 'deeper.png'), 2);
  await small(join(root, 'secret', 'private.png'), 3);
  await fs.symlink(join(root, 'secret', 'private.png'), join(root, 'in', 'linked.png'));
  await fs.symlink(join(root, 'secret'), join(root, 'in', 'linkdir'));
  await fs.symlink(join(root, 'elsewhere'), join(root, 'out', 'sub'));

  const folder = await runToEnd(['--model', model, join(root, 'in'), '--recursive', '--out', join(root, 'out'), '--format', 'png', '--overwrite']);
  assert.equal(folder.code, 3, folder.stderr);
  assert.deepEqual((await fs.readdir(join(root, 'out'))).sort(), ['darkroom-report.json', 'real.png', 'sub']);
  assert.deepEqual(await fs.readdir(join(root, 'elsewhere')), [], 'nothing written through the linked sub-folder');
  assert.match(folder.stderr, /failed: .*in\/linked\.png: not converted: a link to .*secret\/private\.png, outside .*in: Darkroom reads only what is inside the folder/);
  assert.match(folder.stderr, /failed: .*in\/linkdir: not converted: a link to .*secret, outside /);
  assert.match(folder.stderr, /failed: .*in\/sub\/deeper\.png: not converted: .*out\/sub leads to .*elsewhere, outside the output folder/);

  const named = await runToEnd(['--model', model, join(root, 'in', 'linked.png'), '--out', join(root, 'named'), '--format', 'png']);
  assert.equal(named.code, 0, named.stderr);
  assert.deepEqual(await fs.readdir(join(root, 'named')), ['darkroom-report.json', 'linked.png']);
});

test('an output folder that cannot be one, or an empty path, exits 2 at once in plain words and writes nothing', async () => {
  const file = join(dir, 'notes.txt');
  await fs.writeFile(file, 'mine');
  const photo = join(photos, 'photo-0.jpg');
  const cases: [string[], RegExp][] = [
    [[photo, '--out', '/proc/self/x'], /cannot create the output folder \/proc\/self\/x: \/proc\/self does not take new folders/],
    [[photo, '--out', file], /the output folder .*notes\.txt is a file, not a folder/],
    [[photo, '--out', ''], /--out is empty/],
    [['', '--out', join(dir, 'from-empty')], /an input is an empty path/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stderr } = await runToEnd(['--model', model, ...args]);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, pattern);
  }
  assert.equal(await fs.readFile(file, 'utf8'), 'mine');
  await assert.rejects(fs.stat(join(dir, 'from-empty')));
});

test('a foreign model without range metadata whose graph ends in Tanh converts, saying the range it read from the graph', async () => {
  const foreign = join(dir, 'tanh.onnx');
  await fs.writeFile(foreign, squashingModelBytes('Tanh'));
  const { code, stderr } = await runToEnd(['--model', foreign, join(photos, 'photo-0.jpg'), '--out', join(dir, 'tanh-out')]);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /Value range: no darkroom\.range metadata; its output comes from a final Tanh, so its range is -1\.\.1 \(--range overrides it\)/);
});

test('bad files are named on stderr and in the report; the rest converts; exit 3', async () => {
  const input = join(dir, 'bad');
  await writeBadFiles(input);
  await fs.copyFile(join(photos, 'photo-1.jpg'), join(input, 'good.jpg'));
  const out = join(dir, 'bad-out');
  const { code, stderr } = await runToEnd(['--model', model, input, '--out', out]);
  assert.equal(code, 3, stderr);
  const report = await readReport(out);
  for (const [name, reason] of Object.entries(BAD_FILES)) {
    assert.match(stderr, new RegExp(`failed: ${join(input, name).replace(/[.]/g, '\\.')}: `), `${name} is named on stderr`);
    const item = report.items.find((i) => i.input === join(input, name));
    assert.equal(item?.status, 'failed', name);
    assert.match(item!.reason!, reason, `${name}: ${item!.reason}`);
  }
  assert.deepEqual(report.counts, { total: 6, done: 1, skipped: 0, failed: 5, pending: 0 });
  assert.deepEqual(await listTree(out), ['darkroom-report.json', 'good.jpg']);
});

/**
 * How to run the CLI so that a file of mode 000 cannot be read. Root reads any file, so as root it runs as the
 * unprivileged user "nobody" — which works only where nobody can reach this checkout: not in a clone inside a
 * mode-0700 folder such as `mktemp -d` or /root. There the reason is returned instead, to skip with.
 */
async function unprivileged(): Promise<{ options: SpawnOptions } | { skip: string }> {
  if (process.getuid?.() !== 0) return { options: {} };
  for (const path of [dir, photos]) await fs.chmod(path, 0o777);
  await fs.chmod(model, 0o644);
  const options = { uid: 65534, gid: 65534, env: { ...process.env, HOME: dir } };
  const probe = spawnSync(process.execPath, [BIN, '--help'], { ...options, encoding: 'utf8', timeout: 60_000 });
  if (probe.status === 0) return { options };
  const lines = (probe.stderr || probe.error?.message || `exit ${probe.status}`).split('\n');
  const why = lines.find((line) => /Error\b/.test(line)) ?? lines.find((line) => line.trim()) ?? '';
  return { skip: `as root the unreadable file needs user "nobody", who cannot run ${BIN} from this checkout (a folder above it is closed to other users): ${why.trim()}` };
}

test('a file the user may not read is named with "permission denied"; the rest converts; exit 3', async (t) => {
  const as = await unprivileged();
  if ('skip' in as) return t.skip(as.skip);
  const input = join(dir, 'locked');
  await fs.mkdir(input, { mode: 0o777 });
  await fs.chmod(input, 0o777);
  await fs.copyFile(join(photos, 'photo-1.jpg'), join(input, 'good.jpg'));
  await fs.copyFile(join(photos, 'photo-2.jpg'), join(input, 'locked.jpg'));
  await fs.chmod(join(input, 'locked.jpg'), 0o000);
  const out = join(dir, 'locked-out');
  const { code, stderr } = await runToEnd(['--model', model, input, '--out', out], as.options);
  assert.equal(code, 3, stderr);
  assert.match(stderr, new RegExp(`failed: ${join(input, 'locked.jpg').replace(/[.]/g, '\\.')}: permission denied`));
  const report = await readReport(out);
  assert.deepEqual(report.counts, { total: 2, done: 1, skipped: 0, failed: 1, pending: 0 });
  assert.deepEqual(await listTree(out), ['darkroom-report.json', 'good.jpg']);
});

test('killed with SIGKILL mid-batch, a rerun converts every image exactly once and leaves no partial file', async () => {
  const out = join(dir, 'killed');
  const first = start(['--model', model, photos, '--out', out, '--json']);
  await first.waitForEvent((e) => e.type === 'item' && e.status === 'done');
  first.kill('SIGKILL');
  await first.exit;
  const doneBeforeKill = first.events.filter((e) => e.type === 'item' && e.status === 'done').map((e) => (e as { output: string }).output);
  await checkOutputsComplete(out);
  const convertedBeforeRerun = new Map<string, number>();
  for (const name of await listTree(out)) if (name.endsWith('.jpg') && !name.startsWith('.')) convertedBeforeRerun.set(join(out, name), (await fs.stat(join(out, name))).mtimeMs);
  assert.ok(convertedBeforeRerun.size < PHOTOS, 'the kill landed before the end');

  const second = await runToEnd(['--model', model, photos, '--out', out, '--json']);
  assert.equal(second.code, 0, second.stderr);
  const report = await readReport(out);
  assert.equal(report.status, 'finished');
  const skipped = report.items.filter((i) => i.status === 'skipped').map((i) => i.output).sort();
  const convertedNow = report.items.filter((i) => i.status === 'done').map((i) => i.output);
  assert.deepEqual(skipped, [...convertedBeforeRerun.keys()].sort(), 'what the first run finished is skipped');
  for (const output of doneBeforeKill) assert.ok(skipped.includes(output));
  assert.equal(skipped.length + convertedNow.length, PHOTOS);
  assert.equal(new Set([...skipped, ...convertedNow]).size, PHOTOS, 'each image converted exactly once');
  for (const [path, mtime] of convertedBeforeRerun) assert.equal((await fs.stat(path)).mtimeMs, mtime, `${path} was not written again`);
  const expected = Array.from({ length: PHOTOS }, (_, i) => `photo-${i}.jpg`);
  assert.deepEqual(await listTree(out), ['darkroom-report.json', ...expected].sort(), 'no partial or temporary file anywhere');
  await checkOutputsComplete(out);
});

for (const [signal, how] of [['SIGINT', 'Ctrl-C'], ['SIGTERM', 'SIGTERM']] as const) {
  test(`${how} stops after the current image, exits 130, says how to resume and leaves the report "cancelled"`, async () => {
    const out = join(dir, `interrupted-${signal}`);
    const running = start(['--model', model, photos, '--out', out, '--json']);
    await running.waitForEvent((e) => e.type === 'item' && e.status === 'done');
    running.kill(signal);
    const code = await running.exit;
    assert.equal(code, 130, running.stderr());
    assert.match(running.stderr(), /Stopping after the current image/);
    assert.match(running.stderr(), /Run the same command again to convert the rest/);
    const report = await readReport(out);
    assert.equal(report.status, 'cancelled');
    assert.ok(report.counts.pending > 0 && report.counts.done >= 1, JSON.stringify(report.counts));
    const finished = running.events.at(-1);
    assert.ok(finished?.type === 'finished' && finished.cancelled);
    await checkOutputsComplete(out);
  });
}
