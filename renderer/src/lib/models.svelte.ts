// Models view logic: exported and imported ONNX models, importing one, and drawing images from VAE/GAN decoders.
import type { ModelInfo, RequestOf } from '../../../electron/api.js';
import type { StudioClient } from './client.js';
import { fileToBase64 } from './format.js';
import { recall, remember } from './remember.js';

type ImportRequest = RequestOf<'models.import'>;

export class ModelsState {
  list = $state.raw<ModelInfo[]>([]);
  /** The model open in Models (a reload keeps it). */
  selectedId = $state<string | null>(recall<string>('model'));
  importPath = $state('');
  importing = $state(false);
  /** A model just imported that does not say its pixel range: the user is asked, and it is imported again with the answer. */
  rangeQuestion = $state.raw<{ model: ModelInfo; request: ImportRequest } | null>(null);
  generated = $state.raw<string[]>([]);
  strip = $state.raw<string[]>([]);
  generating = $state(false);
  seed = $state(1);
  readonly #client: StudioClient;

  constructor(client: StudioClient) {
    this.#client = client;
    client.onEvent((event) => {
      if (event.type === 'changed' && event.what === 'models') void this.refresh();
    });
  }

  get selected(): ModelInfo | null {
    return this.list.find((m) => m.id === this.selectedId) ?? null;
  }

  async refresh(): Promise<void> {
    this.list = await this.#client.call('models.list', {});
  }

  select(id: string): void {
    if (this.selectedId !== id) {
      this.generated = [];
      this.strip = [];
    }
    this.selectedId = id;
    remember('model', id);
  }

  async importFrom(source: { path: string } | { file: File }): Promise<void> {
    this.importing = true;
    try {
      const request = 'path' in source ? { path: source.path } : { name: source.file.name, base64: await fileToBase64(source.file) };
      const model = await this.#client.call('models.import', request);
      await this.refresh();
      this.select(model.id);
      this.importPath = '';
      this.rangeQuestion = model.range === null ? { model, request } : null;
      this.#client.notify('info', model.range === null ? `Imported ${model.name}: choose its pixel range to use it.` : `Imported ${model.name}.`);
    } catch {
      // shown as a notice
    } finally {
      this.importing = false;
    }
  }

  /** Imports the model asked about again with the chosen range, in place of the copy that has none. */
  async chooseRange(range: '-1,1' | '0,1'): Promise<void> {
    const question = this.rangeQuestion;
    if (!question) return;
    this.importing = true;
    try {
      const model = await this.#client.call('models.import', { ...question.request, name: question.model.name, range });
      await this.#client.call('models.delete', { id: question.model.id });
      this.rangeQuestion = null;
      await this.refresh();
      this.select(model.id);
    } catch {
      // shown as a notice
    } finally {
      this.importing = false;
    }
  }

  async rename(id: string, name: string): Promise<void> {
    await this.#client.call('models.rename', { id, name }).catch(() => {});
    await this.refresh();
  }

  async remove(id: string): Promise<void> {
    await this.#client.call('models.delete', { id }).catch(() => {});
    if (this.selectedId === id) this.selectedId = null;
    await this.refresh();
  }

  async generate(count = 16): Promise<void> {
    if (!this.selectedId) return;
    this.generating = true;
    try {
      this.generated = (await this.#client.call('models.generate', { id: this.selectedId, count, seed: this.seed })).images;
      this.strip = (await this.#client.call('models.interpolate', { id: this.selectedId, steps: 10, seed: this.seed })).images;
    } catch {
      // shown as a notice
    } finally {
      this.generating = false;
    }
  }
}
