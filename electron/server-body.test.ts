// The body reader's limits on chunked requests (no Content-Length), which can only be judged as the bytes arrive:
// past the limit the request is refused with 413 and nothing more is kept; chunked bodies count toward the
// in-flight budget as they grow.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyRefused, createBodyReader } from './server-body.js';

const LIMITS = { maxBytes: 4096, inFlightBytes: 6000 };
let server: Server;
let port: number;
/** What the reader did with each request: the body's length or the refusal's status. */
const outcomes: (number | string)[] = [];

before(async () => {
  const read = createBodyReader(LIMITS);
  server = createServer((req, res) => {
    read(req).then(
      (body) => {
        outcomes.push(body.length);
        res.writeHead(200).end(String(body.length));
      },
      (error: unknown) => {
        outcomes.push(error instanceof BodyRefused ? error.status : String(error));
        res.writeHead(error instanceof BodyRefused ? error.status : 500).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** POSTs `chunks` chunks of `size` bytes with chunked transfer encoding (no Content-Length); resolves to the status. */
function sendChunked(chunks: number, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? resolve(-1) : reject(error)));
    for (let i = 0; i < chunks; i++) req.write(Buffer.alloc(size, 1));
    req.end();
  });
}

test('a chunked body within the limit is read whole', async () => {
  assert.equal(await sendChunked(4, 1000), 200);
  assert.equal(outcomes.at(-1), 4000);
});

test('a chunked body past the limit is refused with 413 as it arrives', async () => {
  const status = await sendChunked(10, 1000);
  assert.equal(outcomes.at(-1), 413, 'the reader refused it as too large');
  assert.ok(status === 413 || status === -1, `the client sees 413 (or the connection closed under it), got ${status}`);
});
