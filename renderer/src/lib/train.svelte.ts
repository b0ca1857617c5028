// Train view logic: the form (family, datasets, preset, size, iterations, advanced settings) and starting a run.
// The live side of a run (chart, samples, pause/resume/stop) is RunsState's watched run.
import type { BackendPreference, FamilyId, FamilyInfo, Preset, TrainRequest } from '../../../electron/api.js';
import type { AppState } from './app.svelte.js';

/** Starting points that finish in minutes on a laptop CPU; the user scales up from there. */
const UI_DEFAULTS: Record<FamilyId, { size: number; iterations: number }> = {
  ae: { size: 32, iterations: 500 },
  vae: { size: 32, iterations: 800 },
  gan: { size: 32, iterations: 1500 },
  cyclegan: { size: 64, iterations: 2000 },
  // About half CycleGAN's time per iteration (one generator, one discriminator).
  cut: { size: 64, iterations: 3000 },
};

export class TrainState {
  family = $state<FamilyId>('cyclegan');
  datasetA = $state('');
  datasetB = $state('');
  name = $state('');
  preset = $state<Preset>('light');
  size = $state(64);
  iterations = $state(2000);
  showAdvanced = $state(false);
  batch = $state<number | null>(null);
  seed = $state<number | null>(null);
  sampleEvery = $state<number | null>(null);
  checkpointEvery = $state<number | null>(null);
  backend = $state<BackendPreference>('auto');
  /** Family options the user typed (as text; empty = the family's default). */
  familyOptions = $state<Record<string, string>>({});
  readonly #app: AppState;

  constructor(app: AppState) {
    this.#app = app;
  }

  get familyInfo(): FamilyInfo | undefined {
    return this.#app.info?.families.find((f) => f.id === this.family);
  }

  get twoDatasets(): boolean {
    return this.familyInfo?.datasets === 2;
  }

  /** Family options shown under "advanced" (the preset has its own control). */
  get advancedOptions() {
    return (this.familyInfo?.options ?? []).filter((o) => o.name !== 'preset' && o.name !== 'size');
  }

  get hasPreset(): boolean {
    return (this.familyInfo?.options ?? []).some((o) => o.name === 'preset');
  }

  /** Why the form cannot start yet, or null. */
  get problem(): string | null {
    if (!this.datasetA) return this.twoDatasets ? 'Choose a dataset for domain A.' : 'Choose a dataset to train on.';
    if (this.twoDatasets && !this.datasetB) return 'Choose a dataset for domain B.';
    if (!Number.isInteger(this.size) || this.size < 8 || this.size % 4 !== 0) return 'Image size must be a multiple of 4, at least 8.';
    if (!Number.isInteger(this.iterations) || this.iterations < 1) return 'Iterations must be a whole number, at least 1.';
    return null;
  }

  selectFamily(family: FamilyId): void {
    this.family = family;
    this.size = UI_DEFAULTS[family].size;
    this.iterations = UI_DEFAULTS[family].iterations;
    this.familyOptions = {};
    if (!this.twoDatasets) this.datasetB = '';
  }

  useSample(sample: { dayDatasetId: string; nightDatasetId: string }): void {
    this.selectFamily('cyclegan');
    this.datasetA = sample.dayDatasetId;
    this.datasetB = sample.nightDatasetId;
    this.name = 'Day to night';
    this.size = 32;
    this.iterations = 400;
    this.sampleEvery = 20;
  }

  pickDefaults(): void {
    const sample = this.#app.info?.sample;
    if (sample && this.#app.datasets.byId(sample.dayDatasetId) && this.#app.datasets.byId(sample.nightDatasetId)) this.useSample(sample);
    else {
      const [first, second] = this.#app.datasets.list;
      this.datasetA = first?.id ?? '';
      this.datasetB = second?.id ?? '';
    }
  }

  request(): TrainRequest {
    const advanced: Record<string, number | string> = {};
    for (const option of this.advancedOptions) {
      const raw = (this.familyOptions[option.name] ?? '').trim();
      if (raw === '') continue;
      const asNumber = Number(raw);
      advanced[option.name] = option.choices || !Number.isFinite(asNumber) ? raw : asNumber;
    }
    const optional = <T>(value: T | null) => (value === null || value === undefined || Number.isNaN(value) ? undefined : value);
    const request: TrainRequest = {
      family: this.family,
      datasets: this.twoDatasets ? { a: this.datasetA, b: this.datasetB } : { a: this.datasetA },
      size: this.size,
      iterations: this.iterations,
      backend: this.backend,
    };
    if (this.name.trim()) request.name = this.name.trim();
    if (this.hasPreset) request.preset = this.preset;
    const batch = optional(this.batch);
    const seed = optional(this.seed);
    const sampleEvery = optional(this.sampleEvery);
    const checkpointEvery = optional(this.checkpointEvery);
    if (batch !== undefined) request.batch = batch;
    if (seed !== undefined) request.seed = seed;
    if (sampleEvery !== undefined) request.sampleEvery = sampleEvery;
    if (checkpointEvery !== undefined) request.checkpointEvery = checkpointEvery;
    if (Object.keys(advanced).length > 0) request.advanced = advanced;
    return request;
  }

  async start(): Promise<void> {
    const problem = this.problem;
    if (problem) {
      this.#app.notify('error', problem);
      return;
    }
    try {
      await this.#app.runs.start(this.request());
    } catch {
      // shown as a notice
    }
  }
}
