// Runs: the list of training runs, and the one run being watched (opened in Runs, or just started in Train),
// kept live from training events: losses for the chart, the latest sample grid, iteration, rate, ETA.
import type { RunDetail, RunList, RunSummary, TrainRequest } from '../../../electron/api.js';
import type { StudioClient } from './client.js';
import type { ModelsState } from './models.svelte.js';
import { NO_RUNS, NewestOnly, listReplied, progressOf, trainingEventApplied, type LiveProgress, type RunsOutcome, type RunsSnapshot } from './runs-events.js';
import { remember } from './remember.js';

export type { LiveProgress };
export type RunAction = 'pause' | 'resume' | 'more' | 'stop' | 'export' | 'delete';

export class RunsState {
  /** The list and the watched run, replaced as a whole by each event or reply (runs-events.ts). */
  #runs = $state.raw<RunsSnapshot>(NO_RUNS);
  /** The action in flight for the watched run, to disable its buttons. */
  busy = $state<RunAction | 'start' | null>(null);
  /** Run folders the list left out (browser mode: links leading out of the workspace), each with why. */
  leftOut = $state.raw<RunList['leftOut']>([]);
  readonly #client: StudioClient;
  /** Exporting adds models: their list is fetched again. */
  readonly #models: Pick<ModelsState, 'refresh'>;
  readonly #listReplies = new NewestOnly();

  constructor(client: StudioClient, models: Pick<ModelsState, 'refresh'>) {
    this.#client = client;
    this.#models = models;
    client.onEvent((event) => {
      if (event.type === 'training') this.#follow(trainingEventApplied(this.#runs, event.jobId, event.event, event.media));
      if (event.type === 'changed' && event.what === 'runs') void this.refresh();
    });
  }

  get list(): RunSummary[] {
    return this.#runs.list;
  }

  get watchedId(): string | null {
    return this.#runs.watchedId;
  }

  /** The watched run's detail, once it has come. */
  get detail(): RunDetail | null {
    return this.#runs.detail;
  }

  /** The watched run's iteration, rate, ETA and losses. */
  get progress(): LiveProgress | null {
    return this.#runs.progress;
  }

  /** Runs with a trainer at work right now: this studio's, or another process's (`darkroom train`). */
  get live(): RunSummary[] {
    return this.list.filter((r) => r.status === 'running');
  }

  async refresh(): Promise<void> {
    const ticket = this.#listReplies.ticket();
    const list = await this.#client.call('runs.list', {});
    if (!this.#listReplies.isNewest(ticket)) return;
    this.#runs = listReplied(this.#runs, list.runs);
    this.leftOut = list.leftOut;
  }

  async watch(runId: string): Promise<void> {
    this.#runs = { ...this.#runs, watchedId: runId, progress: null };
    remember('watched', runId);
    const detail = await this.#client.call('runs.get', { runId });
    if (this.watchedId !== runId) return;
    this.#runs = { ...this.#runs, detail, progress: progressOf(detail) };
  }

  /** Starts a run and watches it; resolves to its id. */
  async start(request: TrainRequest): Promise<string> {
    this.busy = 'start';
    try {
      const run = await this.#client.call('training.start', request);
      await this.refresh();
      await this.watch(run.id);
      return run.id;
    } finally {
      this.busy = null;
    }
  }

  /** `iterations`: for 'more', the run's new total. */
  async act(action: RunAction, runId = this.watchedId, iterations?: number): Promise<void> {
    if (!runId) return;
    this.busy = action;
    try {
      if (action === 'pause') await this.#client.call('training.pause', { runId });
      if (action === 'stop') await this.#client.call('training.stop', { runId });
      if (action === 'resume') await this.#client.call('training.resume', { runId });
      if (action === 'more') await this.#client.call('training.resume', { runId, iterations });
      if (action === 'export') {
        const models = await this.#client.call('runs.export', { runId });
        this.#client.notify('info', `Exported ${models.map((m) => m.name).join(' and ')} to ONNX. Find them in Models, Convert and Batch.`);
        await this.#models.refresh();
      }
      if (action === 'delete') {
        await this.#client.call('runs.delete', { runId });
        if (this.watchedId === runId) this.#runs = { ...this.#runs, watchedId: null, detail: null, progress: null };
      }
      await this.refresh();
      if (this.watchedId === runId && action !== 'delete') await this.watch(runId);
    } catch {
      // shown as a notice
    } finally {
      this.busy = null;
    }
  }

  #follow({ runs, notice, refreshList }: RunsOutcome): void {
    this.#runs = runs;
    if (notice) this.#client.notify(notice.kind, notice.text);
    if (refreshList) void this.refresh();
  }
}
