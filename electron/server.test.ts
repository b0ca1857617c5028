import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readlink, rm, writeFile, mkdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { encodePng } from '../models/data/image-io.js';
import { startServer, type RunningServer } from './server.js';
import { offerNewAddresses } from './cli/serve.js';
import { PassThrough } from 'node:stream';
import { createStudio, type StudioBackend } from './services/studio.js';
import { mediaKeyOf, type ApiReply, type AppInfo, type StudioEvent } from './api.js';

let root: string;
let studio: StudioBackend;
let server: RunningServer;
/** The media key: what media URLs carry. */
let key: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'darkroom-server-'));
  const ui = join(root, 'ui');
  await mkdir(join(ui, 'assets'), { recursive: true });
  await writeFile(join(ui, 'index.html'), '<!doctype html><title>Darkroom</title>');
  await writeFile(join(ui, 'assets', 'app.js'), 'console.log(1)');
  studio = await createStudio({ workspaceDir: join(root, 'ws'), sample: false, access: 'browser' });
  server = await startServer({ studio, staticDir: ui });
  key = mediaKeyOf(server.token);
});

after(async () => {
  await server.close();
  await studio.close();
  await rm(root, { recursive: true, force: true });
});

/** A raw request, so the test controls every header (fetch would set Host and Origin itself). */
function get(path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path, method, headers: { Host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const api = (method: string, body: unknown, headers: Record<string, string> = {}) =>
  get(`/api/${method}`, { 'Content-Type': 'application/json', 'x-darkroom-token': server.token, ...headers }, 'POST', JSON.stringify(body));

test('the address printed has a long random token (media key, then secret) and listens on loopback only', () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{32}$/);
  assert.equal(key.length, 16);
});

test('a launch address gives the page its token once, never to be stored; a spent or made-up code gives none', async () => {
  const launch = new URL(server.launchUrl());
  assert.match(launch.search, /^\?launch=[A-Za-z0-9_-]{24}$/);
  assert.doesNotMatch(launch.href, new RegExp(server.token.replace(/[.]/g, '\\.')), 'the address itself carries no token');
  const first = await get(launch.pathname + launch.search);
  assert.equal(first.status, 200);
  assert.ok(first.text.includes(`<meta name="darkroom-token" content="${server.token}">`), first.text);
  assert.equal(first.headers['cache-control'], 'no-store');
  assert.equal(first.headers['referrer-policy'], 'no-referrer');
  const again = await get(launch.pathname + launch.search);
  assert.equal(again.status, 200);
  assert.ok(!again.text.includes(server.token), 'a spent code gives the page without the token');
  assert.ok(!(await get('/?launch=made-up')).text.includes(server.token));
  assert.ok(!(await get('/')).text.includes(server.token));
  assert.notEqual(new URL(server.launchUrl()).search, launch.search, 'every launch address is new');
});

test('a running serve gives a new single-use address on Enter or SIGUSR1, while the spent one stays spent', async () => {
  const spent = new URL(server.launchUrl());
  assert.ok((await get(spent.pathname + spent.search)).text.includes(server.token), 'the first tab opened it');
  assert.ok(!(await get(spent.pathname + spent.search)).text.includes(server.token), 'closed and opened again: spent');
  const given: string[] = [];
  const input = new PassThrough();
  const before = process.listenerCount('SIGUSR1');
  const stop = offerNewAddresses(() => given.push(server.launchUrl()), input);
  try {
    const next = (count: number) => new Promise<void>((resolve) => { const check = () => (given.length >= count ? resolve() : setTimeout(check, 10)); check(); });
    input.write('\n'); // Enter on serve's terminal
    await next(1);
    if (process.platform !== 'win32') {
      process.kill(process.pid, 'SIGUSR1');
      await next(2);
    }
    for (const address of given) {
      const url = new URL(address);
      assert.notEqual(url.search, spent.search);
      const page = await get(url.pathname + url.search);
      assert.ok(page.text.includes(`<meta name="darkroom-token" content="${server.token}">`), 'the new address opens the studio');
      assert.ok(!(await get(url.pathname + url.search)).text.includes(server.token), 'and works once, like the first');
    }
  } finally {
    stop();
  }
  assert.equal(process.listenerCount('SIGUSR1'), before, 'stopped listening: SIGUSR1 is left as it was');
  input.write('\n');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(given.length, process.platform === 'win32' ? 1 : 2, 'no address after serve stopped offering them');
});

test('a launch address is spent only by a GET of the page: a HEAD or an asset asked for with the code leaves it usable', async () => {
  const launch = new URL(server.launchUrl());
  const head = await get(launch.pathname + launch.search, {}, 'HEAD');
  assert.equal(head.status, 200);
  const asset = await get('/assets/app.js' + launch.search);
  assert.equal(asset.status, 200);
  assert.ok(!asset.text.includes(server.token), 'an asset never carries the token');
  const page = await get(launch.pathname + launch.search);
  assert.ok(page.text.includes(`content="${server.token}"`), 'the page still gets its token after the HEAD and the asset');
  assert.ok(!(await get(launch.pathname + launch.search)).text.includes(server.token), 'and the GET spent it');
});

