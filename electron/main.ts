// Electron's main process: one window over the studio object (services/studio.ts). With preload.ts, the only
// file that imports Electron. The page is sandboxed (contextIsolation, sandbox, no Node), served from app://
// with a strict CSP; IPC is accepted only from our own page and every request is validated (api.ts dispatch);
// navigation and new windows are refused. Closing while training asks, then stops with a checkpoint.
import { app, BrowserWindow, dialog, ipcMain, nativeImage, protocol, session, shell, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { promises as fs } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC, MEDIA_PROTOCOL, dispatch, toErrorBody, type ApiReply, type StudioEvent } from './api.js';
import { createStudio, RENDERER_DIR, type StudioBackend } from './services/studio.js';
import { defaultWorkspaceDir } from './services/workspace.js';
import { folderToOpen } from './services/studio-files.js';
import { electronMediaRef, mediaHeaders } from './services/media-policy.js';
import { pageContentType, pageCsp } from './services/page-policy.js';
import { IMAGE_EXTENSIONS } from '../models/data/image-io/formats.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** The bundled preload, beside this file once built (dist/electron/). */
const PRELOAD = join(HERE, 'preload.cjs');
const APP_ORIGIN = 'app://darkroom';

const CSP = pageCsp({ images: [`${MEDIA_PROTOCOL}:`] });

