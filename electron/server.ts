// Browser mode: the studio's API over HTTP + WebSocket on 127.0.0.1, for `darkroom serve`.
// Same handlers as Electron's IPC (api.ts dispatch), nothing implemented twice. Every request and
// WebSocket connection must carry the per-launch token (header, ?token= or the cookie set when the
// page is opened with its token); foreign Host and Origin headers are refused (DNS rebinding, CSRF).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, promises as fs } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { basename, extname, join, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  ApiError,
  TOKEN_COOKIE,
  TOKEN_HEADER,
  TOKEN_QUERY,
  dispatch,
  toErrorBody,
  type ApiReply,
  type StudioEvent,
} from './api.js';
import type { StudioBackend } from './services/studio.js';

export interface ServeOptions {
  studio: StudioBackend;
  /** The built renderer (index.html and assets); null serves a page saying how to build it. */
  staticDir: string | null;
  /** 0 or absent: a free port. */
  port?: number;
  /** For tests; by default a fresh random token per launch. */
  token?: string;
}

export interface RunningServer {
  port: number;
  token: string;
  /** The address without the token. */
  origin: string;
  /** What to open in a browser: the address with its token. */
  url: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
/** A dropped photo or imported model travels as base64 JSON; more than this is refused. */
const MAX_BODY_BYTES = 160 * 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.onnx': 'application/octet-stream',
};

/** Workspace files a page may show inline; anything else (HTML, SVG, JSON, ONNX…) is only ever downloaded. */
const INLINE_MEDIA_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.gif': 'image/gif',
};
/** Media is data, never a document: no scripts, no loads, a sandboxed origin even if opened directly. */
const MEDIA_CSP = "default-src 'none'; sandbox";

export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // Svelte's scoped styles are external; the unsafe-inline covers style="" attributes only.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ws://${HOST}:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const staticRoot = options.staticDir ? resolve(options.staticDir) : null;
  const { studio } = options;
  let port = 0;
  // Cookies are not port-specific, so two studios on one machine each get their own cookie name.
  const cookieName = () => `${TOKEN_COOKIE}_${port}`;
  const allowedHosts = () => new Set([`${HOST}:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://${HOST}:${port}`, `http://localhost:${port}`]);

  /** Null when the request may go on; else the status and message to refuse it with. */
  function refusal(req: IncomingMessage, url: URL): [number, string] | null {
    if (!allowedHosts().has(req.headers.host ?? '')) return [403, 'Darkroom answers only on its own address (foreign Host header).'];
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return [403, 'Darkroom refuses requests from other sites (foreign Origin header).'];
    const header = req.headers[TOKEN_HEADER];
    // `||`, not `??`: an empty header must not hide a good token in the query or the cookie.
    const given = (typeof header === 'string' ? header : undefined) || url.searchParams.get(TOKEN_QUERY) || cookieValue(req.headers.cookie, cookieName());
    if (!sameToken(given || undefined, token))
      return [401, 'Darkroom needs its access token: open the link with ?token=… that `darkroom serve` printed.'];
    return null;
  }

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
    const refused = refusal(req, url);
    if (refused) {
      res.writeHead(refused[0], { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(refused[1] + '\n');
      return;
    }
    if (url.pathname.startsWith('/api/')) return handleApi(req, res, decodeURIComponent(url.pathname.slice(5)));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname.startsWith('/media/')) return handleMedia(res, url);
    if (url.searchParams.get(TOKEN_QUERY))
      res.setHeader('Set-Cookie', `${cookieName()}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
    return handleStatic(res, url.pathname);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (req.method !== 'POST') {
      sendJson(res, 405, { ok: false, error: { code: 'bad-request', message: `use POST for /api/${method}` } });
      return;
    }
    try {
      const body = await readBody(req);
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

  async function handleMedia(res: ServerResponse, url: URL): Promise<void> {
    let file: string;
    try {
      file = await studio.resolveMedia(decodeURIComponent(url.pathname.slice('/media/'.length)));
    } catch (error) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(toErrorBody(error).message);
      return;
    }
    const download = url.searchParams.get('download');
    const inlineType = INLINE_MEDIA_TYPES[extname(file).toLowerCase()];
    const headers: Record<string, string> = {
      'Content-Type': inlineType ?? 'application/octet-stream',
      'Content-Security-Policy': MEDIA_CSP,
      'X-Content-Type-Options': 'nosniff',
    };
    if (download || !inlineType) headers['Content-Disposition'] = `attachment; filename*=UTF-8''${encodeURIComponent(download || basename(file))}`;
    await sendFile(res, file, headers);
  }

  async function handleStatic(res: ServerResponse, pathname: string): Promise<void> {
    if (!staticRoot) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('The studio UI is not built yet: run `npm run build:renderer`, then start `darkroom serve` again.\n');
      return;
    }
    const relative = decodeURIComponent(pathname).replace(/^\/+/, '');
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
    const headers: Record<string, string> = { 'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream' };
    if (file.endsWith('.html')) {
      headers['Content-Security-Policy'] = contentSecurityPolicy(port);
      headers['X-Frame-Options'] = 'DENY';
    }
    await sendFile(res, file, headers);
  }

  // WebSocket: /events streams every StudioEvent as JSON text frames.
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    const refused = url.pathname === '/events' ? refusal(req, url) : ([404, 'not found'] as [number, string]);
    if (refused) {
      socket.end(`HTTP/1.1 ${refused[0]} ${refused[0] === 401 ? 'Unauthorized' : refused[0] === 403 ? 'Forbidden' : 'Not Found'}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${refused[1]}\n`);
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
    async close() {
      unsubscribe();
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
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

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        fail(new ApiError('bad-request', `the request is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => done(Buffer.concat(chunks)));
    req.on('error', fail);
  });
}
