// Browser mode: the studio's API over HTTP + WebSocket on 127.0.0.1, for `darkroom serve`.
// Same handlers as Electron's IPC (api.ts dispatch), nothing implemented twice; the studio behind it is made
// with the browser access policy (services/access-policy.ts). Foreign Host and Origin headers are refused
// everywhere (DNS rebinding, CSRF). The per-launch token stays with the studio's page: API calls carry it in a
// header, the event socket in its address; no cookie, since browsers send cookies to every port of a host.
// Media URLs carry only the token's media key, and are answered to the studio's own page alone (fetch
// metadata), so they are useless to any other page. The UI's own files are public and need no token.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, promises as fs } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { extname, join, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  ApiError,
  MEDIA_KEY_QUERY,
  TOKEN_HEADER,
  TOKEN_QUERY,
  dispatch,
  mediaKeyOf,
  toErrorBody,
  type ApiReply,
  type StudioEvent,
} from './api.js';
import type { StudioBackend } from './services/studio.js';
import { decodePath, mediaHeaders, mediaRequestAllowed } from './services/media-policy.js';
import { pageContentType, pageCsp } from './services/page-policy.js';
import { BodyRefused, createBodyReader } from './server-body.js';
import { LAUNCH_QUERY, NEW_LAUNCH_ADDRESS, TOKEN_META } from './transport-constants.js';

export interface ServeOptions {
  studio: StudioBackend;
  /** The built renderer (index.html and assets); null serves a page saying how to build it. */
  staticDir: string | null;
  /** 0 or absent: a free port. */
  port?: number;
  /** For tests; by default a fresh random token per launch ("<media key>.<secret>"). */
  token?: string;
  /** For tests; by default DEFAULT_BODY_IDLE_MS: a request body with no bytes for this long is dropped. */
  bodyIdleMs?: number;
}

export interface RunningServer {
  port: number;
  token: string;
  /** The address without the token. */
  origin: string;
  /** The address with its token, for scripts (`serve --json`); a person opens a launchUrl() instead. */
  url: string;
  /**
   * A new single-use address for a person to open: the page served for it carries the token once (in a meta tag the
   * page removes), so the browser's history keeps only a spent code, never the token.
   */
  launchUrl(): string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
/** A dropped photo or imported model travels as base64 JSON; more than this is refused. */
const MAX_BODY_BYTES = 160 * 1024 * 1024;
/** All large bodies being received at once: two of the largest. Small ones have their own pool (server-body.ts). */
const BODIES_IN_FLIGHT_BYTES = 2 * MAX_BODY_BYTES;

const NEEDS_TOKEN = `Darkroom needs its access token: open the address that \`darkroom serve\` printed (it works once). ${NEW_LAUNCH_ADDRESS}`;

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { studio } = options;
  if (studio.access !== 'browser') throw new Error('startServer needs a studio made with access: "browser" (createStudio), which limits reads and writes to chosen folders');
  const token = options.token ?? `${randomBytes(12).toString('base64url')}.${randomBytes(24).toString('base64url')}`;
  const mediaKey = mediaKeyOf(token);
  /** Launch addresses handed out and not yet opened (launchUrl()). */
  const launchCodes = new Set<string>();
  const readBody = createBodyReader({ maxBytes: MAX_BODY_BYTES, inFlightBytes: BODIES_IN_FLIGHT_BYTES, idleMs: options.bodyIdleMs });
  const staticRoot = options.staticDir ? resolve(options.staticDir) : null;
  let port = 0;
  const allowedHosts = () => new Set([`${HOST}:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://${HOST}:${port}`, `http://localhost:${port}`]);