test('the API, media and events refuse a missing or wrong token; the UI files are public', async () => {
  for (const path of ['/', '/assets/app.js']) assert.equal((await get(path)).status, 200, path);
  assert.equal((await get('/media/workspace.json')).status, 401);
  assert.equal((await get('/media/workspace.json?key=wrong')).status, 401);
  const noToken = await get('/api/app.info', { 'Content-Type': 'application/json' }, 'POST', '{}');
  assert.equal(noToken.status, 401);
  assert.match(JSON.parse(noToken.text).error.message, /needs its access token/);
  assert.equal((await api('app.info', {}, { 'x-darkroom-token': 'x'.repeat(32) })).status, 401);
});

test('no cookie is set, and the token works only where the page sends it: not from a cookie, not in an API address', async () => {
  const page = await get(`/?token=${server.token}`);
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  assert.equal(page.headers['set-cookie'], undefined);
  for (const cookie of [`darkroom_token_${server.port}=${server.token}`, `darkroom_token=${server.token}`])
    assert.equal((await get('/api/app.info', { 'Content-Type': 'application/json', Cookie: cookie }, 'POST', '{}')).status, 401);
  assert.equal((await get(`/api/app.info?token=${server.token}`, { 'Content-Type': 'application/json' }, 'POST', '{}')).status, 401);
});

test('the media key opens media only: it is not the API token, and the API token is not a media key', async () => {
  assert.equal((await api('app.info', {}, { 'x-darkroom-token': key })).status, 401);
  assert.equal((await get(`/media/workspace.json?key=${server.token}`)).status, 401);
  assert.equal((await get(`/media/workspace.json?key=${key}`)).status, 200);
});

test('media answers the studio page and typed addresses, not a page of another port nor a foreign site', async () => {
  assert.equal((await get(`/media/workspace.json?key=${key}`, { 'Sec-Fetch-Site': 'same-origin' })).status, 200);
  assert.equal((await get(`/media/workspace.json?key=${key}`, { 'Sec-Fetch-Site': 'none' })).status, 200);
  assert.equal((await get(`/media/workspace.json?key=${key}`, { 'Sec-Fetch-Site': 'same-site' })).status, 403);
  assert.equal((await get(`/media/workspace.json?key=${key}`, { 'Sec-Fetch-Site': 'cross-site' })).status, 403);
});

test('a body over the limit is refused from its Content-Length with JSON 413, before it is sent', async () => {
  const refused = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: server.port, path: '/api/app.info', method: 'POST', headers: { Host: `127.0.0.1:${server.port}`, 'Content-Type': 'application/json', 'Content-Length': String(200 * 1024 * 1024), 'x-darkroom-token': server.token } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', reject);
    req.write('{');
  });
  assert.equal(refused.status, 413);
  const reply = JSON.parse(refused.text) as ApiReply<unknown>;
  assert.ok(!reply.ok);
  assert.match(reply.error.message, /larger than 160 MB/);
});

test('large bodies in flight together are bounded: one more than the budget is refused while they are received', async () => {
  const open: ReturnType<typeof httpRequest>[] = [];
  const started = (length: number) =>
    new Promise<number | null>((resolve) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: server.port, path: '/api/app.info', method: 'POST', headers: { Host: `127.0.0.1:${server.port}`, 'Content-Type': 'application/json', 'Content-Length': String(length), 'x-darkroom-token': server.token } },
        (res) => resolve(res.statusCode!),
      );
      req.on('error', () => resolve(null));
      req.write('{');
      open.push(req);
      setTimeout(() => resolve(null), 300);
    });
  const big = 150 * 1024 * 1024;
  assert.equal(await started(big), null, 'the first is being received');
  assert.equal(await started(big), null, 'the second is being received');
  assert.equal(await started(big), 503, 'the third would hold more than two at once');
  for (const req of open) req.destroy();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await api('app.info', {})).status, 200, 'once they are gone, requests are received again');
});

test('a malformed % escape is a 400, not a 500', async () => {
  const apiBad = await get('/api/app.info%E0%A4%A', { 'Content-Type': 'application/json', 'x-darkroom-token': server.token }, 'POST', '{}');
  assert.equal(apiBad.status, 400);
  assert.equal(JSON.parse(apiBad.text).error.code, 'bad-request');
  assert.equal((await get(`/media/%zz?key=${key}`)).status, 400);
  assert.equal((await get('/assets/%E0%A4%A.js')).status, 400);
});

test('a studio that trusts every path cannot be served', async () => {
  const trusted = await createStudio({ workspaceDir: join(root, 'ws-trusted'), sample: false });
  await assert.rejects(startServer({ studio: trusted, staticDir: null }), /access: "browser"/);
  await trusted.close();
});

test('foreign Host and Origin headers are refused even with the token', async () => {
  assert.equal((await get(`/?token=${server.token}`, { Host: 'evil.example:80' })).status, 403);
  assert.equal((await api('app.info', {}, { Origin: 'http://evil.example' })).status, 403);
  assert.equal((await api('app.info', {}, { Origin: `http://localhost:${server.port}` })).status, 200);
});

