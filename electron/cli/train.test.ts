// The real `darkroom` CLI in child processes: exit codes, messages, Ctrl+C, and an exact resume after kill -9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMetrics, readRunInfo, runPaths } from '../../models/train/run-dir.js';
import { checkpointDifference, makeScenes, makeTempDir } from '../../models/train/test-support.js';
import { isProcessAlive } from '../../models/process-alive.js';
import { inspectFolder } from '../services/datasets.js';

const BIN = fileURLToPath(new URL('../../bin/darkroom.js', import.meta.url));
const TINY = ['--size', '16', '--batch', '2', '--latent', '8', '--nf', '4', '--backend', 'cpu', '--seed', '5'];
/** TINY's flag–value pairs, less the flags `args` gives itself. */
const tinyExcept = (args: string[]) => TINY.flatMap((value, i) => (i % 2 === 0 && !args.includes(value) ? [value, TINY[i + 1]] : []));

interface Cli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stdout or stderr contains text matching the pattern. */
  waitFor: (pattern: RegExp) => Promise<void>;
}

function cli(args: string[], options: { detached?: boolean } = {}): Cli {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) if (w.pattern.test(out) || w.pattern.test(err)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
  };
  child.stdout!.on('data', (d: Buffer) => ((out += d.toString()), check()));
  child.stderr!.on('data', (d: Buffer) => ((err += d.toString()), check()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (pattern: RegExp) =>
    Promise.race([
      new Promise<void>((resolve) => {
        waiters.push({ pattern, resolve });
        check();
      }),
      exit.then(() => {
        if (!pattern.test(out) && !pattern.test(err)) throw new Error(`exited before ${pattern}:\n${out}\n${err}`);
      }),
    ]);
  return { child, stdout: () => out, stderr: () => err, exit, waitFor };
}

async function runToEnd(args: string[]) {
  const c = cli(args);
  const { code } = await c.exit;
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

test('darkroom --help and train --help describe the commands and options', async () => {
  const top = await runToEnd(['--help']);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /train\s+train an ae, vae, gan, cyclegan or cut/);
  const train = await runToEnd(['train', '--help']);
  assert.equal(train.code, 0);
  for (const text of ['--resume RUN', '--resume RUN --iterations N', 'keeps its constant part', '--checkpoint-every', '--lambda-cycle', '--preset light|standard', '--beta'])
    assert.ok(train.stdout.includes(text), text);
});

test('bad command lines exit with 2 and say what is wrong', async (t) => {
  const dir = await makeTempDir(t);
  // One case per path to exit 2: the shared parser, the train command's own checks, the dispatcher.
  // (args.test.ts covers the parser's messages in detail.)
  const cases: [string[], RegExp][] = [
    [['train', 'ae', '--data', dir, '--out', join(dir, 'r'), '--iterations', 'ten'], /--iterations needs a number/],
    [['train', 'dcgan', '--data', dir, '--out', join(dir, 'r')], /unknown model family "dcgan"/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stderr } = await runToEnd(args);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, pattern);
    if (args[0] === 'train') assert.match(stderr, /darkroom train --help/);
  }
});

test('a missing or empty data folder exits with 2 naming the folder, and makes no run', async (t) => {
  const dir = await makeTempDir(t);
  const empty = join(dir, 'empty-folder');
  await mkdir(empty);
  const missing = join(dir, 'no-such-folder');
  const out = join(dir, 'run');
  const first = await runToEnd(['train', 'ae', '--data', missing, '--out', out, ...TINY]);
  assert.equal(first.code, 2, first.stderr);
  assert.ok(first.stderr.includes(missing), first.stderr);
  await assert.rejects(readdir(out));
  const second = await runToEnd(['train', 'cyclegan', '--a', empty, '--b', missing, '--out', out, '--backend', 'cpu']);
  assert.equal(second.code, 2, second.stderr);
  assert.ok(second.stderr.includes(empty), second.stderr);
  await assert.rejects(readdir(out));
});

test('cyclegan with one folder as both domains, by path, through a link or nested, exits 2 as the studio refuses it, and makes no run', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 2, 16);
  const linked = join(dir, 'day-link');
  await symlink(day, linked);
  const nested = join(day, 'more');
  await mkdir(nested);
  const out = join(dir, 'run');
  for (const b of [day, linked, nested]) {
    const { code, stderr } = await runToEnd(['train', 'cyclegan', '--a', day, '--b', b, '--out', out, '--backend', 'cpu']);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /Domain A and domain B (are the same folder|overlap).*Choose another folder for domain B/s);
    await assert.rejects(readdir(out), 'no run folder was made');
  }
});

