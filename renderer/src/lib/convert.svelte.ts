// Convert view logic: one photo in (dropped, pasted or opened), translated at full resolution by the
// chosen model, compared before/after, saved in a chosen format.
import type { ConvertResult, OutputFormat } from '../../../electron/api.js';
import type { AppState } from './app.svelte.js';
import { fileToBase64 } from './format.js';

export type SaveFormat = Exclude<OutputFormat, 'same'>;

export class ConvertState {
  modelId = $state('');
  result = $state.raw<ConvertResult | null>(null);
  working = $state(false);
  /** The local file path typed or picked (browser mode types one; Electron opens a dialog). */
  path = $state('');
  saveFormat = $state<SaveFormat>('png');
  quality = $state(90);
  saving = $state(false);
  readonly #app: AppState;

  constructor(app: AppState) {
    this.#app = app;
  }

  /** Image-to-image models: the ones Convert can use. */
  get models() {
    return this.#app.models.list.filter((m) => m.input === 'image');
  }

  #ensureModel(): boolean {
    if (!this.modelId) this.modelId = this.models[0]?.id ?? '';
    if (!this.modelId) {
      this.#app.notify('error', 'There is no image-to-image model yet: export a trained run (Runs → Export) or import an ONNX file in Models.');
      return false;
    }
    return true;
  }

  async convertFile(file: File): Promise<void> {
    if (!file.type.startsWith('image/') && !/\.(jpe?g|png|webp|tiff?|avif|gif)$/i.test(file.name)) {
      this.#app.notify('error', `${file.name} is not an image Darkroom can read (JPEG, PNG, WebP, TIFF, AVIF).`);
      return;
    }
    if (!this.#ensureModel()) return;
    this.working = true;
    try {
      const base64 = await fileToBase64(file);
      this.result = await this.#app.call('convert.image', { modelId: this.modelId, image: { name: file.name || 'pasted.png', base64 } });
    } catch {
      // shown as a notice
    } finally {
      this.working = false;
    }
  }

  async convertPath(path = this.path.trim()): Promise<void> {
    if (!path) return;
    if (!this.#ensureModel()) return;
    this.working = true;
    try {
      this.result = await this.#app.call('convert.image', { modelId: this.modelId, image: { path } });
    } catch {
      // shown as a notice
    } finally {
      this.working = false;
    }
  }

  /** Runs the current input again with another model. */
  async rerun(): Promise<void> {
    if (!this.result) return;
    this.working = true;
    try {
      this.result = await this.#app.call('convert.image', { modelId: this.modelId, image: { path: this.#app.info!.workspace + '/' + this.result.input } });
    } catch {
      // shown as a notice
    } finally {
      this.working = false;
    }
  }

  get saveName(): string {
    const base = (this.result?.inputName ?? 'image').replace(/\.[^.]+$/, '');
    return `${base}-translated.${this.saveFormat}`;
  }

  /** Saves in the chosen format: to a chosen path (Electron), else as a browser download. */
  async save(): Promise<void> {
    if (!this.result) return;
    this.saving = true;
    try {
      const native = this.#app.transport.native;
      let path: string | undefined;
      if (native) {
        const chosen = await native.saveFile(this.saveName);
        if (!chosen) return;
        path = chosen;
      }
      const saved = await this.#app.call('convert.save', {
        resultId: this.result.id,
        format: this.saveFormat,
        ...(this.saveFormat === 'png' ? {} : { quality: this.quality }),
        ...(path ? { path } : {}),
      });
      if (saved.path) this.#app.notify('info', `Saved ${saved.path}`);
      else {
        const link = document.createElement('a');
        link.href = this.#app.mediaUrl(saved.media, { download: this.saveName });
        link.download = this.saveName;
        document.body.append(link);
        link.click();
        link.remove();
      }
    } catch {
      // shown as a notice
    } finally {
      this.saving = false;
    }
  }
}
