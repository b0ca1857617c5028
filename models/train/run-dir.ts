// The run directory contract (shared/design.md): run.json, metrics.jsonl, samples/NNNNNN.png, checkpoints/,
// exports/. Everything a person or another tool reads from a run goes through here.
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FamilyId } from '../families/family.js';
import { UsageError, option, remedy } from '../errors.js';
import type { BackendInfo, RunStatus } from './events.js';
import type { LrSchedule } from './schedule.js';
import { exists, readJson, writeFailureReason, writeFileAtomic, writeJsonAtomic } from '../atomic-fs.js';
import { createOutputFolder } from '../output-folder.js';
import { checkRunInfo } from './run-info-check.js';

export type { RunStatus };
export type { BackendPreference } from '../backend/names.js';
import type { BackendPreference } from '../backend/names.js';
import type { DeviceChoice } from '../onnx/devices.js';
import type { InitGeneratorRecord } from './init-generator.js';

/** Loop-level settings, fully resolved (the family's own settings live in RunInfo.config). */
export interface TrainSettings {
  /** Absolute dataset folders: `data` for one-folder families, `a` and `b` for CycleGAN. */
  data?: string;
  a?: string;
  b?: string;
  size: number;
  loadSize: number;
  flip: boolean;
  batch: number;
  iterations: number;
  /** Present when the user asked for epochs; `iterations` was derived from it. */
  epochs?: number;
  seed: number;
  checkpointEvery: number;
  sampleEvery: number;
  logEvery: number;
  backend: BackendPreference;
  threads?: number;
  /** Where ONNX Runtime trains (backend onnx; auto when not given). */
  device?: DeviceChoice;
  schedule: LrSchedule;
}

export interface RunInfo {
  format: 'darkroom-run';
  version: 1;
  family: FamilyId;
  train: TrainSettings;
  /** The family's resolved config (what family.resolveConfig returned). */
  config: Record<string, unknown>;
  backend: BackendInfo | null;
  /** Usable images in each dataset when the run was last started. */
  datasetSizes: Record<string, number>;
  /** Image files each dataset skipped when the run was last started (unreadable), by path inside its folder. */
  skippedFiles?: Record<string, { file: string; reason: string }[]>;
  /** The published checkpoints the generators started from (`--init-generator`), each with its hash. */
  initGenerators?: InitGeneratorRecord[];
  /** What each row of the sample grids shows ("real A", "A → B", …), top to bottom. */
  sampleRows?: string[];
  status: RunStatus;
  /** Training time up to the last checkpoint (ms), for the rate this machine trains at. */
  elapsedMs?: number;
  /** Iterations completed (the last checkpoint may be behind while running). */
  iteration: number;
  totalIterations: number;
  createdAt: string;
  updatedAt: string;
  lastError: string | null;
  /** The trainer process while status is running (guards against two trainers on one run). */
  pid: number | null;
}

export interface MetricsRecord {
  iteration: number;
  epoch: number;
  elapsedMs: number;
  losses: Record<string, number>;
  lr: number;
}

export function runPaths(runDir: string) {
  const root = resolve(runDir);
  return {
    root,
    runJson: join(root, 'run.json'),
    metrics: join(root, 'metrics.jsonl'),
    samples: join(root, 'samples'),
    checkpoints: join(root, 'checkpoints'),
    exports: join(root, 'exports'),
  };
}

export const samplePath = (runDir: string, iteration: number) =>
  join(runPaths(runDir).samples, `${String(iteration).padStart(6, '0')}.png`);

/** Creates a fresh run directory; refuses one that already has files in it (a run must be resumed, not reused). */
export async function createRunDir(runDir: string, info: RunInfo): Promise<void> {
  const paths = runPaths(runDir);
  const entries = await fs.readdir(paths.root).catch(() => null);
  if (entries && entries.length > 0)
    throw new UsageError(
      `${paths.root} already exists and is not empty. Continue it with ${remedy({ action: 'resume', run: runDir })}, or choose another run folder (${option('out')}).`,
    );
  await createOutputFolder(paths.root, `the run folder (${option('out')})`);
  try {
    await fs.mkdir(paths.samples, { recursive: true });
    await fs.mkdir(paths.checkpoints, { recursive: true });
    await writeJsonAtomic(paths.runJson, info);
  } catch (error) {
    // Without its run.json the folder is no run: resume could not find it and a new run would refuse it as not
    // empty. What this call made goes again, so the same command works once the cause is fixed.
    await undoRunDir(paths, entries === null);
    const reason = writeFailureReason(error);
    if (reason === null) throw error;
    const undone = entries === null ? 'the run folder was removed again' : 'the run folder was left empty again';
    throw new Error(`Could not write ${paths.runJson}: ${reason}. Nothing was trained and ${undone}: start the run again.`, { cause: error });
  }
}

