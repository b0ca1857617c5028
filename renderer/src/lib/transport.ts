// The one client of the studio API. It picks its transport once: window.darkroom (Electron's preload, IPC)
// when present, else HTTP + WebSocket to `darkroom serve` with the token from the page's URL.
import type {
  ApiReply,
  DarkroomBridge,
  MediaRef,
  MethodName,
  RequestOf,
  ResponseOf,
  StudioEvent,
} from '../../../electron/api.js';
import { MEDIA_PROTOCOL, TOKEN_HEADER, TOKEN_QUERY } from '../../../electron/api.js';

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface Transport {
  readonly kind: 'electron' | 'browser';
  invoke<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>>;
  onEvent(listener: (event: StudioEvent) => void): () => void;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /** A URL the page can load (img src, download link) for a workspace file. */
  mediaUrl(ref: MediaRef, options?: { download?: string }): string;
  /** Native dialogs and drag-out, in Electron only. */
  readonly native: DarkroomBridge | null;
}

declare global {
  interface Window {
    darkroom?: DarkroomBridge;
  }
}

/** An error the back end reported, message unchanged. */
export class StudioError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StudioError';
  }
}

export function createTransport(): Transport {
  return window.darkroom ? electronTransport(window.darkroom) : browserTransport();
}

function electronTransport(bridge: DarkroomBridge): Transport {
  return {
    kind: 'electron',
    invoke: (method, request) => bridge.invoke(method, request),
    onEvent: (listener) => bridge.onEvent(listener),
    onConnection: (listener) => {
      listener('open');
      return () => {};
    },
    mediaUrl: (ref) => `${MEDIA_PROTOCOL}://workspace/${ref.split('/').map(encodeURIComponent).join('/')}`,
    native: bridge,
  };
}

function browserTransport(): Transport {
  const token = new URLSearchParams(location.search).get(TOKEN_QUERY) ?? '';
  const eventListeners = new Set<(event: StudioEvent) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'connecting';
  let retryMs = 500;

  const setState = (next: ConnectionState) => {
    state = next;
    for (const listener of connectionListeners) listener(next);
  };

  // One WebSocket for all events; reconnects with backoff if the server restarts.
  const connect = () => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/events?${TOKEN_QUERY}=${encodeURIComponent(token)}`);
    setState('connecting');
    socket.onopen = () => {
      retryMs = 500;
      setState('open');
    };
    socket.onmessage = (message) => {
      let event: StudioEvent;
      try {
        event = JSON.parse(String(message.data)) as StudioEvent;
      } catch {
        return;
      }
      for (const listener of eventListeners) listener(event);
    };
    socket.onclose = () => {
      setState('closed');
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 8000);
    };
  };
  connect();

  return {
    kind: 'browser',
    async invoke(method, request) {
      let response: Response;
      try {
        response = await fetch(`/api/${method}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', [TOKEN_HEADER]: token },
          body: JSON.stringify(request ?? {}),
        });
      } catch {
        throw new StudioError('failed', 'The studio server does not answer. Is `darkroom serve` still running?');
      }
      if (response.status === 401 || response.status === 403) throw new StudioError('unauthorized', await response.text());
      const reply = (await response.json()) as ApiReply<ResponseOf<typeof method>>;
      if (!reply.ok) throw new StudioError(reply.error.code, reply.error.message);
      return reply.result;
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(state);
      return () => connectionListeners.delete(listener);
    },
    mediaUrl(ref, options) {
      const path = ref.split('/').map(encodeURIComponent).join('/');
      const query = options?.download ? `?download=${encodeURIComponent(options.download)}` : '';
      return `/media/${path}${query}`;
    },
    native: null,
  };
}
