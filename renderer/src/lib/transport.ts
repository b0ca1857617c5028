// The one client of the studio API. It picks its transport once: window.darkroom (Electron's preload, IPC)
// when present, else HTTP + WebSocket to `darkroom serve` with the token from the page's URL. The token then
// leaves the address bar and the tab's history and lives in this tab's sessionStorage (kept per origin, so per
// port, and across reloads); media URLs carry only its media key.
import type {
  ApiReply,
  DarkroomBridge,
  MediaRef,
  MethodName,
  RequestOf,
  ResponseOf,
  StudioEvent,
} from '../../../electron/api.js';
import { LAUNCH_QUERY, MEDIA_KEY_QUERY, MEDIA_PROTOCOL, MEDIA_PROTOCOL_HOST, NEW_LAUNCH_ADDRESS, TOKEN_HEADER, TOKEN_META, TOKEN_QUERY, mediaKeyOf } from '../../../electron/transport-constants.js';

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
    mediaUrl: (ref) => `${MEDIA_PROTOCOL}://${MEDIA_PROTOCOL_HOST}/${ref.split('/').map(encodeURIComponent).join('/')}`,
    native: bridge,
  };
}

const TOKEN_STORAGE_KEY = 'darkroom.token';
const NO_TOKEN = `This page has no access token. Open the address that \`darkroom serve\` printed: it works once. ${NEW_LAUNCH_ADDRESS} Or duplicate a studio tab that is open.`;

/**
 * The token the page was served with (a launch address's meta tag), or from the address it was opened with, else
 * the one this tab kept. Either way it leaves the page and the address bar at once and stays in the tab's storage.
 */
function takeToken(): string {
  const meta = document.querySelector<HTMLMetaElement>(`meta[name="${TOKEN_META}"]`);
  const query = new URLSearchParams(location.search);
  const given = meta?.content || query.get(TOKEN_QUERY);
  meta?.remove();
  if (given) sessionStorage.setItem(TOKEN_STORAGE_KEY, given);
  if (query.has(TOKEN_QUERY) || query.has(LAUNCH_QUERY)) {
    query.delete(TOKEN_QUERY);
    query.delete(LAUNCH_QUERY);
    const rest = query.toString();
    history.replaceState(history.state, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
  }
  return sessionStorage.getItem(TOKEN_STORAGE_KEY) ?? '';
}

/** The message of a refused request: the server's JSON error, or its plain text. */
async function refusalMessage(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const reply = JSON.parse(text) as ApiReply<unknown>;
    if (!reply.ok) return reply.error.message;
  } catch {
    // plain text
  }
  return text.trim() || `The studio server refused the request (HTTP ${response.status}).`;
}

function browserTransport(): Transport {
  const token = takeToken();
  const mediaKey = encodeURIComponent(mediaKeyOf(token));
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
    if (!token) return setState('closed');
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
      if (!token) throw new StudioError('unauthorized', NO_TOKEN);
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
      if (response.status === 401 || response.status === 403) throw new StudioError('unauthorized', await refusalMessage(response));
      if (!response.ok) throw new StudioError('bad-request', await refusalMessage(response));
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
      const download = options?.download ? `&download=${encodeURIComponent(options.download)}` : '';
      return `/media/${path}?${MEDIA_KEY_QUERY}=${mediaKey}${download}`;
    },
    native: null,
  };
}
