// Where the studio may read and write on this machine. Electron's window and the CLI take paths from native
// dialogs and the command line, which only the user controls: 'trusted' passes them through. Browser mode
// answers HTTP, which other software on the machine can also reach: there the studio reads only inside the
// workspace and folders the user chose in the studio this session (images and models, regular files only),
// writes only inside the workspace and folders chosen as outputs, and never to a path a request names. The links
// inside a folder are judged alike in both modes, by the one folder listing (models/data/image-listing.ts).
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { isImagePath } from '../../models/data/image-io.js';
import { linkOutReason } from '../../models/data/image-listing.js';
import { isCheckpointPath } from '../../models/import/checkpoint-files.js';
import { noSuchFolder, notAFolder } from '../../models/errors.js';
import { isInside } from '../../models/output-folder.js';
import { writeFailureReason } from '../../models/atomic-fs.js';
import { ApiError, type FolderUse } from '../api.js';

export type AccessMode = 'trusted' | 'browser';
/** What a file must be for browser mode to read it. */
export type ReadableKind = 'image' | 'model';

export interface AccessPolicy {
  readonly mode: AccessMode;
  /** The user chose this folder in the studio: remembered for this session; returns its real path. */
  choose(path: string, use: FolderUse): Promise<string>;
  /**
   * Makes a new folder (the folder browser's "New folder") and returns its real path. It grants nothing: writing
   * there still needs the folder chosen as an output.
   */
  createFolder(path: string): Promise<string>;
  /** The path to read a folder by (browser mode: its real path); refused outside the folders allowed. */
  readableFolder(path: string): Promise<string>;
  /** Refuses a folder to write into (it may not exist yet) outside the folders allowed. */
  writableFolder(path: string): Promise<void>;
  /** Whether a request may name the file a result is saved to (convert.save's path): not in browser mode. */
  readonly savesToNamedPaths: boolean;
  /** Opens a file to read: symlinks resolved, a regular file, inside the folders allowed (checked on what was opened). */
  openFile(path: string, kind: ReadableKind): Promise<FileHandle>;
  /**
   * Why one of the workspace's own folders or files (the runs folder, a run folder) is not to be read: browser mode
   * takes nothing through a link that leads out of the workspace, and says so in the words of every listing's
   * skipped links. Null when it may be read (always, in trusted mode).
   */
  leadsOutOfWorkspace(path: string): Promise<string | null>;
}

const READ_REFUSED = 'is outside the workspace and the folders you chose in this studio session. In browser mode Darkroom reads only from those: choose the folder with Browse… first (or drop the file on the page)';
const WRITE_REFUSED = 'is outside the workspace and the output folders you chose in this studio session. In browser mode Darkroom writes only there: choose the output folder with Browse… first';

async function realFolder(path: string): Promise<string> {
  const real = await fs.realpath(resolve(path)).catch(() => {
    throw new ApiError('not-found', noSuchFolder(path));
  });
  if (!(await fs.stat(real)).isDirectory()) throw new ApiError('bad-request', notAFolder(path));
  return real;
}

/**
 * Makes one new folder inside an existing one, by the parent's real path (a link as the parent leads where it
 * really is; mkdir never follows a link at the new name). A folder already there is taken as it is.
 */
async function makeFolder(path: string): Promise<string> {
  const target = resolve(path);
  const name = basename(target);
  if (target === dirname(target) || name === '') throw new ApiError('bad-request', `${path} is a whole drive, not a new folder: give a folder name inside it`);
  const parent = await fs.realpath(dirname(target)).catch(() => {
    throw new ApiError('not-found', `${dirname(target)} does not exist: make new folders one at a time, inside a folder that exists`);
  });
  if (!(await fs.stat(parent)).isDirectory()) throw new ApiError('bad-request', `${dirname(target)} is a file, not a folder: a new folder goes inside a folder`);
  const created = join(parent, name);
  try {
    await fs.mkdir(created);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await fs.lstat(created)).isDirectory()) return created;
    if (code === 'EEXIST') throw new ApiError('conflict', `${path} already exists and is not a folder: choose another name`);
    const reason = code === 'ENOENT' ? `${dirname(target)} does not take new folders (a system folder?); choose a folder of your own` : (writeFailureReason(error) ?? (error as Error).message);
    throw new ApiError('bad-request', `Cannot make the folder ${path}: ${reason}`);
  }
  return created;
}

/** The real path of a place that may not exist yet: its nearest existing ancestor resolved, the rest appended. */
async function realPlace(path: string): Promise<string> {
  let existing = resolve(path);
  const missing: string[] = [];
  for (;;) {
    try {
      return join(await fs.realpath(existing), ...missing);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = dirname(existing);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === existing) throw error;
      missing.unshift(basename(existing));
      existing = parent;
    }
  }
}

