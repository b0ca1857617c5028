// Convert view logic: photos in (dropped, pasted or opened; several wait in a queue), each translated at full
// resolution by the chosen model on the chosen device with tile progress and a Cancel, compared before/after
// or with another model's result side by side, saved in a chosen format. The shown result stays until the
// next one is ready.
import type { ConvertProgress, ConvertResult, DeviceChoice, OutputFormat } from '../../../electron/api.js';
import type { StudioClient } from './client.js';
import type { ModelsState } from './models.svelte.js';
import { keepForm } from './keep-form.svelte.js';
import { fileToBase64, formatBytes } from './format.js';
import { hasImageExtension } from '../../../models/data/image-io/formats.js';

export type SaveFormat = Exclude<OutputFormat, 'same'>;

/** A photo waiting its turn: a dropped file, or a path on this machine (Electron's dialog, a converted photo). */
export interface QueuedPhoto {
  key: number;
  name: string;
  source: File | string;
  /** The model it is converted with (the menu's choice when it was queued, or the comparison's). */
  modelId: string;
  /** Side by side with the shown result, rather than replacing it. */
  forComparison: boolean;
}

export interface Converting extends QueuedPhoto {
  jobId: string;
  tiles: ConvertProgress | null;
  startedAt: number;
  cancelling: boolean;
}

export class ConvertState {
  modelId = $state('');
  /** Where ONNX Runtime runs the model: auto, or a device by name (the Devices view lists them). */
  device = $state<DeviceChoice>('auto');
  result = $state.raw<ConvertResult | null>(null);
  /** The shown photo translated by a second model, shown side by side with `result`. */
  comparison = $state.raw<ConvertResult | null>(null);
  compareModelId = $state('');
  queue = $state<QueuedPhoto[]>([]);
  current = $state<Converting | null>(null);
  /** Now, refreshed while converting, for the ETA. */
  now = $state(0);
  saveFormat = $state<SaveFormat>('png');
  quality = $state(90);
  saving = $state(false);
  readonly #client: StudioClient;
  readonly #models: Pick<ModelsState, 'list'>;
  #nextKey = 1;

  constructor(client: StudioClient, models: Pick<ModelsState, 'list'>) {
    this.#client = client;
    this.#models = models;
    keepForm('convert', this, ['modelId', 'device', 'compareModelId', 'saveFormat', 'quality']);
    client.onEvent((event) => {
      if (event.type === 'convert') this.#onTiles(event.jobId, event.event);
    });
  }

  /** Image-to-image models: the ones Convert can use. */
  get models() {
    return this.#models.list.filter((m) => m.input === 'image');
  }

  get working(): boolean {
    return this.current !== null;
  }

  /**
   * Seconds left for the current photo: before its first tile, the studio's up-front estimate from the tile count;
   * then from the time its tiles have taken so far. Null while there is no measure.
   */
  get etaSeconds(): number | null {
    const tiles = this.current?.tiles;
    if (tiles?.done === 0) return tiles.estimatedSeconds ?? null;
    if (!tiles || tiles.done >= tiles.total) return null;
    const perTile = (this.now - this.current!.startedAt) / 1000 / tiles.done;
    return perTile * (tiles.total - tiles.done);
  }

  modelName(id: string): string {
    return this.models.find((m) => m.id === id)?.name ?? 'a removed model';
  }

