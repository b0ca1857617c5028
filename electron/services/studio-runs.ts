// The studio's side of training: runs live in the workspace's runs/ folder, one trainer process each through
// the training service (training.ts), their events relayed as StudioEvents keyed by run id.
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunRequest } from '../../models/train/options.js';
import type { RunInfo } from '../../models/train/run-dir.js';
import { readJson, writeJsonAtomic } from '../../models/atomic-fs.js';
import { checkDomainFolders } from '../../models/data/domain-folders.js';
import {
  ApiError,
  type Direction,
  type ExportPartName,
  type MetricPoint,
  type ModelInfo,
  type RunDataset,
  type RunDetail,
  type RunList,
  type RunStatus,
  type RunSummary,
  type StudioEvent,
  type TrainingEvent,
  type TrainRequest,
  FAMILY_TRAITS,
} from '../api.js';
import type { DatasetStore } from './datasets.js';
import type { ModelStore } from './models.js';
import { domainNames, exportRunModels } from './studio-export.js';
import { runLabel } from './run-label.js';
import { listRuns, readRun, resumeRun, startRun, type RunHandle, type ServiceOptions } from './training.js';
import { claimFolder, mediaRef, reserveId, type Workspace } from './workspace.js';
import { isProcessAlive } from '../../models/process-alive.js';
import { trustedAccess, type AccessPolicy } from './access-policy.js';
import { isCheckpointPath } from '../../models/import/checkpoint-files.js';
import { MAX_CHART_POINTS, thinPoints } from '../chart-thinning.js';

/** How long to wait for a trainer to checkpoint and exit when paused or stopped. */
const STOP_TIMEOUT_MS = 120_000;

/** What the studio adds to a run directory: the name the user gave it. */
interface StudioRunNote {
  name: string;
  datasets: { a: string; b?: string };
}

/** In Electron the trainer runs on Electron's own Node (ELECTRON_RUN_AS_NODE); elsewhere on this Node. */
function trainerRuntime(): ServiceOptions {
  if (!process.versions.electron) return {};
  return { execPath: process.execPath, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } };
}

export class RunManager {
  readonly #handles = new Map<string, RunHandle>();
  readonly #workspace: Workspace;
  readonly #datasets: DatasetStore;
  readonly #models: ModelStore;
  readonly #emit: (event: StudioEvent) => void;
  readonly #version: string;
  readonly #access: AccessPolicy;

  constructor(workspace: Workspace, datasets: DatasetStore, models: ModelStore, emit: (event: StudioEvent) => void, version: string, access: AccessPolicy = trustedAccess()) {
    this.#workspace = workspace;
    this.#access = access;
    this.#datasets = datasets;
    this.#models = models;
    this.#emit = emit;
    this.#version = version;
  }

  activeRunIds(): string[] {
    return [...this.#handles.keys()];
  }

  #runDir(runId: string): string {
    return join(this.#workspace.paths.runs, runId);
  }

  /**
   * A run folder about to be read: in browser mode, one linked in from outside the workspace (or a runs folder that
   * is such a link) is not read, in the words the listings use for a link they leave out.
   */
  async #readableRunDir(runId: string): Promise<string> {
    const runDir = this.#runDir(runId);
    const reason = await this.#access.leadsOutOfWorkspace(runDir);
    if (reason) throw new ApiError('bad-request', `The run folder ${runId} is not read: it is ${reason}`);
    return runDir;
  }

