// Devices view logic: the training backends and inference devices this machine has (what `darkroom devices`
// prints), loaded once on demand; the Train, Convert and Batch pickers offer the same names.
import type { DevicesReport } from '../../../electron/api.js';
import type { StudioClient } from './client.js';

export class DevicesState {
  report = $state.raw<DevicesReport | null>(null);
  loading = $state(false);
  readonly #client: StudioClient;

  constructor(client: StudioClient) {
    this.#client = client;
  }

  async load(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    try {
      this.report = await this.#client.call('devices.list', {});
    } catch {
      // call() has shown the error
    } finally {
      this.loading = false;
    }
  }
}
