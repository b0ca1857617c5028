// The training loop: iterate trainStep with the learning-rate schedule, log metrics, draw sample grids from a
// fixed batch, checkpoint, and stop cleanly (checkpoint first) when asked. Every outcome lands in run.json.
import * as tf from '@tensorflow/tfjs';
import { writePngAtomic } from '../data/image-io.js';
import type { Batches } from '../families/family.js';
import { UsageError, option, remedy } from '../errors.js';
import { drawWith, gpuFailure } from '../backend/index.js';
import { saveCheckpoint } from './checkpoint.js';
import type { StopReason, TrainingEvent } from './events.js';
import { tileGrid } from './grid.js';
import type { RunRequest } from './options.js';
import { appendMetrics, runPaths, samplePath, updateRunInfo, type RunStatus } from './run-dir.js';
import { lrFactor } from './schedule.js';
import { prepareFresh, prepareResume, type CheckpointJson, type ResumeOverrides, type Session } from './setup.js';

/** Progress events at least this often, besides every logged iteration (for a live ETA on slow runs). */
const PROGRESS_INTERVAL_MS = 1000;
/** Weight of the newest iteration in the it/s estimate. */
const SPEED_SMOOTHING = 0.2;

export interface RunTrainingOptions {
  runDir: string;
  /** Continue the run in runDir from its newest good checkpoint. */
  resume?: boolean;
  /** What to train (fresh runs only). */
  config?: RunRequest;
  /** Backend changes allowed on resume. */
  overrides?: ResumeOverrides;
  /** Abort with reason 'pause' to pause; any other reason stops. Both checkpoint first. */
  signal?: AbortSignal;
  onEvent: (event: TrainingEvent) => void;
  /** Called after every iteration (tests watch tensor counts through it). */
  afterIteration?: (iteration: number) => void;
}

export interface RunOutcome {
  runDir: string;
  status: RunStatus;
  iteration: number;
  totalIterations: number;
  /** Why it failed. */
  message?: string;
  /** The request or the data was wrong; nothing was trained (CLI exit 2). */
  badInput?: boolean;
}

const isBadInput = (error: unknown) => error instanceof UsageError;

export async function runTraining(options: RunTrainingOptions): Promise<RunOutcome> {
  const { runDir, onEvent } = options;
  const warn = (message: string) => onEvent({ type: 'warning', message });
  let session: Session;
  try {
    if (options.resume) {
      const prepared = await prepareResume(runDir, options.overrides ?? {}, warn);
      if ('alreadyDone' in prepared) {
        const info = prepared.alreadyDone;
        warn(`${runDir} is done (${info.iteration} iterations). To train it further, give a new total: ${remedy({ action: 'resume', run: runDir, with: { iterations: 2 * info.iteration } })}`);
        onEvent({ type: 'stopped', iteration: info.iteration, reason: 'done' });
        return { runDir, status: 'done', iteration: info.iteration, totalIterations: info.totalIterations };
      }
      session = prepared;
    } else {
      if (!options.config) throw new UsageError('nothing to train: give a family and its data, or resume a run');
      session = await prepareFresh(runDir, options.config, warn);
    }
  } catch (error) {
    const message = (error as Error).message;
    onEvent({ type: 'failed', message, badInput: isBadInput(error) });
    // Setup claims a run only as its last step, so a refused resume leaves run.json as it was (it may even
    // belong to a trainer that is running right now).
    return { runDir, status: 'failed', iteration: 0, totalIterations: 0, message, badInput: isBadInput(error) };
  }
  try {
    return await iterate(session, options);
  } finally {
    session.model.dispose();
  }
}

