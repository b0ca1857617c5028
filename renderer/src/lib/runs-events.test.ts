import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunDetail, RunSummary, TrainingEvent } from '../../../electron/api.js';
import { NO_RUNS, NewestOnly, listReplied, progressOf, trainingEventApplied, type RunsSnapshot } from './runs-events.js';

const CPU = { name: 'wasm', detail: 'WebAssembly, 2 threads', threads: 2, unavailable: [] };

function summary(id: string, overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    name: id,
    family: 'cyclegan',
    label: 'CycleGAN',
    status: 'running',
    active: true,
    iteration: 10,
    totalIterations: 100,
    size: 32,
    backend: CPU,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    lastError: null,
    lastSample: null,
    exports: [],
    secondsPerIteration: null,
    ...overrides,
  };
}

function detail(id: string, overrides: Partial<RunDetail> = {}): RunDetail {
  return {
    ...summary(id),
    metrics: [{ iteration: 10, losses: { G: 1.5 }, lr: 0.0002, elapsedMs: 900 }],
    samples: [],
    sampleRows: [],
    datasets: [],
    startedFrom: [],
    settings: { logEvery: 5 },
    ...overrides,
  };
}

/** Two runs listed, "walk" watched with its detail loaded. */
function watching(): RunsSnapshot {
  return { list: [summary('walk'), summary('other')], watchedId: 'walk', detail: detail('walk'), progress: null };
}

const progress = (iteration: number): TrainingEvent => ({ type: 'progress', iteration, total: 100, epoch: 0.5, losses: { G: 1.2 }, itPerSec: 3, etaSeconds: 30, lr: 0.0002 });

test('progress: the list row, the watched run and its live numbers move on; the chart takes logged iterations only', () => {
  const logged = trainingEventApplied(watching(), 'walk', progress(15));
  assert.equal(logged.runs.list[0].iteration, 15);
  assert.equal(logged.runs.detail!.iteration, 15);
  assert.deepEqual(logged.runs.detail!.metrics.map((m) => m.iteration), [10, 15], 'logEvery 5: 15 is logged');
  assert.deepEqual(logged.runs.progress, { iteration: 15, total: 100, itPerSec: 3, etaSeconds: 30, losses: { G: 1.2 } });
  assert.deepEqual([logged.notice, logged.refreshList], [null, false]);

  const between = trainingEventApplied(logged.runs, 'walk', progress(16));
  assert.deepEqual(between.runs.detail!.metrics.map((m) => m.iteration), [10, 15], '16 is not logged: the chart looks as it will when reopened');
  assert.equal(between.runs.progress!.iteration, 16);
});

test("another run's progress moves its row only", () => {
  const before = watching();
  const after = trainingEventApplied(before, 'other', progress(40));
  assert.equal(after.runs.list[1].iteration, 40);
  assert.equal(after.runs.detail, before.detail);
  assert.equal(after.runs.progress, null);
});

test('a sample grid becomes the last sample, replacing one of the same iteration', () => {
  const sample: TrainingEvent = { type: 'sample', iteration: 20, path: '/ws/runs/walk/samples/000020.png', rows: ['real A', 'A → B'] };
  const once = trainingEventApplied(watching(), 'walk', sample, 'runs/walk/samples/000020.png');
  const twice = trainingEventApplied(once.runs, 'walk', sample, 'runs/walk/samples/000020.png');
  assert.equal(twice.runs.detail!.lastSample, 'runs/walk/samples/000020.png');
  assert.deepEqual(twice.runs.detail!.sampleRows, ['real A', 'A → B']);
  assert.deepEqual(twice.runs.detail!.samples, [{ iteration: 20, media: 'runs/walk/samples/000020.png' }]);
});

test('finished, paused and stopped: the status follows the reason, the run is no longer active, and the list is fetched again', () => {
  for (const [reason, status] of [['done', 'done'], ['paused', 'paused'], ['stopped', 'stopped']] as const) {
    const { runs, refreshList, notice } = trainingEventApplied(watching(), 'walk', { type: 'stopped', iteration: 100, reason });
    assert.deepEqual([runs.list[0].status, runs.list[0].active, runs.list[0].iteration], [status, false, 100]);
    assert.deepEqual([runs.detail!.status, runs.detail!.active, runs.detail!.iteration], [status, false, 100]);
    assert.deepEqual([refreshList, notice], [true, null]);
  }
});

