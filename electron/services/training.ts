// The training service: starts and resumes runs in trainer processes (so a crash or a long step never
// touches the caller), relays their events, and reads run directories. Used by the CLI and the studio
// (studio-runs.ts); it must not import Electron.
import { fork, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import type { TrainingEvent } from '../../models/train/events.js';
import type { RunOutcome } from '../../models/train/loop.js';
import type { RunRequest } from '../../models/train/options.js';
import {
  listRunDirs,
  readMetrics,
  readRunInfo,
  runPaths,
  updateRunInfo,
  type MetricsRecord,
  type RunInfo,
  type ListedRun,
} from '../../models/train/run-dir.js';
import { listCheckpoints } from '../../models/train/checkpoint.js';
import { isFromTrainer, type ToTrainer } from '../../models/train/trainer-protocol.js';
import type { ResumeOverrides } from '../../models/train/setup.js';
import { trainerEntry } from './paths.js';

export type { TrainingEvent } from '../../models/train/events.js';
export type { RunOutcome } from '../../models/train/loop.js';
export type { RunRequest } from '../../models/train/options.js';


/** Trainer output kept for the error message when it dies without saying why. */
const OUTPUT_TAIL_BYTES = 4000;

export interface StartRunOptions extends RunRequest {
  /** The run directory to create (must not exist or be empty). */
  runDir: string;
}

export interface RunHandle {
  /** Absolute path of the run directory. */
  readonly runDir: string;
  /** Live events from now on; returns an unsubscribe function. */
  subscribe(listener: (event: TrainingEvent) => void): () => void;
  /** The events from now until the run ends, as an async iterator. */
  events(): AsyncIterable<TrainingEvent>;
  /** Checkpoint and end the run as 'stopped'. */
  stop(): void;
  /** Checkpoint and end the run as 'paused' (resume later). */
  pause(): void;
  /** Ends the trainer at once, without a checkpoint (the run can still resume from its last one). */
  kill(): void;
  /** Settles when the trainer has exited: done, paused, stopped or failed (never rejects). */
  readonly done: Promise<RunOutcome>;
}

export interface ServiceOptions {
  /** Runtime for the trainer (default: this Node). In Electron: process.execPath with ELECTRON_RUN_AS_NODE. */
  execPath?: string;
  env?: NodeJS.ProcessEnv;
}

export function startRun(options: StartRunOptions, service: ServiceOptions = {}): RunHandle {
  const { runDir, ...request } = options;
  return launch({ type: 'start', runDir: resolve(runDir), request }, service);
}

export function resumeRun(runDir: string, overrides: ResumeOverrides = {}, service: ServiceOptions = {}): RunHandle {
  return launch({ type: 'resume', runDir: resolve(runDir), overrides }, service);
}

/** The runs in a folder, newest first; `accept` is asked first which run folders may be read. */
export async function listRuns(workspaceDir: string, accept?: (runDir: string) => Promise<boolean>): Promise<ListedRun[]> {
  return listRunDirs(workspaceDir, accept);
}

/** What a run directory holds, read from disk (the studio's RunDetail is built from it). */
export interface RunDirContents {
  runDir: string;
  info: RunInfo;
  metrics: MetricsRecord[];
  /** Sample grid PNGs, oldest first. */
  samples: { iteration: number; path: string }[];
  checkpoints: { iteration: number; path: string }[];
}

export async function readRun(runDir: string): Promise<RunDirContents> {
  const paths = runPaths(runDir);
  const info = await readRunInfo(runDir);
  const names = await fs.readdir(paths.samples).catch(() => [] as string[]);
  const samples = names
    .map((name) => ({ name, match: /^(\d+)\.png$/.exec(name) }))
    .filter((s) => s.match)
    .map((s) => ({ iteration: Number(s.match![1]), path: resolve(paths.samples, s.name) }))
    .sort((x, y) => x.iteration - y.iteration);
  return { runDir: paths.root, info, metrics: await readMetrics(runDir), samples, checkpoints: await listCheckpoints(paths.checkpoints) };
}

function launch(first: Extract<ToTrainer, { type: 'start' | 'resume' }>, service: ServiceOptions): RunHandle {
  const listeners = new Set<(event: TrainingEvent) => void>();
  let outputTail = '';
  let outcome: RunOutcome | null = null;
  let lastIteration = 0;
  let lastFailure: Extract<TrainingEvent, { type: 'failed' }> | null = null;

  const trainer = trainerEntry();
  const child: ChildProcess = fork(trainer.script, [], {
    execPath: service.execPath,
    execArgv: trainer.execArgv,
    env: service.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  const keepTail = (chunk: Buffer) => {
    outputTail = (outputTail + chunk.toString()).slice(-OUTPUT_TAIL_BYTES);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);

  const emit = (event: TrainingEvent) => {
    if (event.type === 'progress' || event.type === 'checkpoint' || event.type === 'stopped') lastIteration = event.iteration;
    if (event.type === 'failed') lastFailure = event;
    for (const listener of [...listeners]) listener(event);
  };

  child.on('message', (message: unknown) => {
    if (!isFromTrainer(message)) {
      // Kept with the trainer's output: if the run then ends without an outcome, its error message shows this.
      keepTail(Buffer.from(`\nthe trainer sent a message Darkroom does not understand: ${JSON.stringify(message)?.slice(0, 200)}\n`));
      return;
    }
    if (message.type === 'event') emit(message.event);
    else if (message.type === 'finished') outcome = message.outcome;
  });

  const send = (message: ToTrainer) => {
    if (child.connected) child.send(message, (error) => error && undefined);
  };
  send(first);

  const done = new Promise<RunOutcome>((settle) => {
    let settled = false;
    const finish = async (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      if (outcome) return settle(outcome);
      // The trainer died without reporting an outcome: fail the run with what it left behind.
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const tail = outputTail.trim().split('\n').slice(-12).join('\n');
      const message = lastFailure?.message ?? `the trainer process ${how}${tail ? `:\n${tail}` : ''}`;
      const info = await readRunInfo(first.runDir).catch(() => null);
      if (info && info.status === 'running' && (info.pid === child.pid || info.pid === null)) {
        await updateRunInfo(first.runDir, { status: 'failed', lastError: message, pid: null }).catch(() => undefined);
      }
      if (!lastFailure) emit({ type: 'failed', message, iteration: lastIteration });
      settle({ runDir: first.runDir, status: 'failed', iteration: info?.iteration ?? lastIteration, totalIterations: info?.totalIterations ?? 0, message });
    };
    // 'close' comes after the exit and after the last IPC message and output have been read.
    child.on('close', (code, signal) => void finish(code, signal));
    child.on('error', (error) => {
      outputTail += `\n${error.message}`;
      if (child.exitCode === null && child.signalCode === null && !child.pid) void finish(null, null);
    });
  });

  const subscribe = (listener: (event: TrainingEvent) => void) => {
    listeners.add(listener);
    return () => void listeners.delete(listener);
  };

  return {
    runDir: first.runDir,
    subscribe,
    events() {
      const queue: TrainingEvent[] = [];
      let wake: (() => void) | null = null;
      let ended = false;
      const unsubscribe = subscribe((event) => {
        queue.push(event);
        wake?.();
      });
      void done.then(() => {
        ended = true;
        unsubscribe();
        wake?.();
      });
      return {
        async *[Symbol.asyncIterator]() {
          while (true) {
            if (queue.length > 0) {
              yield queue.shift()!;
              continue;
            }
            if (ended) return;
            await new Promise<void>((r) => (wake = r));
            wake = null;
          }
        },
      };
    },
    stop: () => send({ type: 'stop' }),
    pause: () => send({ type: 'pause' }),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    done,
  };
}
