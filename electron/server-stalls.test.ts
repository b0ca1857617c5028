// Browser mode under requests that hold the server: uploads that declare a large body and stop sending, and
// headers a proxy could read differently from Node. A real server on loopback, raw sockets for the requests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from './server.js';
import { createStudio, type StudioBackend } from './services/studio.js';

/** Short, so the test need not wait long for the stalled uploads to be dropped. */
const IDLE_MS = 1500;
let root: string;
let studio: StudioBackend;
let server: RunningServer;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'darkroom-stalls-'));
  studio = await createStudio({ workspaceDir: join(root, 'ws'), sample: false, access: 'browser' });
  server = await startServer({ studio, staticDir: null, bodyIdleMs: IDLE_MS });
});

after(async () => {
  await server.close();
  await studio.close();
  await rm(root, { recursive: true, force: true });
});

interface RawExchange {
  socket: Socket;
  /** Everything the server sent, once it closed the connection. */
  closed: Promise<string>;
}

/** Writes `head` (request line and headers, CRLF-separated, no final blank line) and `body` on a fresh socket. */
function raw(head: string[], body = ''): RawExchange {
  const socket = connect(server.port, '127.0.0.1');
  socket.write(head.join('\r\n') + '\r\n\r\n' + body);
  const closed = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', () => {});
    socket.on('close', () => resolve(text));
  });
  return { socket, closed };
}

const host = () => `Host: 127.0.0.1:${server.port}`;

function apiHead(length: number): string[] {
  return ['POST /api/app.info HTTP/1.1', host(), 'Content-Type: application/json', `Content-Length: ${length}`, `x-darkroom-token: ${server.token}`];
}

test('two uploads that declare 160 MB and stall neither keep a small call waiting nor hold on past the idle time', async () => {
  const order: string[] = [];
  const stalled = [raw(apiHead(160 * 1024 * 1024), '{'), raw(apiHead(160 * 1024 * 1024), '{')];
  const answers = stalled.map((s, i) => s.closed.then((text) => (order.push(`stalled ${i} closed`), text)));
  // Give the server the time to read both requests' headers and reserve their bodies.
  await new Promise((r) => setTimeout(r, 200));

  const small = raw([...apiHead(2), 'Connection: close'], '{}');
  const smallAnswer = await small.closed;
  order.push('small answered');
  assert.match(smallAnswer, /^HTTP\/1\.1 200 /, smallAnswer);
  assert.match(smallAnswer, /"ok":true/);

  const [first, second] = await Promise.all(answers);
  assert.equal(order[0], 'small answered', 'the small call was answered while both uploads were still held');
  assert.equal(order.length, 3, 'both stalled uploads were closed by the server');
  for (const text of [first, second]) {
    assert.match(text, /^HTTP\/1\.1 408 /, 'a stalled upload is told why it was dropped');
    assert.match(text, /stopped arriving/);
  }
});

test('a small call is answered while the large-body budget is full', async () => {
  const held = [raw(apiHead(150 * 1024 * 1024), '{'), raw(apiHead(150 * 1024 * 1024), '{')];
  await new Promise((r) => setTimeout(r, 200));
  const third = raw(apiHead(150 * 1024 * 1024), '{');
  assert.match(await third.closed, /^HTTP\/1\.1 503 /, 'a third large body is refused while two are held');
  const small = raw([...apiHead(2), 'Connection: close'], '{}');
  assert.match(await small.closed, /^HTTP\/1\.1 200 /);
  for (const h of held) h.socket.destroy();
});

test('a request with two Host headers is refused with 400, even when both are ours', async () => {
  const twice = raw(['GET / HTTP/1.1', host(), host(), 'Connection: close']);
  assert.match(await twice.closed, /^HTTP\/1\.1 400 /);
  const foreignSecond = raw([...apiHead(2), 'Host: evil.example', 'Connection: close'], '{}');
  assert.match(await foreignSecond.closed, /^HTTP\/1\.1 400 /);
  const socket = raw(['GET /events?token=' + server.token + ' HTTP/1.1', host(), host(), 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']);
  assert.match(await socket.closed, /^HTTP\/1\.1 400 /, 'the event socket refuses it too');
  const once = raw(['GET / HTTP/1.1', host(), 'Connection: close']);
  assert.match(await once.closed, /^HTTP\/1\.1 (200|503) /, 'one Host header is served as before');
});
