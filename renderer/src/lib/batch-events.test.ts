import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BatchCounts, DeviceUse, StudioBatchEvent } from '../../../electron/api.js';
import { NO_BATCH, batchEventApplied, relativeTo, type BatchSnapshot } from './batch-events.js';

const INPUT = '/photos/trip/';
const CPU: DeviceUse = { requested: 'auto', name: 'cpu', detail: 'ONNX Runtime on CPU', fallback: null, maxBufferBytes: null };
const counts = (c: Partial<BatchCounts>): BatchCounts => ({ total: 4, done: 0, skipped: 0, failed: 0, pending: 0, ...c });

/** Feeds events of one job in order to a batch just started (its id not known yet), as BatchState does. */
function follow(events: StudioBatchEvent[], jobId = 'batch-1', from: BatchSnapshot = { ...NO_BATCH, running: true }) {
  const notices: string[] = [];
  let batch = from;
  for (const event of events) {
    const outcome = batchEventApplied(batch, jobId, event, INPUT);
    batch = outcome.batch;
    if (outcome.notice) notices.push(outcome.notice);
  }
  return { batch, notices };
}

const started: StudioBatchEvent = { type: 'started', total: 4, toConvert: 3, model: 'Day to night', inputs: ['/photos/trip'], out: '/out/trip', device: CPU };

test('started: the job is named by its first event, the output folder is known, nothing is counted yet', () => {
  const { batch } = follow([started]);
  assert.equal(batch.jobId, 'batch-1');
  assert.deepEqual([batch.running, batch.outputFolder], [true, '/out/trip']);
  assert.deepEqual(batch.progress, { done: 0, total: 4, counts: counts({ pending: 4 }), current: null, itemsPerSec: 0, etaSeconds: NaN });
});

test('progress: counts, the photo being converted, the rate per second and the ETA (unknown before a measure)', () => {
  const measured = follow([started, { type: 'progress', done: 2, total: 4, counts: counts({ done: 1, skipped: 1, pending: 2 }), current: 'a/b.jpg', imagesPerMinute: 30, etaSeconds: 4 }]);
  assert.deepEqual(measured.batch.progress, { done: 2, total: 4, counts: counts({ done: 1, skipped: 1, pending: 2 }), current: 'a/b.jpg', itemsPerSec: 0.5, etaSeconds: 4 });
  const unmeasured = follow([started, { type: 'progress', done: 1, total: 4, counts: counts({ failed: 1, pending: 3 }), current: 'c.jpg', imagesPerMinute: 0, etaSeconds: null }]);
  assert.ok(Number.isNaN(unmeasured.batch.progress!.etaSeconds));
});

test('items and thumbnails: failures and gallery photos are named inside the input folder', () => {
  const { batch } = follow([
    started,
    { type: 'item', path: '/photos/trip/a/one.jpg', output: '/out/trip/a/one.jpg', status: 'done' },
    { type: 'thumbnail', path: '/photos/trip/a/one.jpg', media: 'cache/batch/batch-1/1.png' },
    { type: 'item', path: '/photos/trip/broken.jpg', output: '/out/trip/broken.jpg', status: 'failed', reason: 'not an image' },
    { type: 'item', path: '/photos/trip/odd.jpg', output: '/out/trip/odd.jpg', status: 'failed' },
    { type: 'item', path: '/photos/trip/kept.jpg', output: '/out/trip/kept.jpg', status: 'skipped' },
  ]);
  assert.deepEqual(batch.gallery, [{ path: '/photos/trip/a/one.jpg', name: 'a/one.jpg', media: 'cache/batch/batch-1/1.png' }]);
  assert.deepEqual(batch.failures, [
    { file: 'broken.jpg', reason: 'not an image' },
    { file: 'odd.jpg', reason: 'failed' },
  ]);
});

test("finished with failures: the report's failures replace the running list, counts are final, nothing is current", () => {
  const done = counts({ done: 2, skipped: 1, failed: 1 });
  const { batch, notices } = follow([
    started,
    { type: 'progress', done: 3, total: 4, counts: counts({ done: 2, skipped: 1, pending: 1 }), current: 'last.jpg', imagesPerMinute: 60, etaSeconds: 1 },
    { type: 'finished', report: '/out/trip/darkroom-report.json', counts: done, failed: [{ path: '/photos/trip/last.jpg', reason: 'truncated file' }], cancelled: false, elapsedMs: 4000, device: CPU },
  ]);
  assert.deepEqual([batch.running, batch.cancelling, batch.error], [false, false, null]);
  assert.equal(batch.finished?.report, '/out/trip/darkroom-report.json');
  assert.deepEqual(batch.failures, [{ file: 'last.jpg', reason: 'truncated file' }]);
  assert.deepEqual([batch.progress!.done, batch.progress!.counts, batch.progress!.current], [4, done, null]);
  assert.deepEqual(notices, []);
});

test('cancelled: what was not reached stays pending, and Cancel is released', () => {
  const cancelling = { ...follow([started]).batch, cancelling: true };
  const stopped = counts({ done: 1, pending: 3 });
  const { batch } = follow([{ type: 'finished', report: '/out/trip/darkroom-report.json', counts: stopped, failed: [], cancelled: true, elapsedMs: 900, device: CPU }], 'batch-1', cancelling);
  assert.deepEqual([batch.running, batch.cancelling, batch.finished?.cancelled], [false, false, true]);
  assert.equal(batch.progress!.done, 1, 'done counts what was settled, not the pending');
});

test('failed as a whole after starting: the reason is kept and told, and the batch stops', () => {
  const { batch, notices } = follow([started, { type: 'failed', message: 'The output disk is full.' }]);
  assert.deepEqual([batch.running, batch.error, batch.progress!.current, batch.finished], [false, 'The output disk is full.', null, null]);
  assert.deepEqual(notices, ['The batch stopped: The output disk is full.']);
});

test("once a job is followed, another job's events change nothing", () => {
  const mine = follow([started]).batch;
  const outcome = batchEventApplied(mine, 'batch-old', { type: 'failed', message: 'an older batch' }, INPUT);
  assert.equal(outcome.batch, mine);
  assert.equal(outcome.notice, null);
});

test('names relative to the input folder, whichever separator, and paths outside it unchanged', () => {
  assert.equal(relativeTo('/photos/trip', '/photos/trip/a/b.jpg'), 'a/b.jpg');
  assert.equal(relativeTo(' C:\\photos\\ ', 'C:\\photos\\b.jpg'), 'b.jpg');
  assert.equal(relativeTo('/photos/trip', '/photos/trip2/b.jpg'), '/photos/trip2/b.jpg');
});