  /** Null when the request may go on; else the status and message to refuse it with. */
  function foreignRefusal(req: IncomingMessage): [number, string] | null {
    // Node keeps only the first of several Host headers; a proxy or cache may read another, so more than one is refused.
    if (hostHeaderCount(req) > 1) return [400, 'The request has more than one Host header.'];
    if (!allowedHosts().has(req.headers.host ?? '')) return [403, 'Darkroom answers only on its own address (foreign Host header).'];
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return [403, 'Darkroom refuses requests from other sites (foreign Origin header).'];
    return null;
  }
  const headerToken = (req: IncomingMessage) => {
    const header = req.headers[TOKEN_HEADER];
    return typeof header === 'string' ? header : null;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: toErrorBody(error) });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    const refused = foreignRefusal(req);
    if (refused) return sendText(res, refused[0], refused[1]);
    const path = decodePath(url.pathname);
    if (path === null) {
      if (url.pathname.startsWith('/api/')) return sendJson(res, 400, { ok: false, error: { code: 'bad-request', message: 'The address has a malformed % escape.' } });
      return sendText(res, 400, 'The address has a malformed % escape.');
    }
    if (path.startsWith('/api/')) return handleApi(req, res, path.slice(5));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path.startsWith('/media/')) return handleMedia(req, res, url, path.slice('/media/'.length));
    // Only a GET of the page spends a launch code: a HEAD, or an asset asked for with the code, leaves it for the page.
    return handleStatic(res, path, req.method === 'GET' ? url.searchParams.get(LAUNCH_QUERY) : null);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (!sameToken(headerToken(req), token)) {
      res.setHeader('Connection', 'close'); // the body is not read
      return sendJson(res, 401, { ok: false, error: { code: 'unauthorized', message: NEEDS_TOKEN } });
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, { ok: false, error: { code: 'bad-request', message: `use POST for /api/${method}` } });
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      if (!(error instanceof BodyRefused)) throw error;
      // The rest of a refused body is not read: the connection closes after the answer.
      res.setHeader('Connection', 'close');
      return sendJson(res, error.status, { ok: false, error: { code: error.status === 503 ? 'conflict' : 'bad-request', message: error.message } });
    }
    try {
      let parsed: unknown;
      try {
        parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw new ApiError('bad-request', `${method}: the request body is not valid JSON`);
      }
      const result = await dispatch(studio.handlers, method, parsed);
      sendJson(res, 200, { ok: true, result });
    } catch (error) {
      // A service's refusal is an answer, not a transport failure: it travels in the body with HTTP 200 so
      // that browsers do not log it as a failed request (only missing tokens and foreign origins get 4xx).
      sendJson(res, 200, { ok: false, error: toErrorBody(error) });
    }
  }

  async function handleMedia(req: IncomingMessage, res: ServerResponse, url: URL, ref: string): Promise<void> {
    if (!sameToken(url.searchParams.get(MEDIA_KEY_QUERY), mediaKey)) return sendText(res, 401, NEEDS_TOKEN);
    if (!mediaRequestAllowed(req.headers['sec-fetch-site'])) return sendText(res, 403, "Darkroom's media is shown only by the studio's own page.");
    let file: string;
    try {
      file = await studio.resolveMedia(ref);
    } catch (error) {
      return sendText(res, 404, toErrorBody(error).message);
    }
    await sendFile(res, file, mediaHeaders(file, url.searchParams.get('download')));
  }

  async function handleStatic(res: ServerResponse, pathname: string, launchCode: string | null): Promise<void> {
    if (!staticRoot) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('The studio UI is not built yet: run `npm run build:renderer`, then start `darkroom serve` again.\n');
      return;
    }
    const relative = pathname.replace(/^\/+/, '');
    let file = resolve(staticRoot, relative || 'index.html');
    if (file !== staticRoot && !file.startsWith(staticRoot + sep)) file = join(staticRoot, 'index.html');
    const stat = await fs.stat(file).catch(() => null);
    // Unknown paths without an extension are views of the single-page app.
    if (!stat?.isFile()) {
      if (extname(relative)) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      file = join(staticRoot, 'index.html');
    }
    const headers: Record<string, string> = { 'Content-Type': pageContentType(file) };
    if (file.endsWith('.html')) {
      headers['Content-Security-Policy'] = pageCsp({ connect: [`ws://${HOST}:${port}`, `ws://localhost:${port}`] });
      headers['X-Frame-Options'] = 'DENY';
    }
    if (launchCode !== null && file.endsWith('.html') && launchCodes.delete(launchCode)) {
      // The one answer that carries the token: never stored, never sent on as a referrer.
      const meta = `<meta name="${TOKEN_META}" content="${token}">`;
      const html = await fs.readFile(file, 'utf8');
      // In the head where there is one; a parser puts a meta tag met before <body> there anyway.
      const page = /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => head + meta) : html.replace(/^(<!doctype html>)?/i, (doctype) => doctype + meta);
      res.writeHead(200, { ...headers, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
      res.end(res.req.method === 'HEAD' ? undefined : page);
      return;
    }
    await sendFile(res, file, headers);
  }

  // WebSocket: /events streams every StudioEvent as JSON text frames.
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    const refused =
      url.pathname !== '/events'
        ? ([404, 'not found'] as [number, string])
        : (foreignRefusal(req) ?? (sameToken(url.searchParams.get(TOKEN_QUERY), token) ? null : ([401, NEEDS_TOKEN] as [number, string])));
    if (refused) {
      socket.end(`HTTP/1.1 ${refused[0]} ${STATUS_TEXT[refused[0]] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${refused[1]}\n`);
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req));
  });
  sockets.on('connection', (ws: WebSocket) => {
    ws.on('error', () => ws.terminate());
    // Clients only listen; anything they send is ignored.
  });
  const unsubscribe = studio.subscribe((event: StudioEvent) => {
    const frame = JSON.stringify(event);
    for (const client of sockets.clients) if (client.readyState === client.OPEN) client.send(frame);
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        reject(new ApiError('bad-request', `port ${options.port} is already in use: choose another with --port, or leave it out for a free one`));
      else reject(error);
    });
    server.listen(options.port ?? 0, HOST, () => resolvePromise());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://${HOST}:${port}`;

  return {
    port,
    token,
    origin,
    url: `${origin}/?${TOKEN_QUERY}=${encodeURIComponent(token)}`,
    launchUrl() {
      const code = randomBytes(18).toString('base64url');
      launchCodes.add(code);
      return `${origin}/?${LAUNCH_QUERY}=${code}`;
    },
    async close() {
      unsubscribe();
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

function hostHeaderCount(req: IncomingMessage): number {
  let count = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === 'host') count++;
  return count;
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(text + '\n');
}

function sendJson(res: ServerResponse, status: number, body: ApiReply<unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function sendFile(res: ServerResponse, file: string, headers: Record<string, string>): Promise<void> {
  const stat = await fs.stat(file).catch(() => null);
  if (!stat?.isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': stat.size });
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  // pipeline closes the file when the client goes away mid-download (pipe would leave it open).
  await pipeline(createReadStream(file), res).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  });
}
