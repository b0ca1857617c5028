// Getting a training session ready: a fresh run (resolve options, open the data, start the backend, create
// the run directory and the model) or a resumed one (read run.json, restore the newest good checkpoint).
// Both derive every random stream from the run's seed the same way, which is what makes resume exact.
import { promises as fs } from 'node:fs';
import { initBackend, type BackendReport } from '../backend/index.js';
import { checkGpuFit } from './gpu-fit.js';
import { openFolderDataset, type FolderDataset } from '../data/folder-dataset.js';
import { type FamilyModel, type FamilyState, type ModelFamily } from '../families/family.js';
import { OnnxEngine } from '../diff/onnx-engine.js';
import type { DeviceChoice } from '../onnx/devices.js';
import { getFamily } from '../families/index.js';
import { UsageError, option, remedy } from '../errors.js';
import { Rng } from '../rng.js';
import * as tf from '@tensorflow/tfjs';
import { cleanStaleTemps, loadLatestCheckpoint, setAsideDamagedCheckpoints } from './checkpoint.js';
import { DataFeed, type DataFeedState } from './data-feed.js';
import { checkBackend, checkDevice, finishSettings, resolveSettings, type RunRequest } from './options.js';
import {
  createRunDir,
  readRunInfo,
  runPaths,
  truncateMetrics,
  truncateSamples,
  updateRunInfo,
  type BackendPreference,
  type RunInfo,
  type TrainSettings,
} from './run-dir.js';
import { relative } from 'node:path';
import { extendSchedule } from './schedule.js';
import { isProcessAlive } from '../process-alive.js';
import { checkOutputFolder, isInsideFolder } from '../output-folder.js';
import { applyInitGenerators, checkNetsFit, netOptionsFromCheckpoint, readInitGenerators, rereadInitGenerators } from './init-generator.js';

export interface Session {
  runDir: string;
  info: RunInfo;
  family: ModelFamily;
  model: FamilyModel;
  feed: DataFeed;
  datasetSizes: Record<string, number>;
  backend: BackendReport;
  /** Iterations already done (0 for a fresh run). */
  startIteration: number;
  /** Training time already spent before this session. */
  elapsedMsBefore: number;
  /** The checkpoint this session continues from. */
  resumedFrom?: number;
}

/** What a checkpoint holds besides the family's tensors. */
export interface CheckpointJson {
  family: FamilyState['json'];
  feed: DataFeedState;
  iteration: number;
  elapsedMs: number;
  lr: number;
}

type Warn = (message: string) => void;

/** The model and data streams every session of a run starts from, all derived from the seed. */
function seededStart(family: ModelFamily, config: Record<string, unknown>, train: TrainSettings, datasets: Datasets, backend: BackendReport, warn: Warn) {
  const master = new Rng(train.seed);
  // A graph its device cannot load runs on the CPU: the run page and the CLI say so (onWarning, once per graph).
  const engine =
    backend.name === 'onnx' ? new OnnxEngine({ device: backend.device?.name ?? 'cpu', threads: backend.threads, onWarning: warn }) : undefined;
  const model = family.create(config, master.fork(), engine);
  if (backend.adapter) {
    try {
      checkGpuFit(backend.adapter, Object.values(model.nets), train.size, train.batch);
    } catch (error) {
      model.dispose();
      throw error;
    }
  }
  const feed = new DataFeed(datasets, train.batch, master.fork());
  return { model, feed };
}

type Datasets = { a: FolderDataset; b?: FolderDataset };

async function openDatasets(train: Omit<TrainSettings, 'iterations' | 'schedule'>, warn: Warn): Promise<Datasets> {
  const options = { loadSize: train.loadSize, cropSize: train.size, flip: train.flip, onWarning: warn };
  if (train.data) return { a: await openFolderDataset(train.data, options) };
  return { a: await openFolderDataset(train.a!, options), b: await openFolderDataset(train.b!, options) };
}

