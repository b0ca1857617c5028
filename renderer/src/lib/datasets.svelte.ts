// Datasets view logic: the registered image folders, adding one, and the report of the selected one.
import type { DatasetReport, DatasetSummary } from '../../../electron/api.js';
import type { StudioClient } from './client.js';
import { keepForm } from './keep-form.svelte.js';

export class DatasetsState {
  list = $state.raw<DatasetSummary[]>([]);
  selected = $state.raw<DatasetReport | null>(null);
  newPath = $state('');
  newName = $state('');
  adding = $state(false);
  loadingReport = $state(false);
  readonly #client: StudioClient;

  constructor(client: StudioClient) {
    this.#client = client;
    keepForm('datasets', this, ['newPath', 'newName']);
    client.onEvent((event) => {
      if (event.type === 'changed' && event.what === 'datasets') void this.refresh();
    });
  }

  async refresh(): Promise<void> {
    this.list = await this.#client.call('datasets.list', {});
  }

  byId(id: string | null | undefined): DatasetSummary | undefined {
    return this.list.find((d) => d.id === id);
  }

  async add(): Promise<void> {
    const path = this.newPath.trim();
    if (!path) {
      this.#client.notify('error', 'Choose a folder of images first.');
      return;
    }
    this.adding = true;
    try {
      const report = await this.#client.call('datasets.add', { path, ...(this.newName.trim() ? { name: this.newName.trim() } : {}) });
      this.selected = report;
      this.newPath = '';
      this.newName = '';
      await this.refresh();
      this.#client.notify('info', `Added “${report.name}”: ${report.count} images${report.problems.length ? `, ${report.problems.length} problems` : ''}.`);
    } catch {
      // shown as a notice
    } finally {
      this.adding = false;
    }
  }

  async open(id: string): Promise<void> {
    this.loadingReport = true;
    try {
      this.selected = await this.#client.call('datasets.get', { id });
    } finally {
      this.loadingReport = false;
    }
  }

  async remove(id: string): Promise<void> {
    await this.#client.call('datasets.remove', { id });
    if (this.selected?.id === id) this.selected = null;
    await this.refresh();
  }
}