test('trusted mode trains on exactly what Datasets lists: links out of the data folder are left out by both, in the same words', async (t) => {
  const dir = await makeTempDir(t);
  const { day, night } = await makeScenes(join(dir, 'data'), 3, 16);
  await symlink(join(night, (await readdir(night))[0]), join(day, 'linked.png'));
  await symlink(night, join(day, 'linkdir'));
  const out = join(dir, 'run');
  const { code, stderr } = await runToEnd(['train', 'ae', '--data', day, '--out', out, ...TINY, '--iterations', '2']);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /Left out 2 entries of .*:\n {2}linkdir: a link to .*night, outside /);
  const dataset = await inspectFolder(day);
  const info = await readRunInfo(out);
  assert.equal(info.datasetSizes.data, dataset.count, "the trainer's count is the dataset's");
  assert.equal(dataset.count, 3);
  const leftOut = dataset.problems.filter((p) => p.kind === 'left-out').map((p) => ({ file: p.file, reason: p.message }));
  assert.deepEqual(info.skippedFiles?.data, leftOut);
  assert.deepEqual(leftOut.map((p) => p.file), ['linkdir', 'linked.png']);
});

test('an existing non-empty --out is refused without --resume', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 2, 16);
  const out = join(dir, 'run');
  await mkdir(out);
  await writeFile(join(out, 'notes.txt'), 'mine');
  const { code, stderr } = await runToEnd(['train', 'ae', '--data', day, '--out', out, ...TINY]);
  assert.equal(code, 2);
  assert.match(stderr, /not empty/);
  assert.match(stderr, /--resume/);
  assert.deepEqual(await readdir(out), ['notes.txt']);
});

test('Ctrl+C stops with a checkpoint, records "stopped" and prints the resume command', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 4, 16);
  const out = join(dir, 'run');
  const run = cli(['train', 'ae', '--data', day, '--out', out, ...TINY, '--iterations', '100000', '--checkpoint-every', '100000', '--log-every', '1'], { detached: true });
  await run.waitFor(/it 3\//);
  process.kill(-run.child.pid!, 'SIGINT'); // what a terminal's Ctrl+C does: the whole process group
  const { code } = await run.exit;
  assert.equal(code, 130, run.stderr());
  assert.ok(run.stderr().includes(`darkroom train --resume ${out}`), run.stderr());
  const info = await readRunInfo(out);
  assert.equal(info.status, 'stopped');
  assert.ok(info.iteration >= 3);
  assert.deepEqual(await readdir(runPaths(out).checkpoints), [String(info.iteration).padStart(6, '0'), 'latest']);
});

test('a trainer whose parent dies checkpoints, records "stopped" and exits', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 3, 16);
  const out = join(dir, 'run');
  const run = cli(['train', 'ae', '--data', day, '--out', out, ...TINY, '--iterations', '100000', '--checkpoint-every', '100000', '--log-every', '1']);
  await run.waitFor(/it 2\//);
  const trainerPid = (await readRunInfo(out)).pid!;
  run.child.kill('SIGKILL'); // only the CLI: the trainer loses its parent
  await run.exit;
  const deadline = Date.now() + 60_000;
  let info = await readRunInfo(out);
  while (info.status === 'running' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    info = await readRunInfo(out);
  }
  assert.equal(info.status, 'stopped');
  assert.deepEqual(await readdir(runPaths(out).checkpoints), [String(info.iteration).padStart(6, '0'), 'latest']);
  while (Date.now() < deadline && isProcessAlive(trainerPid)) await new Promise((r) => setTimeout(r, 50));
  assert.equal(isProcessAlive(trainerPid), false, 'the trainer exits');
});

const KILL_CASES = [
  { family: 'ae', n: 15, extra: TINY, data: (d: { day: string }) => ['--data', d.day] },
  // CycleGAN also checkpoints its image pools and its own random stream; wasm with one thread is deterministic.
  {
    family: 'cyclegan',
    n: 4,
    extra: ['--size', '32', '--ngf', '4', '--ndf', '4', '--blocks', '1', '--pool-size', '3', '--backend', 'wasm', '--threads', '1', '--seed', '9'],
    data: (d: { day: string; night: string }) => ['--a', d.day, '--b', d.night],
  },
];

