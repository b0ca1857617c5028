// The studio: one object implementing the whole StudioApi (api.ts) over the services — workspace, datasets,
// models, training, convert, batch. Electron's IPC (main.ts) and browser mode (server.ts) both hand it
// validated requests and relay its events; neither implements anything itself.
import { EventEmitter } from 'node:events';
import { homedir } from 'node:os';
import { basename } from 'node:path';
import { FAMILIES, FAMILY_OPTIONS } from '../../models/families/index.js';
import { FAMILY_IDS } from '../../models/families/family.js';
import { writeSceneDataset } from '../../models/data/scenes.js';
import {
  ApiError,
  type AppInfo,
  type FolderListing,
  type StudioEvent,
  type StudioHandlers,
} from '../api.js';
import { DatasetStore } from './datasets.js';
import { ModelStore } from './models.js';
import { RunManager } from './studio-runs.js';
import { ConvertJobs } from './studio-convert.js';
import { DARKROOM_VERSION } from './export.js';
import { releaseIdleModels } from '../../models/onnx/runtime.js';
import { listFolder, picturesFolder } from './studio-files.js';
import { inStudioWords } from '../remedy-words.js';
import { devicesElsewhereNote, platformDeviceChoices } from '../../models/onnx/devices.js';
import { accessPolicy, readOpenedFile, type AccessMode } from './access-policy.js';
import { openWorkspace, resolveMedia, saveWorkspaceInfo, type Workspace } from './workspace.js';

export interface StudioBackend {
  readonly handlers: StudioHandlers;
  readonly workspace: Workspace;
  /** 'browser' limits reads and writes to the workspace and folders chosen in the studio (access-policy.ts). */
  readonly access: AccessMode;
  /** Every event of every job; returns the unsubscribe function. */
  subscribe(listener: (event: StudioEvent) => void): () => void;
  /** The file behind a MediaRef; ApiError('not-found') outside the workspace. */
  resolveMedia(ref: string): Promise<string>;
  /** Runs with a trainer process attached (the window asks before closing while any). */
  activeTrainingRuns(): string[];
  /** Stops every job (training checkpoints first) and releases resources. */
  close(): Promise<void>;
}

export interface StudioOptions {
  workspaceDir: string;
  /** The sample project's size: images per folder and their side. Tests make it small. */
  sample?: { count: number; size: number } | false;
  /** Who sends the paths: 'trusted' (Electron's dialogs, the CLI; the default) or 'browser' (`darkroom serve`). */
  access?: AccessMode;
}

const DEFAULT_SAMPLE = { count: 32, size: 64 };

/**
 * The built UI (vite build → dist/renderer), for Electron's app:// pages and `darkroom serve`, under the project
 * root that paths.ts finds by walking up to Darkroom's package.json (the same from the sources and the bundle).
 */
export { RENDERER_DIR } from './paths.js';

/** The procedural day/night scenes, registered as two datasets, on a workspace's first start. */
async function createSampleProject(workspace: Workspace, datasets: DatasetStore, sample: { count: number; size: number }): Promise<void> {
  await writeSceneDataset(workspace.paths.sample, { count: sample.count, size: sample.size, split: 'unpaired' });
  const day = await datasets.add(`${workspace.paths.sample}/day`, 'Sample: day scenes');
  const night = await datasets.add(`${workspace.paths.sample}/night`, 'Sample: night scenes');
  await saveWorkspaceInfo(workspace, { sample: { dayDatasetId: day.id, nightDatasetId: night.id } });
}