/** Removes what createRunDir made: the whole folder when it did not exist before, else its two subfolders. */
async function undoRunDir(paths: ReturnType<typeof runPaths>, createdRoot: boolean): Promise<void> {
  // writeJsonAtomic has already removed its own temporary file.
  for (const path of createdRoot ? [paths.root] : [paths.samples, paths.checkpoints]) await fs.rm(path, { recursive: true, force: true }).catch(() => undefined);
}

async function isRunDir(runDir: string): Promise<boolean> {
  return exists(runPaths(runDir).runJson);
}

export async function readRunInfo(runDir: string): Promise<RunInfo> {
  const { runJson } = runPaths(runDir);
  if (!(await exists(runJson))) throw new UsageError(`${runDir} is not a Darkroom run: it has no run.json.`);
  let info: RunInfo;
  try {
    info = await readJson<RunInfo>(runJson);
  } catch (error) {
    throw new UsageError(`${runJson} cannot be read: ${(error as Error).message}`);
  }
  if (info?.format !== 'darkroom-run') throw new UsageError(`${runJson} is not a Darkroom run.json`);
  return checkRunInfo(info, runJson);
}

async function writeRunInfo(runDir: string, info: RunInfo): Promise<void> {
  const path = runPaths(runDir).runJson;
  await writingRunFile(runDir, path, () => writeJsonAtomic(path, info));
}

/** A run file's write, whose failures a person can fix (a full disk…) name the file and how the run continues. */
async function writingRunFile(runDir: string, path: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    const reason = writeFailureReason(error);
    if (reason === null) throw error;
    throw new Error(`Could not write ${path}: ${reason}. Then continue the run with ${remedy({ action: 'resume', run: runDir })} (it goes on from its last checkpoint).`, { cause: error });
  }
}

/** Read-modify-write of run.json with a fresh updatedAt. Returns what was written. */
export async function updateRunInfo(runDir: string, patch: Partial<RunInfo>): Promise<RunInfo> {
  const next: RunInfo = { ...(await readRunInfo(runDir)), ...patch, updatedAt: new Date().toISOString() };
  await writeRunInfo(runDir, next);
  return next;
}

/** Appends one line in a single write, so a crash can leave at most one torn last line (dropped on resume). */
export async function appendMetrics(runDir: string, record: MetricsRecord): Promise<void> {
  const path = runPaths(runDir).metrics;
  await writingRunFile(runDir, path, () => fs.appendFile(path, JSON.stringify(record) + '\n'));
}

/** Every well-formed record, in file order (a torn last line from a crash is ignored). */
export async function readMetrics(runDir: string): Promise<MetricsRecord[]> {
  const text = await fs.readFile(runPaths(runDir).metrics, 'utf8').catch(() => '');
  const records: MetricsRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const record = JSON.parse(line) as MetricsRecord;
      if (typeof record.iteration === 'number') records.push(record);
    } catch {
      // a line torn by a crash mid-append
    }
  }
  return records;
}

/** On resume: keeps only records up to the checkpoint's iteration (atomically), so none is duplicated. */
export async function truncateMetrics(runDir: string, lastIteration: number): Promise<void> {
  const { metrics } = runPaths(runDir);
  if (!(await exists(metrics))) return;
  const kept = (await readMetrics(runDir)).filter((r) => r.iteration <= lastIteration);
  await writeFileAtomic(metrics, kept.map((r) => JSON.stringify(r) + '\n').join(''));
}

/** Removes samples drawn after the checkpoint, which the resumed run will draw again. */
export async function truncateSamples(runDir: string, lastIteration: number): Promise<void> {
  const { samples } = runPaths(runDir);
  const names = await fs.readdir(samples).catch(() => [] as string[]);
  for (const name of names) {
    const match = /^(\d+)\.png$/.exec(name);
    if (match && Number(match[1]) > lastIteration) await fs.rm(join(samples, name), { force: true });
  }
}

export interface ListedRun {
  runDir: string;
  info: RunInfo;
}

/** Runs directly inside a workspace folder (each a subfolder with a run.json), newest first. */
export async function listRunDirs(workspaceDir: string, accept: (runDir: string) => Promise<boolean> = async () => true): Promise<ListedRun[]> {
  const names = await fs.readdir(workspaceDir).catch(() => [] as string[]);
  const runs: ListedRun[] = [];
  for (const name of names) {
    const runDir = join(resolve(workspaceDir), name);
    // `accept` says first which folders may be read at all (the studio's browser mode: none linked from elsewhere).
    if (!(await accept(runDir)) || !(await isRunDir(runDir))) continue;
    try {
      runs.push({ runDir, info: await readRunInfo(runDir) });
    } catch {
      // an unreadable run.json is not a run we can list
    }
  }
  return runs.sort((x, y) => y.info.createdAt.localeCompare(x.info.createdAt));
}