for (const { family, n: N, extra, data } of KILL_CASES) {
  test(`${family}: a run killed with SIGKILL after its checkpoint resumes to the same weights as an uninterrupted run`, async (t) => {
    const dir = await makeTempDir(t);
    const scenes = await makeScenes(join(dir, 'data'), 5, family === 'cyclegan' ? 36 : 18);
    const args = [...data(scenes), ...extra, '--iterations', String(2 * N), '--checkpoint-every', String(N), '--sample-every', '2', '--log-every', '1'];

    const straight = join(dir, 'straight');
    const full = await runToEnd(['train', family, '--out', straight, ...args]);
    assert.equal(full.code, 0, full.stderr);

    const killed = join(dir, 'killed');
    const run = cli(['train', family, '--out', killed, ...args, '--json'], { detached: true });
    await run.waitFor(new RegExp(`"type":"checkpoint","iteration":${N}`));
    process.kill(-run.child.pid!, 'SIGKILL'); // the CLI and its trainer, with no chance to clean up
    await run.exit;
    const events = run.stdout().trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(events[0].type, 'started', 'events stream as JSON lines');
    assert.equal((await readRunInfo(killed)).status, 'running', 'killed mid-run, not finished');

    const resumed = await runToEnd(['train', '--resume', killed]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`Resuming from iteration ${N}`));
    const diff = await checkpointDifference(straight, killed);
    assert.equal(diff.iteration, 2 * N);
    assert.ok(diff.maxDiff <= 1e-5, `weights differ by up to ${diff.maxDiff}`);
    assert.deepEqual((await readMetrics(killed)).map((m) => m.iteration), Array.from({ length: 2 * N }, (_, i) => i + 1));
    assert.equal((await readRunInfo(killed)).status, 'done');
  });
}

test('a finished run trains further with --resume RUN --iterations N (a new total) to the weights of one straight run', async (t) => {
  const dir = await makeTempDir(t);
  const { day } = await makeScenes(join(dir, 'data'), 5, 18);
  // ae keeps a constant learning rate, so 6 then 3 more iterations are exactly 9 in one go.
  const args = ['--data', day, ...TINY, '--checkpoint-every', '3', '--log-every', '1'];
  const straight = join(dir, 'straight');
  assert.equal((await runToEnd(['train', 'ae', '--out', straight, ...args, '--iterations', '9'])).code, 0);
  const extended = join(dir, 'extended');
  assert.equal((await runToEnd(['train', 'ae', '--out', extended, ...args, '--iterations', '6'])).code, 0);

  const same = await runToEnd(['train', '--resume', extended]);
  assert.equal(same.code, 0);
  assert.match(same.stderr, /--iterations/, 'a finished run says how to train it further');
  const fewer = await runToEnd(['train', '--resume', extended, '--iterations', '6']);
  assert.equal(fewer.code, 2);
  assert.match(fewer.stderr, /already done 6 iterations; --iterations is the run's new total, so give more than 6/);

  const more = await runToEnd(['train', '--resume', extended, '--iterations', '9']);
  assert.equal(more.code, 0, more.stderr);
  const info = await readRunInfo(extended);
  assert.equal(info.status, 'done');
  assert.equal(info.totalIterations, 9);
  assert.deepEqual(info.train.schedule, { constant: 9, decay: 0 });
  assert.deepEqual((await readMetrics(extended)).map((m) => m.iteration), Array.from({ length: 9 }, (_, i) => i + 1));
  const diff = await checkpointDifference(straight, extended);
  assert.equal(diff.iteration, 9);
  assert.ok(diff.maxDiff <= 1e-6, `weights differ by up to ${diff.maxDiff}`);
});

test('a run folder inside a training folder, a file, an empty path or an impossible folder as --out exits 2 and makes nothing', async (t) => {
  const dir = await makeTempDir(t);
  const { day, night } = await makeScenes(join(dir, 'data'), 2, 16);
  const file = join(dir, 'notes.txt');
  await writeFile(file, 'mine');
  const cases: [string[], RegExp][] = [
    [['ae', '--data', day, '--out', join(day, 'run')], /run folder .* is inside the training folder --data .*sample grids would become training data/],
    [['cyclegan', '--a', day, '--b', night, '--out', join(night, 'deeper', 'run'), '--size', '32'], /is inside the training folder --b /],
    [['ae', '--data', day, '--out', file], /is a file, not a folder/],
    [['ae', '--data', day, '--out', ''], /--out is empty/],
    [['ae', '--data', '', '--out', join(dir, 'run')], /--data is empty/],
    [['ae', '--data', day, '--out', '/proc/self/x'], /\/proc\/self does not take new folders/],
    [['ae', '--data', day, '--out', join(dir, 'run'), '--batch', '100000'], /--batch must be at most 256/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stderr } = await runToEnd(['train', ...args, ...(args[0] === 'ae' ? tinyExcept(args) : ['--backend', 'cpu'])]);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, pattern, args.join(' '));
  }
  assert.deepEqual((await readdir(day)).filter((n) => !n.endsWith('.png')), [], 'nothing was written into the data');
  assert.deepEqual((await readdir(dir)).sort(), ['data', 'notes.txt']);
});