const sizesOf = (d: Datasets): Record<string, number> => (d.b ? { a: d.a.size, b: d.b.size } : { data: d.a.size });

/** The image files each dataset skipped (unreadable), by path inside its folder, for the run's page. */
function skippedOf(d: Datasets): RunInfo['skippedFiles'] {
  const list = (ds: FolderDataset) => ds.skipped.map((s) => ({ file: relative(ds.dir, s.path), reason: s.reason }));
  return d.b ? { a: list(d.a), b: list(d.b) } : { data: list(d.a) };
}

/** Refuses a run folder inside a training folder: its sample grids would become training data on resume. */
async function checkRunOutsideData(runDir: string, train: Pick<TrainSettings, 'data' | 'a' | 'b'>): Promise<void> {
  for (const [name, folder] of [['data', train.data], ['a', train.a], ['b', train.b]] as const) {
    if (folder && (await isInsideFolder(runDir, folder)))
      throw new UsageError(
        `the run folder ${runDir} is inside the training folder ${option(name)} ${folder}, so its sample grids would become training data; choose a run folder (${option('out')}) outside the training images`,
      );
  }
}

async function startBackend(family: ModelFamily, preference: BackendPreference, threads: number | undefined, device: DeviceChoice | undefined): Promise<BackendReport> {
  try {
    return await initBackend(preference, { threads, device });
  } catch (error) {
    // Only an explicit choice can fail (auto falls back to cpu): that is the user's option to change.
    throw new UsageError(`${option('backend', preference)}: ${(error as Error).message}`);
  }
}