export async function createStudio(options: StudioOptions): Promise<StudioBackend> {
  const workspace = await openWorkspace(options.workspaceDir);
  const access = accessPolicy(options.access ?? 'trusted', workspace.paths.root);
  const datasets = await DatasetStore.open(workspace);
  const models = new ModelStore(workspace, (path) => access.leadsOutOfWorkspace(path));
  const events = new EventEmitter();
  events.setMaxListeners(0);
  // Every event leaves in the studio's words: a trainer's warning or failure names its fields, not flags.
  const emit = (event: StudioEvent) => events.emit('event', inStudioWords(event));
  if (workspace.firstStart && options.sample !== false) await createSampleProject(workspace, datasets, options.sample ?? DEFAULT_SAMPLE);

  const runs = new RunManager(workspace, datasets, models, emit, DARKROOM_VERSION, access);
  const convert = new ConvertJobs(workspace, models, emit, undefined, access);
  const pictures = await picturesFolder();

  const info = (): AppInfo => ({
    version: DARKROOM_VERSION,
    workspace: workspace.paths.root,
    families: FAMILY_IDS.map((id) => ({
      id,
      title: FAMILIES[id].title,
      summary: FAMILIES[id].summary,
      datasets: FAMILIES[id].datasets,
      options: FAMILY_OPTIONS[id].map((o) => ({ ...o })),
    })),
    firstStart: workspace.firstStart,
    sample: workspace.info.sample && datasets.list().some((d) => d.id === workspace.info.sample!.dayDatasetId) ? workspace.info.sample : null,
    home: homedir(),
    pictures,
    devices: { choices: platformDeviceChoices(process.platform), elsewhere: devicesElsewhereNote(process.platform) },
  });

  const handlers: StudioHandlers = {
    'app.info': async () => info(),
    'devices.list': async () => {
      const [{ listTrainingBackends }, { listInferenceDevices }] = await Promise.all([import('../../models/backend/devices.js'), import('../../models/onnx/runtime.js')]);
      const [training, inference] = await Promise.all([listTrainingBackends(), listInferenceDevices()]);
      return { training, inference };
    },
    'fs.list': async ({ path, hidden }): Promise<FolderListing> => listFolder(path ?? homedir(), { hidden }),
    'fs.choose': async ({ path, use }) => ({ path: await access.choose(path, use) }),
    'fs.createFolder': async ({ path }) => listFolder(await access.createFolder(path)),
    'datasets.list': async () => datasets.list(),
    'datasets.add': async ({ path, name }) => {
      const report = await datasets.add(await access.readableFolder(path), name);
      emit({ type: 'changed', jobId: null, what: 'datasets' });
      return report;
    },
    'datasets.get': async ({ id }) => datasets.get(id),
    'datasets.remove': async ({ id }) => {
      await datasets.remove(id);
      emit({ type: 'changed', jobId: null, what: 'datasets' });
      return {};
    },
    'training.start': async (request) => runs.start(request),
    'training.pause': async ({ runId }) => {
      await runs.pause(runId);
      return {};
    },
    'training.resume': async ({ runId, iterations }) => runs.resume(runId, iterations),
    'training.stop': async ({ runId }) => {
      await runs.stop(runId);
      return {};
    },
    'runs.list': async () => runs.listing(),
    'runs.get': async ({ runId }) => runs.get(runId),
    'runs.delete': async ({ runId }) => {
      await runs.delete(runId);
      return {};
    },
    'runs.export': async ({ runId, direction, part }) => runs.export(runId, { direction, part }),
    'models.list': async () => models.list(),
    'models.import': async ({ path, name, base64, range }) => {
      // Browser mode imports what the access policy opened, never the path again (a link swapped in cannot leak).
      const model = path && access.mode === 'browser'
        ? await models.import({ bytes: await readOpenedFile(access, path, 'model'), name: basename(path) }, { ...(name ? { name } : {}), range })
        : path
        ? await models.import({ path }, { ...(name ? { name } : {}), range })
        : await models.import({ bytes: Buffer.from(base64!, 'base64'), name: name ?? 'model.onnx' }, { range });
      emit({ type: 'changed', jobId: null, what: 'models' });
      return model;
    },
    'models.delete': async ({ id }) => {
      await models.delete(id);
      emit({ type: 'changed', jobId: null, what: 'models' });
      return {};
    },
    'models.generate': async ({ id, count, seed }) => ({ images: await models.generate(id, count, seed ?? 1) }),
    'models.rename': async ({ id, name }) => {
      const model = await models.rename(id, name);
      emit({ type: 'changed', jobId: null, what: 'models' });
      return model;
    },
    'models.interpolate': async ({ id, steps, seed }) => ({ images: await models.interpolate(id, steps, seed ?? 1) }),
    'convert.image': async ({ modelId, image, device, jobId }) => convert.convertImage(modelId, image, device, jobId),
    'convert.cancel': async ({ jobId }) => {
      convert.cancelConversion(jobId);
      return {};
    },
    'convert.save': async (request) => convert.save(request),
    'batch.start': async (request) => convert.startBatch(request),
    'batch.preview': async ({ jobId, path }) => convert.batchPreview(jobId, path),
    'batch.cancel': async ({ jobId }) => {
      convert.cancelBatch(jobId);
      return {};
    },
  };

  return {
    handlers,
    workspace,
    access: access.mode,
    subscribe(listener) {
      events.on('event', listener);
      return () => events.off('event', listener);
    },
    resolveMedia: (ref) => resolveMedia(workspace, ref),
    activeTrainingRuns: () => runs.activeRunIds(),
    async close() {
      convert.cancelAll();
      await runs.stopAll();
      await releaseIdleModels();
      events.removeAllListeners();
    },
  };
}

export { ApiError };
