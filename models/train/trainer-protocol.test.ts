import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrainingEvent } from './events.js';
import { isFromTrainer, isToTrainer } from './trainer-protocol.js';

/** What IPC with JSON serialisation delivers: Infinity and NaN become null. */
const overIpc = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const EVENTS: TrainingEvent[] = [
  { type: 'started', runDir: '/runs/x', family: 'cyclegan', backend: { name: 'wasm', detail: 'wasm, 2 threads', threads: 2, unavailable: [] }, totalIterations: 10, datasetSizes: { a: 4, b: 4 } },
  { type: 'progress', iteration: 3, total: 10, epoch: 0.75, losses: { G: 1.5, D: NaN }, itPerSec: 0, etaSeconds: Infinity, lr: 2e-4 },
  { type: 'sample', iteration: 3, path: '/runs/x/samples/000003.png', rows: ['real A', 'A → B'] },
  { type: 'checkpoint', iteration: 4, path: '/runs/x/checkpoints/000004' },
  { type: 'warning', message: 'skipped 1 unreadable image' },
  { type: 'stopped', iteration: 10, reason: 'done' },
  { type: 'failed', message: 'no images in day/', badInput: true },
];

test('every training event and outcome a trainer sends passes the check after crossing IPC', () => {
  for (const event of EVENTS) assert.ok(isFromTrainer(overIpc({ type: 'event', event })), event.type);
  const outcome = { runDir: '/runs/x', status: 'paused', iteration: 4, totalIterations: 10 };
  assert.ok(isFromTrainer(overIpc({ type: 'finished', outcome })));
});

test('a message from the trainer that is not in the protocol is refused, field by field', () => {
  const progress = EVENTS[1] as Extract<TrainingEvent, { type: 'progress' }>;
  const refused: unknown[] = [
    null,
    'event',
    { type: 'event' },
    { type: 'event', event: { type: 'progress' } },
    { type: 'event', event: { ...progress, iteration: '3' } },
    { type: 'event', event: { ...progress, losses: { G: 'high' } } },
    { type: 'event', event: { ...EVENTS[0], family: 'pix2pix' } },
    { type: 'event', event: { type: 'stopped', iteration: 10, reason: 'bored' } },
    { type: 'event', event: { type: 'sample', iteration: 3, path: 'x.png', rows: [1] } },
    { type: 'event', event: { type: 'failed', message: 'x', badInput: 'yes' } },
    { type: 'finished', outcome: { runDir: '/runs/x', status: 'exploded', iteration: 4, totalIterations: 10 } },
    { type: 'finished', outcome: { runDir: '/runs/x', status: 'done', iteration: 4 } },
    { type: 'log', text: 'hello' },
  ];
  for (const message of refused) assert.equal(isFromTrainer(message), false, JSON.stringify(message));
});

test('the trainer accepts start, resume, stop and pause, and nothing else', () => {
  assert.ok(isToTrainer({ type: 'start', runDir: '/runs/x', request: { family: 'ae', data: '/faces' } }));
  assert.ok(isToTrainer({ type: 'resume', runDir: '/runs/x' }));
  assert.ok(isToTrainer({ type: 'resume', runDir: '/runs/x', overrides: { backend: 'cpu', iterations: 20 } }));
  assert.ok(isToTrainer({ type: 'stop' }) && isToTrainer({ type: 'pause' }));
  const refused: unknown[] = [
    undefined,
    { type: 'start', runDir: '/runs/x' },
    { type: 'start', runDir: 7, request: { family: 'ae' } },
    { type: 'resume', runDir: '/runs/x', overrides: { threads: 'many' } },
    { type: 'exit' },
  ];
  for (const message of refused) assert.equal(isToTrainer(message), false, JSON.stringify(message));
});