async function iterate(session: Session, options: RunTrainingOptions): Promise<RunOutcome> {
  const { runDir, info, model, feed } = session;
  const { onEvent, signal } = options;
  const train = info.train;
  const total = info.totalIterations;
  onEvent({
    type: 'started',
    runDir: runPaths(runDir).root,
    family: info.family,
    backend: session.backend,
    totalIterations: total,
    datasetSizes: session.datasetSizes,
    ...(session.resumedFrom === undefined ? {} : { resumedFrom: session.resumedFrom }),
  });

  let iteration = session.startIteration;
  let lastCheckpoint = session.resumedFrom ?? -1;
  const sessionStart = performance.now();
  const elapsedMs = () => session.elapsedMsBefore + (performance.now() - sessionStart);

  const checkpoint = async () => {
    if (iteration === lastCheckpoint) return;
    const state = model.getState();
    const json: CheckpointJson = { family: state.json, feed: feed.getState(), iteration, elapsedMs: elapsedMs(), lr: lrFactor(train.schedule, iteration) };
    const path = await saveCheckpoint(runPaths(runDir).checkpoints, { iteration, tensors: state.tensors, json: json as unknown as Record<string, unknown> });
    lastCheckpoint = iteration;
    await updateRunInfo(runDir, { iteration, elapsedMs: Math.round(elapsedMs()) });
    onEvent({ type: 'checkpoint', iteration, path });
  };

  // What metrics call lr: the learning rate in effect (the family's base rate × the schedule's factor).
  const baseLr = typeof info.config.lr === 'number' ? info.config.lr : 1;
  const fixed = feed.fixedBatch();
  try {
    let secondsPerIt = 0;
    let lastProgress = 0;
    while (iteration < total && !signal?.aborted) {
      const lrScale = lrFactor(train.schedule, iteration + 1);
      const lr = baseLr * lrScale;
      const created: tf.Tensor[] = [];
      const stepStart = performance.now();
      let losses: Record<string, number>;
      try {
        losses = await model.trainStep(() => feed.next(created), lrScale);
      } finally {
        tf.dispose(created);
      }
      // A GPU error does not throw: the step's numbers are silently wrong. Nothing of it may reach a checkpoint.
      const gpuError = gpuFailure();
      if (gpuError !== null) throw new Error(gpuStopMessage(gpuError, lastCheckpoint, runDir));
      iteration++;
      const dt = (performance.now() - stepStart) / 1000;
      secondsPerIt = secondsPerIt === 0 ? dt : (1 - SPEED_SMOOTHING) * secondsPerIt + SPEED_SMOOTHING * dt;
      const broken = Object.entries(losses).find(([, v]) => Number.isNaN(v));
      if (broken)
        throw new Error(`loss ${broken[0]} became NaN at iteration ${iteration}: training diverged. Try a lower ${option('lr')}, then resume or start again.`);

      const epoch = Math.round(feed.epochs * 1000) / 1000;
      const logged = iteration % train.logEvery === 0 || iteration === total;
      if (logged) await appendMetrics(runDir, { iteration, epoch, elapsedMs: Math.round(elapsedMs()), losses, lr });
      const now = performance.now();
      if (logged || now - lastProgress >= PROGRESS_INTERVAL_MS) {
        lastProgress = now;
        const itPerSec = secondsPerIt > 0 ? 1 / secondsPerIt : 0;
        onEvent({ type: 'progress', iteration, total, epoch, losses, itPerSec, etaSeconds: (total - iteration) * secondsPerIt, lr });
      }
      if (iteration % train.sampleEvery === 0 || iteration === total) await writeSample(session, fixed, iteration, onEvent);
      if (iteration % train.checkpointEvery === 0 || iteration === total) await checkpoint();
      options.afterIteration?.(iteration);
      // Let stop/pause messages and signals in between iterations.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const reason: StopReason = iteration >= total ? 'done' : signal?.reason === 'pause' ? 'paused' : 'stopped';
    await checkpoint();
    const status: RunStatus = reason === 'done' ? 'done' : reason;
    await updateRunInfo(runDir, { status, iteration, pid: null });
    onEvent({ type: 'stopped', iteration, reason });
    return { runDir, status, iteration, totalIterations: total };
  } catch (error) {
    const gpuError = gpuFailure();
    const message = gpuError !== null ? gpuStopMessage(gpuError, lastCheckpoint, runDir) : (error as Error).message;
    // The run stands where its last checkpoint is: that is where a resume continues.
    if (gpuError !== null) iteration = Math.max(lastCheckpoint, 0);
    await updateRunInfo(runDir, { status: 'failed', iteration, lastError: message, pid: null }).catch(() => undefined);
    onEvent({ type: 'failed', message, iteration, badInput: isBadInput(error) });
    return { runDir, status: 'failed', iteration, totalIterations: total, message, badInput: isBadInput(error) };
  } finally {
    tf.dispose([fixed.a, fixed.b]);
  }
}

function gpuStopMessage(gpuError: string, lastCheckpoint: number, runDir: string): string {
  const kept = lastCheckpoint >= 0 ? `The checkpoint at iteration ${lastCheckpoint} is kept` : 'No checkpoint was written yet';
  return (
    `Training stopped: ${gpuError}. ${kept}. Resume on another backend (${remedy({ action: 'resume', run: runDir, with: { backend: 'wasm' } })}), ` +
    `close other programs using the GPU and resume, or start again with a smaller ${option('size')} or ${option('batch')}.`
  );
}

async function writeSample(session: Session, fixed: Batches, iteration: number, onEvent: (e: TrainingEvent) => void) {
  const { grid, image } = await drawWith(async () => {
    const grid = session.model.sampleGrid(fixed);
    try {
      return { grid, image: await tileGrid(grid) };
    } catch (error) {
      tf.dispose(grid.rows.map((r) => r.images));
      throw error;
    }
  });
  try {
    const path = samplePath(session.runDir, iteration);
    await writePngAtomic(path, image.data, image.width, image.height, 3);
    const rows = grid.rows.map((row) => row.label);
    // The grid's picture has no text: the studio shows these beside it.
    if (JSON.stringify(session.info.sampleRows) !== JSON.stringify(rows)) session.info = await updateRunInfo(session.runDir, { sampleRows: rows });
    onEvent({ type: 'sample', iteration, path, rows });
  } finally {
    tf.dispose(grid.rows.map((r) => r.images));
  }
}
