// Batch view logic: a folder in, a folder out, one model; progress counted as converted, skipped and failed,
// cancel, the failures report, the output folder to open, and a gallery of the converted photos.
import type { BatchCounts, BatchEvent, DeviceChoice, MediaRef, ResponseOf, FormatChoice, StudioBatchEvent } from '../../../electron/api.js';
import type { AppState } from './app.svelte.js';
import { keepForm } from './keep-form.svelte.js';

export interface BatchProgress {
  done: number;
  total: number;
  counts: BatchCounts;
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
  /** Cancel was pressed: the photo being translated finishes first. */
  cancelling = $state(false);
  /** The output folder as the batch resolved it. */
  outputFolder = $state<string | null>(null);
  /** Converted photos' thumbnails, in the order they were written. */
  gallery = $state.raw<{ path: string; name: string; media: MediaRef }[]>([]);
  /** The gallery photo open in the before/after view. */
  opened = $state.raw<(ResponseOf<'batch.preview'> & { name: string }) | null>(null);
  opening = $state<string | null>(null);
  progress = $state.raw<BatchProgress | null>(null);
  finished = $state.raw<Extract<BatchEvent, { type: 'finished' }> | null>(null);
  /** Why the batch stopped, when it failed as a whole after starting (no report follows). */
  error = $state<string | null>(null);
  /** Failures as they happen, before the final report. */
  failures = $state.raw<{ file: string; reason: string }[]>([]);
  readonly #app: AppState;

  constructor(app: AppState) {
    this.#app = app;
    keepForm('batch', this, ['device', 'modelId', 'input', 'output', 'format', 'quality', 'recursive', 'overwrite']);
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
    this.gallery = [];
    this.opened = null;
    // A new job: events of the last one no longer apply (the new one's may arrive before its id does).
    this.jobId = null;
    this.outputFolder = null;
    this.cancelling = false;
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
    if (!this.jobId || this.cancelling) return;
    this.cancelling = true;
    await this.#app.call('batch.cancel', { jobId: this.jobId }).catch(() => (this.cancelling = false));
  }

  /** Opens a converted photo in the before/after view. */
  async open(path: string): Promise<void> {
    if (!this.jobId) return;
    this.opening = path;
    try {
      this.opened = { ...(await this.#app.call('batch.preview', { jobId: this.jobId, path })), name: this.#relative(path) };
    } catch {
      // shown as a notice
    } finally {
      this.opening = null;
    }
  }

  /** The output folder in the system's file manager (Electron); browser mode shows the path to copy instead. */
  async openOutputFolder(): Promise<void> {
    const native = this.#app.transport.native;
    if (!native || !this.outputFolder) return;
    await native.openFolder(this.outputFolder).catch((error: Error) => this.#app.notify('error', error.message));
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
        this.outputFolder = event.out;
        this.progress = { done: 0, total: event.total, counts: { total: event.total, done: 0, skipped: 0, failed: 0, pending: event.total }, current: null, itemsPerSec: 0, etaSeconds: NaN };
        break;
      case 'progress':
        this.progress = { done: event.done, total: event.total, counts: event.counts, current: event.current, itemsPerSec: event.imagesPerMinute / 60, etaSeconds: event.etaSeconds ?? NaN };
        break;
      case 'thumbnail':
        this.gallery = [...this.gallery, { path: event.path, name: this.#relative(event.path), media: event.media }];
        break;
      case 'item':
        if (event.status === 'failed') this.failures = [...this.failures, { file: this.#relative(event.path), reason: event.reason ?? 'failed' }];
        break;
      case 'finished':
        this.running = false;
        this.cancelling = false;
        this.finished = event;
        this.failures = event.failed.map((f) => ({ file: this.#relative(f.path), reason: f.reason }));
        if (this.progress) this.progress = { ...this.progress, done: event.counts.total - event.counts.pending, counts: event.counts, current: null };
        break;
      case 'failed':
        this.running = false;
        this.cancelling = false;
        this.error = event.message;
        if (this.progress) this.progress = { ...this.progress, current: null };
        this.#app.notify('error', `The batch stopped: ${event.message}`);
        break;
    }
  }
}
