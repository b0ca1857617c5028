// The studio's workspace: one folder holding runs/, models/, datasets.json, caches and the sample project.
// Chosen by --workspace DIR, then DARKROOM_WORKSPACE, then the platform's app-data folder.
// MediaRefs (api.ts) are paths relative to this folder; resolveMedia is the only way back to a file.
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { writeJsonAtomic, readJson, exists } from '../../models/atomic-fs.js';
import { ApiError, type MediaRef } from '../api.js';

export interface WorkspacePaths {
  root: string;
  runs: string;
  models: string;
  datasetsJson: string;
  workspaceJson: string;
  cache: string;
  thumbnails: string;
  convert: string;
  generated: string;
  sample: string;
}

export interface WorkspaceFile {
  format: 'darkroom-workspace';
  version: 1;
  createdAt: string;
  /** Dataset ids of the sample project, once registered. */
  sample: { dayDatasetId: string; nightDatasetId: string } | null;
}

export interface Workspace {
  paths: WorkspacePaths;
  /** True when this open created the workspace. */
  firstStart: boolean;
  info: WorkspaceFile;
}

/** Where the studio keeps its files when neither --workspace nor DARKROOM_WORKSPACE says. */
export function defaultWorkspaceDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (env.DARKROOM_WORKSPACE) return resolve(env.DARKROOM_WORKSPACE);
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Darkroom');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Darkroom');
  return join(env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'darkroom');
}

function workspacePaths(root: string): WorkspacePaths {
  const r = resolve(root);
  return {
    root: r,
    runs: join(r, 'runs'),
    models: join(r, 'models'),
    datasetsJson: join(r, 'datasets.json'),
    workspaceJson: join(r, 'workspace.json'),
    cache: join(r, 'cache'),
    thumbnails: join(r, 'cache', 'thumbnails'),
    convert: join(r, 'cache', 'convert'),
    generated: join(r, 'cache', 'generated'),
    sample: join(r, 'sample'),
  };
}

/** Opens (creating when needed) a workspace folder. A folder that holds other things is fine; a file is not. */
export async function openWorkspace(root: string): Promise<Workspace> {
  const paths = workspacePaths(root);
  const stat = await fs.stat(paths.root).catch(() => null);
  if (stat && !stat.isDirectory()) throw new ApiError('bad-request', `workspace ${paths.root} is a file; choose a folder with --workspace`);
  await fs.mkdir(paths.root, { recursive: true });
  await refuseLinkedCache(paths);
  // Converted photos are kept for one session (to save them after viewing): whatever a previous one left goes.
  await fs.rm(paths.convert, { recursive: true, force: true });
  for (const dir of [paths.runs, paths.models, paths.thumbnails, paths.convert, paths.generated]) await fs.mkdir(dir, { recursive: true });
  const firstStart = !(await exists(paths.workspaceJson));
  let info: WorkspaceFile;
  if (firstStart) {
    info = { format: 'darkroom-workspace', version: 1, createdAt: new Date().toISOString(), sample: null };
    await writeJsonAtomic(paths.workspaceJson, info);
  } else {
    try {
      info = await readJson<WorkspaceFile>(paths.workspaceJson);
    } catch (error) {
      throw new ApiError('failed', `${paths.workspaceJson} cannot be read (${(error as Error).message}); fix or delete it`);
    }
  }
  return { paths, firstStart, info };
}

/**
 * The cache is Darkroom's own: it is emptied and served from. A cache folder that is a link would have both happen
 * where the link leads (emptying another folder), so it is refused before anything is touched.
 */
async function refuseLinkedCache(paths: WorkspacePaths): Promise<void> {
  for (const dir of [paths.cache, paths.thumbnails, paths.convert, paths.generated]) {
    const stat = await fs.lstat(dir).catch(() => null);
    if (stat?.isSymbolicLink())
      throw new ApiError(
        'bad-request',
        `${dir} is a link (to ${await fs.readlink(dir).catch(() => 'somewhere else')}); Darkroom keeps its cache inside the workspace and empties it, so it does not follow links there: remove the link (the folder it leads to is left alone)`,
      );
  }
}

export async function saveWorkspaceInfo(workspace: Workspace, patch: Partial<WorkspaceFile>): Promise<void> {
  workspace.info = { ...workspace.info, ...patch };
  await writeJsonAtomic(workspace.paths.workspaceJson, workspace.info);
}

/** The MediaRef of a file inside the workspace (forward slashes on every platform). */
export function mediaRef(workspace: Workspace, file: string): MediaRef {
  const rel = relative(workspace.paths.root, resolve(file));
  if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`${file} is outside the workspace ${workspace.paths.root}`);
  return rel.split(sep).join('/');
}

/** The file a MediaRef names; refuses anything outside the workspace, hidden files and missing files. */
export async function resolveMedia(workspace: Workspace, ref: string): Promise<string> {
  const parts = ref.split('/');
  if (!ref || ref.includes('\0') || ref.includes('\\') || parts.some((p) => p === '' || p === '.' || p === '..' || p.startsWith('.')))
    throw new ApiError('not-found', `no such file in the workspace: ${ref}`);
  const file = join(workspace.paths.root, ...parts);
  // Follow symlinks, then check again that we are still inside.
  const real = await fs.realpath(file).catch(() => null);
  const realRoot = await fs.realpath(workspace.paths.root);
  if (!real || (real !== realRoot && !real.startsWith(realRoot + sep))) throw new ApiError('not-found', `no such file in the workspace: ${ref}`);
  const stat = await fs.stat(real);
  if (!stat.isFile()) throw new ApiError('not-found', `no such file in the workspace: ${ref}`);
  return real;
}

/** A short, unique, filesystem-safe id from a name: "Day → Night" → "day-night-3f2a". */
export function slugId(name: string, taken: (id: string) => boolean): string {
  const base =
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'item';
  if (!taken(base)) return base;
  for (let n = 2; ; n++) if (!taken(`${base}-${n}`)) return `${base}-${n}`;
}

/**
 * Picks an id from a name (as slugId) and claims it with `claim` before anyone else can, so two requests at once
 * never get the same id: `claim` must fail atomically when the id is already in use (claimFolder, claimFile) and
 * resolve false then; the next candidate is tried. `taken` rules out ids known to be in use without touching disk.
 */
export async function reserveId(name: string, claim: (id: string) => Promise<boolean>, taken: (id: string) => boolean = () => false): Promise<string> {
  const refused = new Set<string>();
  for (;;) {
    const id = slugId(name, (candidate) => refused.has(candidate) || taken(candidate));
    if (await claim(id)) return id;
    refused.add(id);
  }
}

/** Creates a folder that must not exist yet (its parent must); false when it already does. */
export async function claimFolder(path: string): Promise<boolean> {
  try {
    await fs.mkdir(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Creates an empty file that must not exist yet; false when it already does. */
export async function claimFile(path: string): Promise<boolean> {
  try {
    await (await fs.open(path, 'wx')).close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}
