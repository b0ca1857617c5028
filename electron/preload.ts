// The preload: exposes window.darkroom (the DarkroomBridge of api.ts) and nothing else. Runs sandboxed with
// context isolation; it forwards calls over IPC and unwraps replies, so service errors reach the page with
// their message unchanged. Bundled to CommonJS (sandboxed preloads cannot be modules).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiReply, DarkroomBridge, StudioEvent } from './api.js';
import { IPC } from './transport-constants.js';

class BridgeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StudioError';
  }
}

const bridge: DarkroomBridge = {
  async invoke(method, request) {
    const reply = (await ipcRenderer.invoke(IPC.invoke, method, request)) as ApiReply<never>;
    if (!reply.ok) throw new BridgeError(reply.error.code, reply.error.message);
    return reply.result;
  },
  onEvent(listener) {
    const handler = (_event: IpcRendererEvent, payload: StudioEvent) => listener(payload);
    ipcRenderer.on(IPC.event, handler);
    return () => ipcRenderer.off(IPC.event, handler);
  },
  pickFolder: (title) => ipcRenderer.invoke(IPC.pickFolder, title ?? null) as Promise<string | null>,
  pickFile: (kind) => ipcRenderer.invoke(IPC.pickFile, kind) as Promise<string | null>,
  saveFile: (defaultName) => ipcRenderer.invoke(IPC.saveFile, defaultName) as Promise<string | null>,
  startDrag: (media) => ipcRenderer.send(IPC.startDrag, media),
  async openFolder(path) {
    const reply = (await ipcRenderer.invoke(IPC.openFolder, path)) as ApiReply<null>;
    if (!reply.ok) throw new BridgeError(reply.error.code, reply.error.message);
  },
};

contextBridge.exposeInMainWorld('darkroom', bridge);
