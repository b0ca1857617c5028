// Devices view logic: the training backends and inference devices this machine has (what `darkroom devices`
// prints), loaded once on demand; the Train, Convert and Batch pickers offer the same names.
import type { DevicesReport } from '../../../electron/api.js';
import type { AppState } from './app.svelte.js';

export class DevicesState {
  report = $state.raw<DevicesReport | null>(null);
  loading = $state(false);
  readonly #app: AppState;

  constructor(app: AppState) {
    this.#app = app;
  }

  async load(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    try {
      this.report = await this.#app.call('devices.list', {});
    } catch {
      // call() has shown the error
    } finally {
      this.loading = false;
    }
  }
}
