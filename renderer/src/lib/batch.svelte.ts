// Batch view logic: a folder in, a folder out, one model; progress, cancel and the failures report.
import type { BatchEvent, DeviceChoice, FormatChoice, StudioBatchEvent } from '../../../electron/api.js';
import type { AppState } from './app.svelte.js';

export interface BatchProgress {
  done: number;
  total: number;
  current: string | null;
  itemsPerSec: number;
  etaSeconds: number;
}

export class BatchState {
  /** Where ONNX Runtime runs the model: auto, or a device by name (the Devices view lists them). */
  device = $state<DeviceChoice>('auto');
  modelId = $state('');
  input = $state('');
  output = $state('');
  format = $state<FormatChoice>('same');
  quality = $state(90);
  recursive = $state(true);
  overwrite = $state(false);
  jobId = $state<string | null>(null);
  running = $state(false);
  progress = $state.raw<BatchProgress | null>(null);
  finished = $state.raw<Extract<BatchEvent, { type: 'finished' }> | null>(null);
  /** Why the batch stopped, when it failed as a whole after starting (no report follows). */
  error = $state<string | null>(null);
  /** Failures as they happen, before the final report. */
  failures = $state.raw<{ file: string; reason: string }[]>([]);
  readonly #app: AppState;

  constructor(app: AppState) {
    this.#app = app;
  }

  get models() {
    return this.#app.models.list.filter((m) => m.input === 'image');
  }

  get problem(): string | null {
    if (!this.modelId) return 'Choose a model.';
    if (!this.input.trim()) return 'Choose the folder of photos to convert.';
    if (!this.output.trim()) return 'Choose where the converted photos go.';
    return null;
  }

  async start(): Promise<void> {
    if (!this.modelId) this.modelId = this.models[0]?.id ?? '';
    const problem = this.problem;
    if (problem) {
      this.#app.notify('error', problem);
      return;
    }
    this.finished = null;
    this.error = null;
    this.failures = [];
    this.progress = null;
    try {
      this.running = true;
      const { jobId } = await this.#app.call('batch.start', {
        modelId: this.modelId,
        input: this.input.trim(),
        output: this.output.trim(),
        format: this.format,
        quality: this.quality,
        recursive: this.recursive,
        overwrite: this.overwrite,
        device: this.device,
      });
      this.jobId = jobId;
    } catch {
      this.running = false;
    }
  }

  async cancel(): Promise<void> {
    if (this.jobId) await this.#app.call('batch.cancel', { jobId: this.jobId }).catch(() => {});
  }

  /** Paths inside the input folder are shown relative to it. */
  #relative(path: string): string {
    const base = this.input.trim().replace(/[\\/]+$/, '');
    return path.startsWith(base + '/') || path.startsWith(base + '\\') ? path.slice(base.length + 1) : path;
  }

  onBatchEvent(jobId: string, event: StudioBatchEvent): void {
    if (this.jobId !== null && jobId !== this.jobId) return;
    this.jobId = jobId;
    switch (event.type) {
      case 'started':
        this.running = true;
        this.progress = { done: 0, total: event.total, current: null, itemsPerSec: 0, etaSeconds: NaN };
        break;
      case 'progress':
        this.progress = { done: event.done, total: event.total, current: event.current, itemsPerSec: event.imagesPerMinute / 60, etaSeconds: event.etaSeconds ?? NaN };
        break;
      case 'item':
        if (event.status === 'failed') this.failures = [...this.failures, { file: this.#relative(event.path), reason: event.reason ?? 'failed' }];
        break;
      case 'finished':
        this.running = false;
        this.finished = event;
        this.failures = event.failed.map((f) => ({ file: this.#relative(f.path), reason: f.reason }));
        if (this.progress) this.progress = { ...this.progress, done: this.progress.total, current: null };
        break;
      case 'failed':
        this.running = false;
        this.error = event.message;
        if (this.progress) this.progress = { ...this.progress, current: null };
        this.#app.notify('error', `The batch stopped: ${event.message}`);
        break;
    }
  }
}