test('a failed run says why, for the watched run only', () => {
  const failed: TrainingEvent = { type: 'failed', message: 'out of memory', iteration: 12 };
  const watched = trainingEventApplied(watching(), 'walk', failed);
  assert.deepEqual([watched.runs.detail!.status, watched.runs.detail!.active, watched.runs.detail!.lastError], ['failed', false, 'out of memory']);
  assert.deepEqual(watched.notice, { kind: 'error', text: 'Training failed: out of memory' });
  assert.equal(watched.refreshList, true);

  const other = trainingEventApplied(watching(), 'other', failed);
  assert.equal(other.runs.list[1].status, 'failed');
  assert.deepEqual([other.notice, other.refreshList], [null, false]);
});

test('a warning is told as information; a resumed run starts again on the backend it names', () => {
  const warned = trainingEventApplied(watching(), 'walk', { type: 'warning', message: 'A software GPU adapter was chosen by name.' });
  assert.deepEqual(warned.notice, { kind: 'info', text: 'A software GPU adapter was chosen by name.' });

  const stopped = trainingEventApplied(watching(), 'walk', { type: 'stopped', iteration: 50, reason: 'paused' }).runs;
  const gpu = { ...CPU, name: 'webgpu', detail: 'WebGPU' };
  const started = trainingEventApplied(stopped, 'walk', { type: 'started', runDir: '/ws/runs/walk', family: 'cyclegan', backend: gpu, totalIterations: 200, resumedFrom: 50, datasetSizes: { a: 4, b: 4 } });
  assert.deepEqual([started.runs.list[0].status, started.runs.list[0].active], ['running', true]);
  assert.deepEqual([started.runs.detail!.status, started.runs.detail!.backend, started.runs.detail!.totalIterations], ['running', gpu, 200]);
});

test('an event for a run the list does not have yet asks for the list', () => {
  const outcome = trainingEventApplied({ ...NO_RUNS }, 'new-run', progress(1));
  assert.deepEqual(outcome.runs.list, []);
  assert.equal(outcome.refreshList, true);
});

test('a list reply brings the watched run in step when its status or exports changed', () => {
  const stoppedElsewhere = listReplied(watching(), [summary('walk', { status: 'done', active: false, exports: ['cyclegan-generator-AtoB.onnx'] })]);
  assert.deepEqual([stoppedElsewhere.detail!.status, stoppedElsewhere.detail!.exports], ['done', ['cyclegan-generator-AtoB.onnx']]);
  assert.equal(stoppedElsewhere.detail!.metrics.length, 1, 'the detail keeps what the summary does not have');

  const same = watching();
  assert.equal(listReplied(same, [summary('walk', { iteration: 12 })]).detail, same.detail, 'no change of status or exports: the live detail stays');
});

test('a late list reply does not bring a finished run back to training', () => {
  const replies = new NewestOnly();
  const askedWhileTraining = replies.ticket();
  const finished = trainingEventApplied(watching(), 'walk', { type: 'stopped', iteration: 100, reason: 'done' });
  assert.equal(finished.refreshList, true);
  const askedWhenFinished = replies.ticket();
  // The newer question is answered first; the older answer, still saying "running", arrives last.
  const answers = [
    [askedWhenFinished, [summary('walk', { status: 'done', active: false, iteration: 100 }), summary('other')]],
    [askedWhileTraining, [summary('walk'), summary('other')]],
  ] as const;
  let runs = finished.runs;
  for (const [ticket, list] of answers) if (replies.isNewest(ticket)) runs = listReplied(runs, [...list]);
  assert.deepEqual([runs.list[0].status, runs.list[0].active, runs.detail!.status], ['done', false, 'done']);
});

test('a run opened shows its last logged losses until live progress comes', () => {
  assert.deepEqual(progressOf(detail('walk')), { iteration: 10, total: 100, itPerSec: 0, etaSeconds: NaN, losses: { G: 1.5 } });
  assert.equal(progressOf(detail('walk', { metrics: [] })), null);
});