test('API calls are validated and answered with the service message unchanged', async () => {
  const ok = JSON.parse((await api('app.info', {})).text) as ApiReply<AppInfo>;
  assert.ok(ok.ok);
  assert.deepEqual(ok.result.families.map((f) => f.id), ['ae', 'vae', 'gan', 'cyclegan', 'cut']);
  assert.ok(ok.result.families.every((f) => f.summary.length > 10));

  const bad = await api('training.start', { family: 'cyclegan', datasets: { a: 'x' }, size: 32, iterations: 5 });
  assert.deepEqual(JSON.parse(bad.text).error.code, 'bad-request');
  assert.match(JSON.parse(bad.text).error.message, /cyclegan needs two datasets/);
  assert.match(JSON.parse((await api('no.such.method', {})).text).error.message, /unknown method/);
  const missing = JSON.parse((await api('datasets.add', { path: join(root, 'nope') })).text);
  assert.equal(missing.ok, false);
  assert.match(missing.error.message, /does not exist/);
});

test('media stays inside the workspace', async () => {
  assert.equal((await get(`/media/workspace.json?key=${key}`)).status, 200);
  assert.equal((await get(`/media/..%2F..%2Fetc%2Fpasswd?key=${key}`)).status, 404);
  assert.equal((await get(`/media/%2Fetc%2Fpasswd?key=${key}`)).status, 404);
});

test('the event socket needs the token and delivers studio events', async () => {
  const refused = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events`);
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
    ws.on('open', () => resolve(101));
    ws.on('error', () => {});
  });
  assert.equal(refused, 401);

  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${server.token}`);
  await new Promise((resolve, reject) => (ws.on('open', resolve), ws.on('error', reject)));
  const received = new Promise<StudioEvent>((resolve) => ws.on('message', (data) => resolve(JSON.parse(String(data)))));
  const folder = join(root, 'photos');
  await mkdir(folder);
  const pixels = new Uint8Array(40 * 40 * 3).map((_, i) => (i * 37) % 256);
  await writeFile(join(folder, 'one.png'), await encodePng(pixels, 40, 40));
  assert.ok(JSON.parse((await api('fs.choose', { path: folder, use: 'input' })).text).ok);
  const added = await api('datasets.add', { path: folder });
  assert.equal(added.status, 200);
  assert.deepEqual(await received, { type: 'changed', jobId: null, what: 'datasets' });
  ws.close();
  void received;
});

test('media is served as data: images inline under a sandbox, everything else only as a download', async () => {
  const ws = studio.workspace.paths.root;
  await writeFile(join(ws, 'cache', 'page.html'), '<script>alert(1)</script>');
  await writeFile(join(ws, 'cache', 'shot.png'), await encodePng(new Uint8Array(4 * 4 * 3), 4, 4, 3));
  const image = await get(`/media/cache/shot.png?key=${key}`);
  assert.equal(image.status, 200);
  assert.equal(image.headers['content-type'], 'image/png');
  assert.equal(image.headers['content-security-policy'], "default-src 'none'; sandbox");
  assert.equal(image.headers['x-content-type-options'], 'nosniff');
  assert.equal(image.headers['content-disposition'], undefined);
  const page = await get(`/media/cache/page.html?key=${key}`);
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'application/octet-stream');
  assert.match(String(page.headers['content-disposition']), /^attachment; filename\*=UTF-8''page\.html$/);
  assert.equal(page.headers['content-security-policy'], "default-src 'none'; sandbox");
});

test('a download the client abandons closes its file', { skip: process.platform !== 'linux' && 'reads /proc/self/fd' }, async () => {
  const big = join(studio.workspace.paths.root, 'cache', 'big.bin');
  await writeFile(big, Buffer.alloc(32 * 1024 * 1024, 7));
  const openOnBig = async () => {
    let count = 0;
    for (const fd of await readdir('/proc/self/fd')) if ((await readlink(`/proc/self/fd/${fd}`).catch(() => '')) === big) count++;
    return count;
  };
  // Paused at its first bytes (so the 32 MiB cannot finish), the download is under way with the file open; then it is dropped.
  const underWay = await new Promise<{ status: number; openWhileRunning: number }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path: `/media/cache/big.bin?key=${key}`, headers: { Host: `127.0.0.1:${server.port}` } }, (res) => {
      res.once('data', () => {
        res.pause();
        void openOnBig().then((openWhileRunning) => {
          resolve({ status: res.statusCode!, openWhileRunning });
          req.destroy();
        }, reject);
      });
    });
    req.on('error', () => {});
    req.on('close', () => reject(new Error('the download ended before its first bytes arrived')));
    req.end();
    setTimeout(() => reject(new Error('no data')), 5000).unref();
  });
  assert.equal(underWay.status, 200, 'the download was answered');
  assert.equal(underWay.openWhileRunning, 1, 'the file is open while the download runs');
  let open = 1;
  for (let i = 0; i < 40 && open > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    open = await openOnBig();
  }
  assert.equal(open, 0, 'the file is closed once the client has gone');
});
