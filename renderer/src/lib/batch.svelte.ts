// Batch view logic: a folder in, a folder out, one model; progress counted as converted, skipped and failed,
// cancel, the failures report, the output folder to open, and a gallery of the converted photos.
import type { DeviceChoice, ResponseOf, FormatChoice } from '../../../electron/api.js';
import type { StudioClient } from './client.js';
import type { ModelsState } from './models.svelte.js';
import { keepForm } from './keep-form.svelte.js';
import { NO_BATCH, batchEventApplied, relativeTo, type BatchSnapshot } from './batch-events.js';

export type { BatchProgress } from './batch-events.js';

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
  /** The job and what its events said so far, replaced as a whole by each (batch-events.ts). */
  #batch = $state.raw<BatchSnapshot>(NO_BATCH);
  /** The gallery photo open in the before/after view. */
  opened = $state.raw<(ResponseOf<'batch.preview'> & { name: string }) | null>(null);
  opening = $state<string | null>(null);
  readonly #client: StudioClient;
  readonly #models: Pick<ModelsState, 'list'>;

  constructor(client: StudioClient, models: Pick<ModelsState, 'list'>) {
    this.#client = client;
    this.#models = models;
    keepForm('batch', this, ['device', 'modelId', 'input', 'output', 'format', 'quality', 'recursive', 'overwrite']);
    client.onEvent((event) => {
      if (event.type !== 'batch') return;
      const { batch, notice } = batchEventApplied(this.#batch, event.jobId, event.event, this.input);
      this.#batch = batch;
      if (notice) client.notify('error', notice);
    });
  }

  get jobId() {
    return this.#batch.jobId;
  }
  get running() {
    return this.#batch.running;
  }
  get cancelling() {
    return this.#batch.cancelling;
  }
  get outputFolder() {
    return this.#batch.outputFolder;
  }
  get gallery() {
    return this.#batch.gallery;
  }
  get progress() {
    return this.#batch.progress;
  }
  get finished() {
    return this.#batch.finished;
  }
  get error() {
    return this.#batch.error;
  }
  get failures() {
    return this.#batch.failures;
  }

  get models() {
    return this.#models.list.filter((m) => m.input === 'image');
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
      this.#client.notify('error', problem);
      return;
    }
    this.opened = null;
    // A new job: events of the last one no longer apply (the new one's may arrive before its id does).
    this.#batch = { ...NO_BATCH, running: true };
    try {
      const { jobId } = await this.#client.call('batch.start', {
        modelId: this.modelId,
        input: this.input.trim(),
        output: this.output.trim(),
        format: this.format,
        quality: this.quality,
        recursive: this.recursive,
        overwrite: this.overwrite,
        device: this.device,
      });
      this.#batch = { ...this.#batch, jobId };
    } catch {
      this.#batch = { ...this.#batch, running: false };
    }
  }

  async cancel(): Promise<void> {
    const jobId = this.jobId;
    if (!jobId || this.cancelling) return;
    this.#batch = { ...this.#batch, cancelling: true };
    await this.#client.call('batch.cancel', { jobId }).catch(() => (this.#batch = { ...this.#batch, cancelling: false }));
  }

  /** Opens a converted photo in the before/after view. */
  async open(path: string): Promise<void> {
    if (!this.jobId) return;
    this.opening = path;
    try {
      this.opened = { ...(await this.#client.call('batch.preview', { jobId: this.jobId, path })), name: relativeTo(this.input, path) };
    } catch {
      // shown as a notice
    } finally {
      this.opening = null;
    }
  }

  /** The output folder in the system's file manager (Electron); browser mode shows the path to copy instead. */
  async openOutputFolder(): Promise<void> {
    const native = this.#client.native;
    if (!native || !this.outputFolder) return;
    await native.openFolder(this.outputFolder).catch((error: Error) => this.#client.notify('error', error.message));
  }
}
