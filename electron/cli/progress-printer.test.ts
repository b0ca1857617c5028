import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrainingEvent } from '../../models/train/events.js';
import { JsonPrinter, ProgressPrinter, type TextStream } from './progress-printer.js';

function stream(isTTY: boolean): TextStream & { text: string } {
  return { isTTY, columns: 200, text: '', write(chunk: string) { this.text += chunk; } };
}

const progress = (iteration: number): TrainingEvent => ({
  type: 'progress', iteration, total: 200, epoch: iteration / 50, losses: { recon: 0.25, kl: 12.5 }, itPerSec: 4, etaSeconds: (200 - iteration) / 4, lr: 1e-3,
});
const checkpoint: TrainingEvent = { type: 'checkpoint', iteration: 100, path: '/runs/x/checkpoints/000100' };

test('on a terminal, progress rewrites one status line and other messages print above it', () => {
  const out = stream(true);
  const printer = new ProgressPrinter(out);
  printer.print(progress(99));
  printer.print(progress(100));
  printer.print(checkpoint);
  printer.print(progress(101));
  printer.finish();
  const lines = out.text.split('\n');
  assert.equal(lines.length, 3, 'one line for the checkpoint, one status line, ended at finish');
  assert.match(lines[0], /\r\x1b\[2Kit 99\/200.*\r\x1b\[2Kit 100\/200.*\r\x1b\[2KCheckpoint at iteration 100/);
  assert.match(lines[1], /^\r\x1b\[2Kit 101\/200 \(50%\)  recon 0\.2500  kl 12\.50  4\.0 it\/s  ETA 25s/);
});

test('in a log (no terminal), every update is its own plain line', () => {
  const out = stream(false);
  const printer = new ProgressPrinter(out);
  printer.print(progress(1));
  printer.print(checkpoint);
  printer.print(progress(2));
  printer.finish();
  assert.ok(!out.text.includes('\r') && !out.text.includes('\x1b'));
  assert.deepEqual(out.text.trim().split('\n').map((l) => l.split(' ')[0]), ['it', 'Checkpoint', 'it']);
});

test('--json prints each event as one JSON line', () => {
  const out = stream(false);
  const err = stream(false);
  const printer = new JsonPrinter(out, err);
  printer.print(progress(3));
  printer.print(checkpoint);
  printer.note('Stopping');
  assert.deepEqual(out.text.trim().split('\n').map((l) => JSON.parse(l)), [progress(3), checkpoint]);
  assert.equal(err.text, 'Stopping\n');
});