export async function prepareFresh(runDir: string, request: RunRequest, warn: Warn): Promise<Session> {
  const family = getFamily(request.family);
  const inits = request.initGenerator === undefined ? [] : await readInitGenerators(family.id, request.initGenerator, warn);
  const familyOptions = netOptionsFromCheckpoint(family.id, { ...(request.familyOptions ?? {}), ...(request.size === undefined ? {} : { size: request.size }) }, inits);
  let config = family.resolveConfig(familyOptions) as Record<string, unknown>;
  if (inits.length > 0) {
    checkNetsFit(config as Parameters<typeof checkNetsFit>[0], inits);
    config = { ...config, upsampling: 'pytorch' }; // the published weights expect PyTorch's upsampling alignment
  }
  const { settings, iterations } = resolveSettings(request, config.size as number);
  const root = runPaths(runDir).root;
  const existing = await fs.readdir(root).catch(() => null);
  if (existing && existing.length > 0)
    throw new UsageError(`${root} already exists and is not empty. Continue that run with ${remedy({ action: 'resume', run: runDir })}, or choose another run folder (${option('out')}).`);
  await checkOutputFolder(runDir, `the run folder (${option('out')})`);
  await checkRunOutsideData(runDir, settings);

  const datasets = await openDatasets(settings, warn);
  const datasetSizes = sizesOf(datasets);
  const train = finishSettings(family.id, settings, iterations, Object.values(datasetSizes), {
    constant: request.lrConstant,
    decay: request.lrDecay,
  });
  const backend = await startBackend(family, train.backend, train.threads, train.device);
  const now = new Date().toISOString();
  const info: RunInfo = {
    format: 'darkroom-run',
    version: 1,
    family: family.id,
    train,
    config,
    backend,
    datasetSizes,
    skippedFiles: skippedOf(datasets),
    status: 'running',
    iteration: 0,
    totalIterations: train.iterations,
    createdAt: now,
    updatedAt: now,
    lastError: null,
    pid: process.pid,
    ...(inits.length > 0 ? { initGenerators: inits.map((i) => i.record) } : {}),
  };
  const { model, feed } = seededStart(family, config, train, datasets, backend, warn);
  try {
    applyInitGenerators(model, inits);
    await createRunDir(runDir, info);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { runDir, info, family, model, feed, datasetSizes, backend, startIteration: 0, elapsedMsBefore: 0 };
}

export interface ResumeOverrides {
  backend?: string;
  threads?: number;
  device?: string;
  /** Train further: the run's new total of iterations (more than it has done); the schedule is extended to it. */
  iterations?: number;
}

export async function prepareResume(runDir: string, overrides: ResumeOverrides, warn: Warn): Promise<Session | { alreadyDone: RunInfo }> {
  const previous = await readRunInfo(runDir);
  if (previous.status === 'running' && previous.pid && previous.pid !== process.pid && isProcessAlive(previous.pid))
    throw new UsageError(`${runDir} is being trained right now (process ${previous.pid}). Stop that one first.`);
  const more = overrides.iterations;
  if (more !== undefined && (!Number.isInteger(more) || more <= previous.iteration))
    throw new UsageError(
      `${runDir} has already done ${previous.iteration} iterations; ${option('iterations')} is the run's new total, so give more than ${previous.iteration}`,
    );
  if (more === undefined && previous.status === 'done' && previous.iteration >= previous.totalIterations) return { alreadyDone: previous };
  const family = getFamily(previous.family);
  const train: TrainSettings =
    more === undefined ? previous.train : { ...previous.train, iterations: more, epochs: undefined, schedule: extendSchedule(previous.train.schedule, more) };
  const preference = overrides.backend === undefined ? train.backend : checkBackend(overrides.backend);
  const threads = overrides.threads ?? train.threads;
  const device = overrides.device === undefined ? (preference === train.backend ? train.device : undefined) : checkDevice(overrides.device, preference);
  await checkRunOutsideData(runDir, train);

  const datasets = await openDatasets(train, warn);
  const backend = await startBackend(family, preference, threads, device);
  const paths = runPaths(runDir);
  await cleanStaleTemps(paths.checkpoints);
  const { model, feed } = seededStart(family, previous.config, train, datasets, backend, warn);

  let startIteration = 0;
  let elapsedMsBefore = 0;
  let resumedFrom: number | undefined;
  try {
    const checkpoint = await loadLatestCheckpoint(paths.checkpoints);
    for (const damaged of checkpoint?.skipped ?? []) {
      warn(`Checkpoint ${damaged.path} is damaged (${damaged.reason}); it was removed and the previous one is used.`);
      await fs.rm(damaged.path, { recursive: true, force: true });
    }
    if (checkpoint) {
      try {
        const json = checkpoint.json as unknown as CheckpointJson;
        model.setState({ tensors: checkpoint.tensors, json: json.family });
        for (const message of feed.restore(json.feed)) warn(message);
        startIteration = checkpoint.iteration;
        elapsedMsBefore = json.elapsedMs;
        resumedFrom = checkpoint.iteration;
      } finally {
        tf.dispose(Object.values(checkpoint.tensors));
      }
    } else {
      // Starting again from 0 would save over the damaged folders of the same names: they are kept aside.
      const setAside = await setAsideDamagedCheckpoints(paths.checkpoints);
      for (const aside of setAside) warn(`Checkpoint ${aside.path} is damaged (${aside.reason}); it was kept aside as ${aside.movedTo}.`);
      if (previous.iteration > 0 || setAside.length > 0) warn(`${runDir} has no usable checkpoint; training starts again from iteration 0.`);
      // Started from published generators and stopped before its first checkpoint: from those again (hashes checked).
      if (previous.initGenerators?.length) applyInitGenerators(model, await rereadInitGenerators(family.id, previous.initGenerators, warn));
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  await truncateMetrics(runDir, startIteration);
  await truncateSamples(runDir, startIteration);
  const info = await updateRunInfo(runDir, {
    status: 'running',
    iteration: startIteration,
    train,
    totalIterations: train.iterations,
    skippedFiles: skippedOf(datasets),
    backend,
    lastError: null,
    pid: process.pid,
  });
  const datasetSizes = sizesOf(datasets);
  return { runDir, info, family, model, feed, datasetSizes, backend, startIteration, elapsedMsBefore, resumedFrom };
}