  /** A run folder about to be written into: in browser mode, one linked in from outside the workspace is refused. */
  async #writableRunDir(runId: string): Promise<string> {
    const runDir = this.#runDir(runId);
    await this.#access.writableFolder(runDir);
    return runDir;
  }

  async start(request: TrainRequest): Promise<RunSummary> {
    if (request.name !== undefined) await this.#refuseTakenName(request.name);
    const a = this.#datasets.pathOf(request.datasets.a);
    const b = request.datasets.b ? this.#datasets.pathOf(request.datasets.b) : undefined;
    // The same rule as `darkroom train --a --b`: two datasets of one folder are refused as the same dataset twice is.
    if (b !== undefined && FAMILY_TRAITS[request.family].datasets === 2) await checkDomainFolders(a, b);
    const initGenerator = request.initGenerator && (await Promise.all(request.initGenerator.map((path) => this.#readableCheckpoint(path))));
    const name = request.name ?? `${request.family} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
    // Creating the run folder claims the id (mkdir fails when it exists), so two starts at once get two folders.
    const runId = await reserveId(name, (id) => claimFolder(this.#runDir(id)));
    const familyOptions: Record<string, unknown> = { ...request.advanced };
    if (request.preset) familyOptions.preset = request.preset;
    const loopRequest: RunRequest = {
      family: request.family,
      ...(FAMILY_TRAITS[request.family].datasets === 2 ? { a, b } : { data: a }),
      size: request.size,
      iterations: request.iterations,
      batch: request.batch,
      seed: request.seed,
      sampleEvery: request.sampleEvery,
      checkpointEvery: request.checkpointEvery,
      // The chart shows logged iterations: a short run logs each one, a long one about as many as the chart holds.
      logEvery: Math.max(1, Math.min(10, Math.floor(request.iterations / MAX_CHART_POINTS))),
      backend: request.backend,
      device: request.device,
      ...(initGenerator ? { initGenerator } : {}),
      familyOptions,
    };
    let handle: RunHandle;
    try {
      handle = startRun({ ...loopRequest, runDir: this.#runDir(runId) }, trainerRuntime());
    } catch (error) {
      await fs.rm(this.#runDir(runId), { recursive: true, force: true });
      throw error;
    }
    await this.#attach(runId, handle, { name, datasets: request.datasets });
    return this.summary(runId);
  }

  /**
   * A checkpoint to start from, as the trainer will read it: opened through the access policy (in browser mode only
   * inside the workspace or a folder chosen this session, a regular .pth/.pt/.safetensors), then named by its real path.
   */
  async #readableCheckpoint(path: string): Promise<string> {
    if (!isCheckpointPath(path)) throw new ApiError('bad-request', `${path} is not a PyTorch checkpoint (.pth, .pt) or .safetensors file: give the generator's checkpoint`);
    const handle = await this.#access.openFile(path, 'model');
    await handle.close();
    return fs.realpath(path);
  }

  async #refuseTakenName(name: string): Promise<void> {
    const taken = (await this.list()).find((run) => run.name.trim().toLowerCase() === name.trim().toLowerCase());
    if (taken) throw new ApiError('conflict', `There is already a run named "${taken.name}". Choose another name, or open that run in Runs to train it more.`);
  }

  /** `iterations`: train further to this new total ("Train more"), a finished run too. */
  async resume(runId: string, iterations?: number): Promise<RunSummary> {
    const refuseIfTraining = () => {
      if (this.#handles.has(runId)) throw new ApiError('conflict', `Run "${runId}" is already training.`);
    };
    refuseIfTraining();
    const info = await this.#info(runId);
    if (iterations !== undefined && iterations <= info.iteration)
      throw new ApiError('bad-request', `This run has done ${info.iteration} iterations: to train it more, give a new total above ${info.iteration}.`);
    if (iterations === undefined && info.status === 'done')
      throw new ApiError('bad-request', 'This run is finished: use Train more with a new total of iterations.');
    const runDir = await this.#writableRunDir(runId);
    // Checked again with no await before #attach registers the new trainer: two resumes at once start one.
    refuseIfTraining();
    await this.#attach(runId, resumeRun(runDir, iterations === undefined ? {} : { iterations }, trainerRuntime()), null);
    return this.summary(runId);
  }

  async pause(runId: string): Promise<void> {
    await this.#end(runId, 'pause');
  }

  async stop(runId: string): Promise<void> {
    await this.#end(runId, 'stop');
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.activeRunIds().map((id) => this.#end(id, 'stop')));
  }

  async #end(runId: string, how: 'pause' | 'stop'): Promise<void> {
    const handle = this.#handles.get(runId);
    if (!handle) throw new ApiError('conflict', `Run "${runId}" is not training right now.`);
    if (how === 'pause') handle.pause();
    else handle.stop();
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref());
    if ((await Promise.race([handle.done, timeout])) === 'timeout') {
      handle.kill();
      throw new ApiError('failed', `Run "${runId}" did not stop within ${STOP_TIMEOUT_MS / 1000} s, so its trainer was ended; it resumes from its last checkpoint.`);
    }
  }

  /**
   * Relays a trainer's events and waits until it has really started (or failed: a bad dataset or option
   * is then the request's error, and the empty run is removed).
   */
  async #attach(runId: string, handle: RunHandle, note: StudioRunNote | null): Promise<void> {
    this.#handles.set(runId, handle);
    let startedResolve!: (value: TrainingEvent | null) => void;
    const started = new Promise<TrainingEvent | null>((resolve) => (startedResolve = resolve));
    // The name is written once the trainer has made the folder, and before start() answers: the summary it
    // returns (and the view's first fetch) must already carry it.
    let noteWritten: Promise<void> = Promise.resolve();
    handle.subscribe((event) => {
      if (event.type === 'started' && note) noteWritten = writeJsonAtomic(join(this.#runDir(runId), 'studio.json'), note).catch(() => {});
      if (event.type === 'started' || event.type === 'failed' || event.type === 'stopped') startedResolve(event);
      const media = event.type === 'sample' ? this.#mediaOrUndefined(event.path) : undefined;
      this.#emit({ type: 'training', jobId: runId, event, ...(media ? { media } : {}) });
    });
    void handle.done.then(() => {
      if (this.#handles.get(runId) === handle) this.#handles.delete(runId);
      startedResolve(null);
      this.#emit({ type: 'changed', jobId: null, what: 'runs' });
    });
    const first = await started;
    if (first?.type === 'failed') {
      const outcome = await handle.done;
      if (outcome.badInput && note) await fs.rm(this.#runDir(runId), { recursive: true, force: true });
      throw new ApiError(outcome.badInput ? 'bad-request' : 'failed', first.message);
    }
    await noteWritten;
    this.#emit({ type: 'changed', jobId: null, what: 'runs' });
  }

  #mediaOrUndefined(path: string): string | undefined {
    try {
      return mediaRef(this.#workspace, path);
    } catch {
      return undefined;
    }
  }

  async #info(runId: string): Promise<RunInfo> {
    const runDir = await this.#readableRunDir(runId);
    try {
      return (await readRun(runDir)).info;
    } catch {
      throw new ApiError('not-found', `There is no run "${runId}" in this workspace.`);
    }
  }

  async #note(runId: string): Promise<StudioRunNote | null> {
    return readJson<StudioRunNote>(join(this.#runDir(runId), 'studio.json')).catch(() => null);
  }

  async #toSummary(runId: string, info: RunInfo, lastSample: string | null): Promise<RunSummary> {
    const active = this.#handles.has(runId);
    // A run.json left 'running' by a trainer that is gone (a crash, a killed studio) can be resumed.
    let status: RunStatus = info.status;
    if (status === 'running' && !active && !isProcessAlive(info.pid)) status = 'stopped';
    const exportsDir = join(this.#runDir(runId), 'exports');
    const exports = (await fs.readdir(exportsDir).catch(() => [] as string[])).filter((n) => n.endsWith('.onnx')).sort();
    return {
      id: runId,
      name: (await this.#note(runId))?.name ?? runId,
      family: info.family,
      label: runLabel(info.family, info.config),
      status,
      active,
      iteration: info.iteration,
      totalIterations: info.totalIterations,
      size: info.train.size,
      backend: info.backend,
      createdAt: info.createdAt,
      updatedAt: info.updatedAt,
      lastError: info.lastError,
      lastSample,
      exports,
      secondsPerIteration: info.elapsedMs && info.iteration > 0 ? info.elapsedMs / 1000 / info.iteration : null,
    };
  }

  async list(): Promise<RunSummary[]> {
    return (await this.listing()).runs;
  }

  /** The runs, and the run folders not read (browser mode: links leading out of the workspace), each with why. */
  async listing(): Promise<RunList> {
    const folder = this.#workspace.paths.runs;
    const folderOut = await this.#access.leadsOutOfWorkspace(folder);
    if (folderOut) return { runs: [], leftOut: [{ name: 'runs/', reason: folderOut }] };
    const leftOut: RunList['leftOut'] = [];
    const runs = await listRuns(folder, async (runDir) => {
      const reason = await this.#access.leadsOutOfWorkspace(runDir);
      if (reason) leftOut.push({ name: basename(runDir), reason });
      return reason === null;
    });
    const summaries: RunSummary[] = [];
    for (const run of runs) {
      const runId = run.runDir.split(/[\\/]/).at(-1)!;
      const samples = (await fs.readdir(join(run.runDir, 'samples')).catch(() => [] as string[])).filter((n) => /^\d+\.png$/.test(n)).sort();
      const last = samples.at(-1);
      summaries.push(await this.#toSummary(runId, run.info, last ? mediaRef(this.#workspace, join(run.runDir, 'samples', last)) : null));
    }
    return { runs: summaries, leftOut: leftOut.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
  }

  async summary(runId: string): Promise<RunSummary> {
    const { summary } = await this.#detailParts(runId);
    return summary;
  }

  async #detailParts(runId: string) {
    const runDir = await this.#readableRunDir(runId);
    let details;
    try {
      details = await readRun(runDir);
    } catch {
      throw new ApiError('not-found', `There is no run "${runId}" in this workspace.`);
    }
    const samples = details.samples.map((s) => ({ iteration: s.iteration, media: mediaRef(this.#workspace, s.path) }));
    const summary = await this.#toSummary(runId, details.info, samples.at(-1)?.media ?? null);
    return { summary, details, samples };
  }

  async get(runId: string): Promise<RunDetail> {
    const { summary, details, samples } = await this.#detailParts(runId);
    const metrics: MetricPoint[] = thinPoints(details.metrics).map((m) => ({ iteration: m.iteration, losses: m.losses, lr: m.lr, elapsedMs: m.elapsedMs }));
    const info = details.info;
    const startedFrom = (info.initGenerators ?? []).map(({ direction, name, file, architecture }) => ({ direction, name, file, architecture }));
    return { ...summary, metrics, samples, sampleRows: info.sampleRows ?? [], datasets: await this.#datasetsOf(runId, info), startedFrom, settings: { ...info.train, config: info.config } };
  }

  async #datasetsOf(runId: string, info: RunInfo): Promise<RunDataset[]> {
    const ids: Record<string, string | undefined> = { ...(await this.#note(runId))?.datasets };
    const roles = info.train.data ? [['data', info.train.data, ids.a]] : [['a', info.train.a!, ids.a], ['b', info.train.b!, ids.b]];
    return roles.map(([role, path, id]) => ({
      role: role!,
      name: this.#datasetName(id),
      path: path!,
      images: info.datasetSizes[role!] ?? 0,
      skipped: info.skippedFiles?.[role!] ?? [],
    }));
  }

  #datasetName(id: string | undefined): string | null {
    if (!id) return null;
    try {
      return this.#datasets.get(id).name;
    } catch {
      return null;
    }
  }

  async delete(runId: string): Promise<void> {
    if (this.#handles.has(runId)) throw new ApiError('conflict', `Run "${runId}" is training: stop it before deleting it.`);
    const info = await this.#info(runId);
    // A trainer started elsewhere (`darkroom train`, another studio) still writes into the folder.
    if (info.status === 'running' && isProcessAlive(info.pid))
      throw new ApiError('conflict', `Run "${runId}" is being trained by another process (pid ${info.pid}): stop that trainer before deleting the run.`);
    await fs.rm(this.#runDir(runId), { recursive: true, force: true });
    this.#emit({ type: 'changed', jobId: null, what: 'runs' });
  }

  async export(runId: string, options: { direction?: Direction; part?: ExportPartName }): Promise<ModelInfo[]> {
    const info = await this.#info(runId);
    if (info.iteration === 0) throw new ApiError('bad-request', `Run "${runId}" has no checkpoint yet: train it for a while first.`);
    const note = await this.#note(runId);
    const name = note?.name ?? runId;
    const files = await exportRunModels(await this.#writableRunDir(runId), info, options);
    // Named by what they do ("Day to night: day → night"), from the datasets' names where the studio knows them.
    const [a, b] = (await this.#datasetsOf(runId, info)).map((d) => d.name ?? d.path.split(/[\\/]/).at(-1) ?? d.role);
    const domains = b === undefined ? null : domainNames(a, b);
    const modelName = (file: (typeof files)[number]) =>
      domains && file.direction ? `${name}: ${file.direction === 'AtoB' ? `${domains[0]} → ${domains[1]}` : `${domains[1]} → ${domains[0]}`}` : `${name} ${file.label}`;
    // Exporting again replaces the run's earlier models of the same part and direction (keeping names given since).
    const earlier = (await this.#models.list()).filter((m) => m.sourceRun === runId);
    const createdAt = new Date().toISOString();
    const models: ModelInfo[] = [];
    for (const file of files) {
      const replaces = earlier.find((m) => m.part === file.part && m.direction === (file.direction ?? null))?.id;
      models.push(await this.#models.import({ path: file.path }, { name: modelName(file), sourceRun: runId, createdAt, ...(replaces ? { replaces } : {}) }));
    }
    this.#emit({ type: 'changed', jobId: null, what: 'models' });
    this.#emit({ type: 'changed', jobId: null, what: 'runs' });
    return models;
  }
}