  #ensureModel(): boolean {
    if (!this.modelId) this.modelId = this.models[0]?.id ?? '';
    if (!this.modelId) {
      this.#client.notify('error', 'There is no image-to-image model yet: export a trained run (Runs → Export) or import an ONNX file in Models.');
      return false;
    }
    return true;
  }

  /** Queues dropped or pasted files (every image among them, in order); files that are not images are named. */
  addFiles(files: File[]): void {
    const images = files.filter((f) => f.type.startsWith('image/') || hasImageExtension(f.name));
    for (const file of files.filter((f) => !images.includes(f)))
      this.#client.notify('error', `${file.name} is not an image Darkroom can read (JPEG, PNG, WebP, TIFF, AVIF, GIF, HEIC).`);
    if (images.length === 0 || !this.#ensureModel()) return;
    for (const file of images) this.#enqueue(file.name || 'pasted.png', file, this.modelId, false);
  }

  addPath(path: string): void {
    if (!path.trim() || !this.#ensureModel()) return;
    this.#enqueue(path.split(/[\\/]/).pop() || path, path.trim(), this.modelId, false);
  }

  /** The shown photo again, with the model now chosen in the menu. */
  rerun(): void {
    if (!this.result || !this.#ensureModel()) return;
    this.#enqueue(this.result.inputName, this.result.inputPath, this.modelId, false);
  }

  /** The shown photo through the comparison model, side by side with the shown result. */
  compare(): void {
    if (!this.result || !this.compareModelId) return;
    this.#enqueue(this.result.inputName, this.result.inputPath, this.compareModelId, true);
  }

  closeComparison(): void {
    this.comparison = null;
  }

  removeQueued(key: number): void {
    this.queue = this.queue.filter((q) => q.key !== key);
  }

  /** Stops the photo being translated (after its current tile) and drops the ones waiting. */
  async cancel(): Promise<void> {
    const current = this.current;
    if (!current || current.cancelling) return;
    current.cancelling = true;
    this.queue = [];
    await this.#client.invoke('convert.cancel', { jobId: current.jobId }).catch(() => {
      // it finished meanwhile
    });
  }

  #onTiles(jobId: string, tiles: ConvertProgress): void {
    if (this.current?.jobId !== jobId) return;
    this.current.tiles = tiles;
    this.now = performance.now();
  }

  #enqueue(name: string, source: File | string, modelId: string, forComparison: boolean): void {
    this.queue = [...this.queue, { key: this.#nextKey++, name, source, modelId, forComparison }];
    if (!this.current) void this.#drain();
  }

  async #drain(): Promise<void> {
    while (this.queue.length > 0) {
      const [next, ...rest] = this.queue;
      this.queue = rest;
      await this.#convert(next);
    }
  }

  async #convert(photo: QueuedPhoto): Promise<void> {
    const jobId = `convert-${Date.now().toString(36)}-${photo.key}`;
    this.current = { ...photo, jobId, tiles: null, startedAt: performance.now(), cancelling: false };
    const ticker = setInterval(() => (this.now = performance.now()), 1000);
    try {
      const image = typeof photo.source === 'string' ? { path: photo.source } : { name: photo.name, base64: await fileToBase64(photo.source) };
      const result = await this.#client.invoke('convert.image', { modelId: photo.modelId, image, device: this.device, jobId });
      if (photo.forComparison) this.comparison = result;
      else {
        this.result = result;
        this.comparison = null;
      }
    } catch (error) {
      // A photo the user cancelled needs no notice: the previous result simply stays.
      if (!this.current?.cancelling) this.#client.notify('error', `${photo.name}: ${(error as Error).message}`);
    } finally {
      clearInterval(ticker);
      this.current = null;
    }
  }

  get saveName(): string {
    const base = (this.result?.inputName ?? 'image').replace(/\.[^.]+$/, '');
    return `${base}-translated.${this.saveFormat}`;
  }

  /** Saves the shown result in the chosen format (not converted again): to a chosen path (Electron), else as a browser download. */
  async save(): Promise<void> {
    if (!this.result) return;
    this.saving = true;
    try {
      const native = this.#client.native;
      let path: string | undefined;
      if (native) {
        const chosen = await native.saveFile(this.saveName);
        if (!chosen) return;
        path = chosen;
      }
      const saved = await this.#client.call('convert.save', {
        resultId: this.result.id,
        format: this.saveFormat,
        ...(this.saveFormat === 'png' ? {} : { quality: this.quality }),
        ...(path ? { path } : {}),
      });
      if (saved.path) this.#client.notify('info', `Saved ${saved.path}`);
      else {
        const link = document.createElement('a');
        link.href = this.#client.mediaUrl(saved.media, { download: this.saveName });
        link.download = this.saveName;
        document.body.append(link);
        link.click();
        link.remove();
        // The browser may save it without a word: say what was handed to it, and where to look.
        this.#client.notify('info', `Saved ${saved.fileName} (${formatBytes(saved.bytes)}) to your browser's downloads.`);
      }
    } catch {
      // shown as a notice
    } finally {
      this.saving = false;
    }
  }
}