protocol.registerSchemesAsPrivileged([
  { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: MEDIA_PROTOCOL, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function fileResponse(file: string, headers: Record<string, string> = {}): Promise<Response> {
  const body = await fs.readFile(file).catch(() => null);
  if (!body) return new Response('not found', { status: 404 });
  return new Response(body, { headers: { 'Content-Type': pageContentType(file), ...headers } });
}

function serveProtocols(studio: StudioBackend): void {
  protocol.handle('app', async (request) => {
    const url = new URL(request.url);
    const relative = decodeURIComponent(url.pathname).replace(/^\/+/, '') || 'index.html';
    const file = resolve(RENDERER_DIR, relative);
    if (url.host !== 'darkroom' || !file.startsWith(RENDERER_DIR + sep)) return new Response('not found', { status: 404 });
    return fileResponse(file, { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' });
  });
  // Workspace files answer as in browser mode (media-policy.ts): images inline, anything else as a download.
  protocol.handle(MEDIA_PROTOCOL, async (request) => {
    const url = new URL(request.url);
    const ref = electronMediaRef(url);
    if (ref === null) return new Response('not found', { status: 404 });
    try {
      const file = await studio.resolveMedia(ref);
      return await fileResponse(file, mediaHeaders(file, url.searchParams.get('download')));
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}

/** IPC is answered only for our own page in our own windows (not for a navigated-away or foreign frame). */
function fromOwnPage(event: { sender: WebContents; senderFrame: { url: string } | null }): boolean {
  const window = BrowserWindow.fromWebContents(event.sender);
  return !!window && !!event.senderFrame && event.senderFrame.url.startsWith(`${APP_ORIGIN}/`);
}

function registerIpc(studio: StudioBackend): void {
  ipcMain.handle(IPC.invoke, async (event: IpcMainInvokeEvent, method: unknown, request: unknown): Promise<ApiReply<unknown>> => {
    if (!fromOwnPage(event)) return { ok: false, error: { code: 'unauthorized', message: 'IPC from an unknown page was refused' } };
    try {
      return { ok: true, result: await dispatch(studio.handlers, method, request) };
    } catch (error) {
      return { ok: false, error: toErrorBody(error) };
    }
  });
  const window = (event: IpcMainInvokeEvent) => BrowserWindow.fromWebContents(event.sender)!;
  ipcMain.handle(IPC.pickFolder, async (event, title: unknown) => {
    if (!fromOwnPage(event)) return null;
    const result = await dialog.showOpenDialog(window(event), { title: typeof title === 'string' ? title.slice(0, 200) : 'Choose a folder', properties: ['openDirectory', 'createDirectory'] });
    return result.canceled ? null : (result.filePaths[0] ?? null);
  });
  ipcMain.handle(IPC.pickFile, async (event, kind: unknown) => {
    if (!fromOwnPage(event) || (kind !== 'image' && kind !== 'onnx')) return null;
    const filters =
      kind === 'image'
        ? [{ name: 'Images', extensions: [...IMAGE_EXTENSIONS] }]
        : [{ name: 'Models (ONNX, PyTorch checkpoints, safetensors)', extensions: ['onnx', 'pth', 'pt', 'safetensors'] }];
    const result = await dialog.showOpenDialog(window(event), { properties: ['openFile'], filters });
    return result.canceled ? null : (result.filePaths[0] ?? null);
  });
  ipcMain.handle(IPC.saveFile, async (event, defaultName: unknown) => {
    if (!fromOwnPage(event) || typeof defaultName !== 'string') return null;
    const result = await dialog.showSaveDialog(window(event), { defaultPath: defaultName.replace(/[\\/]/g, '_').slice(0, 255) });
    return result.canceled ? null : (result.filePath ?? null);
  });
  ipcMain.handle(IPC.openFolder, async (event, path: unknown): Promise<ApiReply<null>> => {
    if (!fromOwnPage(event)) return { ok: false, error: { code: 'unauthorized', message: 'IPC from an unknown page was refused' } };
    try {
      const problem = await shell.openPath(await folderToOpen(path));
      return problem ? { ok: false, error: { code: 'failed', message: `The file manager could not open the folder: ${problem}` } } : { ok: true, result: null };
    } catch (error) {
      return { ok: false, error: toErrorBody(error) };
    }
  });
  ipcMain.on(IPC.startDrag, (event, media: unknown) => {
    if (!fromOwnPage(event) || typeof media !== 'string') return;
    void studio.resolveMedia(media).then(
      (file) => {
        const icon = nativeImage.createFromPath(file).resize({ width: 96 });
        event.sender.startDrag({ file, icon: icon.isEmpty() ? nativeImage.createEmpty() : icon });
      },
      () => undefined,
    );
  });
}

/** No navigation away from the app, no new windows; links to the web open in the user's browser. */
function lockDown(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
}

function createWindow(studio: StudioBackend): BrowserWindow {
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'Darkroom',
    show: false,
    backgroundColor: '#12151c',
    webPreferences: { preload: PRELOAD, contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, spellcheck: false },
  });
  window.once('ready-to-show', () => window.show());
  const relay = (event: StudioEvent) => {
    if (!window.isDestroyed()) window.webContents.send(IPC.event, event);
  };
  const unsubscribe = studio.subscribe(relay);
  window.on('closed', unsubscribe);

  // Closing while training: ask; on yes, stop every run with a checkpoint, then close.
  let closingConfirmed = false;
  window.on('close', (event) => {
    const training = studio.activeTrainingRuns();
    if (closingConfirmed || training.length === 0) return;
    event.preventDefault();
    const answer = dialog.showMessageBoxSync(window, {
      type: 'question',
      buttons: ['Stop training and quit', 'Keep training'],
      defaultId: 1,
      cancelId: 1,
      title: 'Training is running',
      message: `${training.length === 1 ? 'A run is' : `${training.length} runs are`} still training.`,
      detail: 'Darkroom saves a checkpoint before stopping; you can resume later from Runs.',
    });
    if (answer !== 0) return;
    closingConfirmed = true;
    void studio.close().finally(() => window.close());
  });
  void window.loadURL(`${APP_ORIGIN}/index.html`);
  return window;
}

async function main(): Promise<void> {
  await app.whenReady();
  lockDown();
  const studio = await createStudio({ workspaceDir: argValue('--workspace') ?? defaultWorkspaceDir() });
  serveProtocols(studio);
  registerIpc(studio);
  createWindow(studio);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(studio);
  });
  app.on('window-all-closed', () => {
    void studio.close().finally(() => app.quit());
  });
}

main().catch((error: unknown) => {
  dialog.showErrorBox('Darkroom could not start', (error as Error).message);
  app.exit(1);
});
