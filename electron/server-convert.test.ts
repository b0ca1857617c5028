// A large photo converting in browser mode does not hold up the studio: its tiles run off the serving thread, so
// a small call made while a tile is being translated is answered before that tile is done, and progress is
// reported from before the first tile.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import WebSocket from 'ws';
import { tinyGeneratorBytes } from '../models/onnx/convert-fixtures.js';
import { startServer, type RunningServer } from './server.js';
import { createStudio, type StudioBackend } from './services/studio.js';
import type { ApiReply, ConvertProgress, ConvertResult, ModelInfo, StudioEvent } from './api.js';

let root: string;
let studio: StudioBackend;
let server: RunningServer;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'darkroom-server-convert-'));
  studio = await createStudio({ workspaceDir: join(root, 'ws'), sample: false, access: 'browser' });
  server = await startServer({ studio, staticDir: null });
});

after(async () => {
  await server.close();
  await studio.close();
  await rm(root, { recursive: true, force: true });
});

async function api<T>(method: string, body: unknown): Promise<T> {
  const res = await fetch(`${server.origin}/api/${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'x-darkroom-token': server.token }, body: JSON.stringify(body) });
  const reply = (await res.json()) as ApiReply<T>;
  if (!reply.ok) throw new Error(reply.error.message);
  return reply.result;
}

test('while a photo of several slow tiles converts, a small call is answered before the tile under way is done; progress starts at tile 0 of the total', async () => {
  // Wide enough that a tile takes a good while; its default tile (1024 px) cuts a 1600 px square into tiles, run in stages.
  const model = await api<ModelInfo>('models.import', { name: 'g.onnx', base64: Buffer.from(await tinyGeneratorBytes({ ngf: 16, blocks: 4 })).toString('base64') });
  const photo = await sharp({ create: { width: 1600, height: 1600, channels: 3, background: { r: 90, g: 120, b: 200 } } }).png().toBuffer();

  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${server.token}`);
  await new Promise((resolve, reject) => (ws.on('open', resolve), ws.on('error', reject)));
  const order: string[] = [];
  const progress: ConvertProgress[] = [];
  let answered: Promise<void> | null = null;
  ws.on('message', (data) => {
    const event = JSON.parse(String(data)) as StudioEvent;
    if (event.type !== 'convert' || event.jobId !== 'big') return;
    progress.push(event.event);
    order.push(`tile ${event.event.done}`);
    // The small call goes out as soon as the first step is reported, while the next tile is being translated.
    if (event.event.done > 0 && answered === null)
      answered = api<{ version: string }>('app.info', {}).then((info) => {
        assert.ok(info.version);
        order.push('small call answered');
      });
  });
  const result = await api<ConvertResult>('convert.image', { modelId: model.id, image: { name: 'big.png', base64: photo.toString('base64') }, device: 'cpu', jobId: 'big' });
  order.push('converted');
  await answered;
  ws.close();

  assert.deepEqual([result.width, result.height], [1600, 1600]);
  // Step 0 twice: once the stages' tiles are planned (nothing measured yet), then with the estimate its second tile
  // gives; then steps of equal work in order, up to the total.
  const total = progress[0].total;
  assert.ok(total > 4, `${total} tile runs`);
  assert.deepEqual(progress.slice(0, 2).map((p) => p.done), [0, 0]);
  const steps = progress.slice(2).map((p) => p.done);
  assert.ok(steps.every((d, i) => d > (i === 0 ? 0 : steps[i - 1])) && steps.at(-1) === total, `steps in order up to ${total}: ${steps.join(', ')}`);
  assert.ok(progress.every((p) => p.total === total));
  assert.equal(progress[0].estimatedSeconds, null);
  assert.ok(progress[1].estimatedSeconds! > 0, 'the first tiles give an estimate before the first step');
  assert.deepEqual(order.slice(0, 4), ['tile 0', 'tile 0', `tile ${steps[0]}`, 'small call answered'], `answered while the next tile was under way: ${order.join(', ')}`);
  assert.equal(order.at(-1), 'converted');
});
