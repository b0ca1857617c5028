// How the Runs state follows the back end, as pure functions: a training event, a list reply and an opened run
// each give the next state, plus what to tell the user and whether the list must be fetched again. RunsState
// (runs.svelte.ts) holds the result; these are what its tests exercise.
import type { MetricPoint, MediaRef, RunDetail, RunStatus, RunSummary, TrainingEvent } from '../../../electron/api.js';
import type { NoticeKind } from './client.js';

export interface LiveProgress {
  iteration: number;
  total: number;
  itPerSec: number;
  etaSeconds: number;
  losses: Record<string, number>;
}

export interface RunsSnapshot {
  list: RunSummary[];
  /** The run open in Runs (or just started in Train), and what is known of it once its detail has come. */
  watchedId: string | null;
  detail: RunDetail | null;
  progress: LiveProgress | null;
}

export interface RunsOutcome {
  runs: RunsSnapshot;
  notice: { kind: NoticeKind; text: string } | null;
  /** The list no longer says all there is (a run it does not have, or a run that ended): fetch it again. */
  refreshList: boolean;
}

export const NO_RUNS: RunsSnapshot = { list: [], watchedId: null, detail: null, progress: null };

export function statusAfter(event: TrainingEvent): RunStatus | null {
  if (event.type === 'started' || event.type === 'progress') return 'running';
  if (event.type === 'failed') return 'failed';
  if (event.type === 'stopped') return event.reason === 'done' ? 'done' : event.reason === 'paused' ? 'paused' : 'stopped';
  return null;
}

/** `media`: a sample event's grid, as a workspace file. */
export function trainingEventApplied(runs: RunsSnapshot, runId: string, event: TrainingEvent, media?: MediaRef): RunsOutcome {
  let { list } = runs;
  const summary = list.find((r) => r.id === runId);
  let refreshList = !summary;
  if (summary && (event.type === 'progress' || event.type === 'stopped' || event.type === 'failed' || event.type === 'started')) {
    const status = statusAfter(event) ?? summary.status;
    const iteration = event.type === 'progress' || event.type === 'stopped' ? event.iteration : summary.iteration;
    const active = event.type === 'started' || event.type === 'progress';
    list = list.map((r) => (r.id === runId ? { ...r, status, iteration, active } : r));
  }
  const detail = runs.detail;
  const next: RunsSnapshot = { ...runs, list };
  // Warnings and failures are told for the run being watched; the others' show in the list.
  if (runId !== runs.watchedId || !detail) return { runs: next, notice: null, refreshList };
  let notice: RunsOutcome['notice'] = null;
  switch (event.type) {
    case 'started':
      next.detail = { ...detail, status: 'running', active: true, backend: event.backend, totalIterations: event.totalIterations };
      break;
    case 'progress': {
      // The chart takes the iterations metrics.jsonl logs, so that it looks the same when the run is reopened.
      const logEvery = Number(detail.settings.logEvery) || 1;
      const logged = event.iteration % logEvery === 0 || event.iteration === event.total;
      const point: MetricPoint = { iteration: event.iteration, losses: event.losses, lr: event.lr, elapsedMs: 0 };
      const metrics = logged ? [...detail.metrics.filter((m) => m.iteration < event.iteration), point] : detail.metrics;
      next.detail = { ...detail, metrics, iteration: event.iteration, totalIterations: event.total, status: 'running', active: true };
      next.progress = { iteration: event.iteration, total: event.total, itPerSec: event.itPerSec, etaSeconds: event.etaSeconds, losses: event.losses };
      break;
    }
    case 'sample':
      if (media)
        next.detail = {
          ...detail,
          lastSample: media,
          sampleRows: event.rows,
          samples: [...detail.samples.filter((s) => s.iteration !== event.iteration), { iteration: event.iteration, media }],
        };
      break;
    case 'warning':
      notice = { kind: 'info', text: event.message };
      break;
    case 'stopped':
      next.detail = { ...detail, status: statusAfter(event)!, active: false, iteration: event.iteration };
      refreshList = true;
      break;
    case 'failed':
      next.detail = { ...detail, status: 'failed', active: false, lastError: event.message };
      notice = { kind: 'error', text: `Training failed: ${event.message}` };
      refreshList = true;
      break;
  }
  return { runs: next, notice, refreshList };
}

/** A fresh list from the back end; the watched run's detail takes its status and exports when they changed. */
export function listReplied(runs: RunsSnapshot, list: RunSummary[]): RunsSnapshot {
  const mine = list.find((r) => r.id === runs.watchedId);
  const detail = runs.detail;
  if (mine && detail && (mine.status !== detail.status || mine.exports.length !== detail.exports.length))
    return { ...runs, list, detail: { ...detail, ...mine } };
  return { ...runs, list };
}

/** A run just opened: its progress so far comes from its last logged losses (no rate yet). */
export function progressOf(detail: RunDetail): LiveProgress | null {
  const last = detail.metrics.at(-1);
  return last ? { iteration: detail.iteration, total: detail.totalIterations, itPerSec: 0, etaSeconds: NaN, losses: last.losses } : null;
}

/**
 * Replies may come back out of order: each request takes a ticket, and only the newest ticket's reply is taken
 * (an older list would bring back "training" for a run that has just finished).
 */
export class NewestOnly {
  #issued = 0;

  ticket(): number {
    return ++this.#issued;
  }

  isNewest(ticket: number): boolean {
    return ticket === this.#issued;
  }
}
