// Runs: the list of training runs, and the one run being watched (opened in Runs, or just started in Train),
// kept live from training events: losses for the chart, the latest sample grid, iteration, rate, ETA.
import type { MetricPoint, RunDetail, RunStatus, RunSummary, TrainingEvent, TrainRequest } from '../../../electron/api.js';
import type { AppState } from './app.svelte.js';
import { remember } from './remember.js';

export interface LiveProgress {
  iteration: number;
  total: number;
  itPerSec: number;
  etaSeconds: number;
  losses: Record<string, number>;
}

export type RunAction = 'pause' | 'resume' | 'more' | 'stop' | 'export' | 'delete';

export class RunsState {
  list = $state.raw<RunSummary[]>([]);
  watchedId = $state<string | null>(null);
  detail = $state.raw<RunDetail | null>(null);
  progress = $state.raw<LiveProgress | null>(null);
  /** The action in flight for the watched run, to disable its buttons. */
  busy = $state<RunAction | 'start' | null>(null);
  readonly #app: AppState;
  /** Refreshes may answer out of order: only the newest one's list is kept (an older one would bring back "training"). */
  #refreshes = 0;

  constructor(app: AppState) {
    this.#app = app;
  }

  /** Runs with a trainer at work right now: this studio's, or another process's (`darkroom train`). */
  get live(): RunSummary[] {
    return this.list.filter((r) => r.status === 'running');
  }

  get watched(): RunDetail | null {
    return this.detail;
  }

  async refresh(): Promise<void> {
    const mine = ++this.#refreshes;
    const list = await this.#app.call('runs.list', {});
    if (mine !== this.#refreshes) return;
    this.list = list;
    this.#keepWatchedInStep();
  }

  #keepWatchedInStep(): void {
    const mine = this.list.find((r) => r.id === this.watchedId);
    if (mine && this.detail && (mine.status !== this.detail.status || mine.exports.length !== this.detail.exports.length))
      this.detail = { ...this.detail, ...mine };
  }

  async watch(runId: string): Promise<void> {
    this.watchedId = runId;
    remember('watched', runId);
    this.progress = null;
    const detail = await this.#app.call('runs.get', { runId });
    if (this.watchedId !== runId) return;
    this.detail = detail;
    const last = detail.metrics.at(-1);
    if (last)
      this.progress = { iteration: detail.iteration, total: detail.totalIterations, itPerSec: 0, etaSeconds: NaN, losses: last.losses };
  }

  async start(request: TrainRequest): Promise<void> {
    this.busy = 'start';
    try {
      const run = await this.#app.call('training.start', request);
      await this.refresh();
      await this.watch(run.id);
    } finally {
      this.busy = null;
    }
  }

  /** `iterations`: for 'more', the run's new total. */
  async act(action: RunAction, runId = this.watchedId, iterations?: number): Promise<void> {
    if (!runId) return;
    this.busy = action;
    try {
      if (action === 'pause') await this.#app.call('training.pause', { runId });
      if (action === 'stop') await this.#app.call('training.stop', { runId });
      if (action === 'resume') await this.#app.call('training.resume', { runId });
      if (action === 'more') await this.#app.call('training.resume', { runId, iterations });
      if (action === 'export') {
        const models = await this.#app.call('runs.export', { runId });
        this.#app.notify('info', `Exported ${models.map((m) => m.name).join(' and ')} to ONNX. Find them in Models, Convert and Batch.`);
        await this.#app.models.refresh();
      }
      if (action === 'delete') {
        await this.#app.call('runs.delete', { runId });
        if (this.watchedId === runId) {
          this.watchedId = null;
          this.detail = null;
          this.progress = null;
        }
      }
      await this.refresh();
      if (this.watchedId === runId && action !== 'delete') await this.watch(runId);
    } catch {
      // shown as a notice
    } finally {
      this.busy = null;
    }
  }

  onTrainingEvent(runId: string, event: TrainingEvent, media?: string): void {
    const summary = this.list.find((r) => r.id === runId);
    if (!summary) {
      void this.refresh();
    } else if (event.type === 'progress' || event.type === 'stopped' || event.type === 'failed' || event.type === 'started') {
      const status = statusAfter(event) ?? summary.status;
      const iteration = event.type === 'progress' || event.type === 'stopped' ? event.iteration : summary.iteration;
      const active = event.type === 'started' || event.type === 'progress';
      this.list = this.list.map((r) => (r.id === runId ? { ...r, status, iteration, active } : r));
    }
    if (runId !== this.watchedId || !this.detail) return;
    const detail = this.detail;
    switch (event.type) {
      case 'started':
        this.detail = { ...detail, status: 'running', active: true, backend: event.backend, totalIterations: event.totalIterations };
        break;
      case 'progress': {
        // The chart takes the iterations metrics.jsonl logs, so that it looks the same when the run is reopened.
        const logEvery = Number(detail.settings.logEvery) || 1;
        const logged = event.iteration % logEvery === 0 || event.iteration === event.total;
        const point: MetricPoint = { iteration: event.iteration, losses: event.losses, lr: event.lr, elapsedMs: 0 };
        const metrics = logged ? [...detail.metrics.filter((m) => m.iteration < event.iteration), point] : detail.metrics;
        this.detail = { ...detail, metrics, iteration: event.iteration, totalIterations: event.total, status: 'running', active: true };
        this.progress = { iteration: event.iteration, total: event.total, itPerSec: event.itPerSec, etaSeconds: event.etaSeconds, losses: event.losses };
        break;
      }
      case 'sample':
        if (media)
          this.detail = {
            ...detail,
            lastSample: media,
            sampleRows: event.rows,
            samples: [...detail.samples.filter((s) => s.iteration !== event.iteration), { iteration: event.iteration, media }],
          };
        break;
      case 'warning':
        this.#app.notify('info', event.message);
        break;
      case 'stopped':
        this.detail = { ...detail, status: statusAfter(event)!, active: false, iteration: event.iteration };
        void this.refresh();
        break;
      case 'failed':
        this.detail = { ...detail, status: 'failed', active: false, lastError: event.message };
        this.#app.notify('error', `Training failed: ${event.message}`);
        void this.refresh();
        break;
    }
  }
}

function statusAfter(event: TrainingEvent): RunStatus | null {
  if (event.type === 'started' || event.type === 'progress') return 'running';
  if (event.type === 'failed') return 'failed';
  if (event.type === 'stopped') return event.reason === 'done' ? 'done' : event.reason === 'paused' ? 'paused' : 'stopped';
  return null;
}