/** The real path of what a handle has open: /proc says so on Linux; elsewhere the path must still name the same file. */
async function openedPath(handle: FileHandle, real: string): Promise<string> {
  const viaProc = await fs.readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
  if (viaProc) return viaProc;
  const [opened, now] = await Promise.all([handle.stat(), fs.stat(real)]);
  if (opened.dev !== now.dev || opened.ino !== now.ino) throw new ApiError('conflict', `${real} changed while it was being opened; try again`);
  return real;
}

/** A model is an ONNX file or a checkpoint to import (models/import); judged by the real path's name. */
const kindMatches = (kind: ReadableKind, name: string) => (kind === 'image' ? isImagePath(name) : extname(name).toLowerCase() === '.onnx' || isCheckpointPath(name));

async function openRegularFile(path: string, kind: ReadableKind, allowed: ((real: string) => boolean) | null): Promise<FileHandle> {
  const cannotRead = () => new ApiError('bad-request', `${path} cannot be read; check that the file exists`);
  const real = await fs.realpath(resolve(path)).catch(() => {
    throw cannotRead();
  });
  const outside = () => new ApiError('bad-request', `${path} ${READ_REFUSED}`);
  const wrongKind = () => new ApiError('bad-request', `${path} is not ${kind === 'image' ? 'an image' : 'a model (.onnx) or checkpoint (.pth, .pt, .safetensors)'} file (it leads to ${basename(real)})`);
  if (allowed && !allowed(real)) throw outside();
  if (allowed && !kindMatches(kind, real)) throw wrongKind();
  // O_NOFOLLOW: a link swapped in after realpath fails to open; O_NONBLOCK: a FIFO cannot hang the open.
  const flags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
  const handle = await fs.open(real, flags).catch(() => {
    throw cannotRead();
  });
  try {
    if (!(await handle.stat()).isFile()) throw new ApiError('bad-request', `${path} is not a regular file`);
    if (allowed) {
      const opened = await openedPath(handle, real);
      if (!allowed(opened)) throw outside();
      if (!kindMatches(kind, opened)) throw wrongKind();
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The whole of a file the policy opens (for files small enough to hold, such as models). */
export async function readOpenedFile(policy: AccessPolicy, path: string, kind: ReadableKind): Promise<Buffer> {
  const handle = await policy.openFile(path, kind);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Electron and the CLI: every path is the user's own choice. */
export function trustedAccess(): AccessPolicy {
  return {
    mode: 'trusted',
    choose: (path) => realFolder(path),
    createFolder: makeFolder,
    readableFolder: async (path) => path,
    writableFolder: async () => {},
    savesToNamedPaths: true,
    openFile: (path, kind) => openRegularFile(path, kind, null),
    leadsOutOfWorkspace: async () => null,
  };
}

/** Browser mode: the workspace, and folders chosen in the studio this session. */
export function browserAccess(workspaceRoot: string): AccessPolicy {
  const readable = new Set<string>();
  const writable = new Set<string>();
  let workspace: string | null = null;
  const realWorkspace = async () => (workspace ??= await fs.realpath(workspaceRoot));
  const within = (folders: Set<string>, real: string) => (workspace !== null && isInside(real, workspace)) || [...folders].some((folder) => isInside(real, folder));

  return {
    mode: 'browser',
    async choose(path, use) {
      await realWorkspace();
      const real = await realFolder(path);
      readable.add(real);
      if (use === 'output') writable.add(real);
      return real;
    },
    // Any folder the browser shows may be chosen as an output, so making an empty one inside it reaches no
    // further; and the new folder is writable only once chosen, like any other.
    createFolder: makeFolder,
    async readableFolder(path) {
      await realWorkspace();
      const real = await realFolder(path);
      if (!within(readable, real)) throw new ApiError('bad-request', `${path} ${READ_REFUSED}`);
      return real;
    },
    async writableFolder(path) {
      await realWorkspace();
      if (!within(writable, await realPlace(path))) throw new ApiError('bad-request', `${path} ${WRITE_REFUSED}`);
    },
    savesToNamedPaths: false,
    async openFile(path, kind) {
      await realWorkspace();
      return openRegularFile(path, kind, (real) => within(readable, real));
    },
    async leadsOutOfWorkspace(path) {
      const root = await realWorkspace();
      const real = await fs.realpath(resolve(path)).catch(() => null);
      if (real === null || isInside(real, root)) return null;
      return linkOutReason(real, root, 'move it into the workspace to open it in browser mode (the command line and the desktop window open it where it is)');
    },
  };
}

export function accessPolicy(mode: AccessMode, workspaceRoot: string): AccessPolicy {
  return mode === 'browser' ? browserAccess(workspaceRoot) : trustedAccess();
}
