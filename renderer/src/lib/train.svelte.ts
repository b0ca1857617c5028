// Train view logic: the form (family, datasets, preset, size, iterations, advanced settings) and starting a run.
// The live side of a run (chart, samples, pause/resume/stop) is RunsState's watched run.
import type { AppInfo, BackendPreference, FamilyId, FamilyInfo, Preset, RunSummary, TrainRequest } from '../../../electron/api.js';
import type { DeviceChoice } from '../../../models/onnx/devices.js';
import type { StudioClient } from './client.js';
import type { RunsState } from './runs.svelte.js';
import type { DatasetsState } from './datasets.svelte.js';
import { recall, remember } from './remember.js';
import { sizeField, sizeProblem } from './train-form.js';

/** Starting points that finish in minutes on a laptop CPU; the user scales up from there. */
const UI_DEFAULTS: Record<FamilyId, { size: number; iterations: number }> = {
  ae: { size: 32, iterations: 500 },
  vae: { size: 32, iterations: 800 },
  gan: { size: 32, iterations: 1500 },
  cyclegan: { size: 64, iterations: 2000 },
  // About half CycleGAN's time per iteration (one generator, one discriminator).
  cut: { size: 64, iterations: 3000 },
};

/**
 * Iterations after which a family's samples usually show what it learns, on small datasets like the sample at the
 * sizes above. CycleGAN is measured on the sample scenes with the sample preset (night skies over the day
 * scenes' hills by 200, clear by 400); the others are rougher. Real photos at larger sizes take many more.
 */
const FIRST_RESULT: Record<FamilyId, number> = { ae: 300, vae: 500, gan: 1500, cyclegan: 400, cut: 400 };

/**
 * The sample project: a CycleGAN narrow enough (8 filters, 3 residual blocks) and with a learning rate high enough
 * (1e-3) to turn the 32 px day scenes into recognisable nights (dark skies, the sun a moon) in 400 iterations:
 * 4 min 0 s through `darkroom train` on wasm with two cores that other work was also using (load 3.3).
 */
const SAMPLE_PRESET = { size: 32, iterations: 400, sampleEvery: 50, familyOptions: { ngf: '8', ndf: '8', blocks: '3', lr: '0.001' } };

/** The form's fields a reload keeps. */
const KEPT = ['family', 'datasetA', 'datasetB', 'name', 'preset', 'size', 'iterations', 'showAdvanced', 'batch', 'seed', 'sampleEvery', 'checkpointEvery', 'backend', 'device', 'familyOptions', 'initGeneratorA', 'initGeneratorB'] as const;

export interface TimeEstimate {
  /** Seconds per iteration expected for this form's run. */
  secondsPerIteration: number;
  /** The run it was measured in, and how it differs (size scales the time by the pixel count). */
  measuredIn: string;
  firstResultIterations: number;
}

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
  /** Where the onnx backend runs; sent only with it. */
  device = $state<DeviceChoice>('auto');
  /** Published checkpoints to start from (paths; empty: from scratch): the A → B generator's, CycleGAN's B → A one's. */
  initGeneratorA = $state('');
  initGeneratorB = $state('');
  /** Family options the user typed (as text; empty = the family's default). */
  familyOptions = $state<Record<string, string>>({});
  readonly #client: StudioClient;
  /** Names taken, rates measured and runs busy now; a new run starts there. */
  readonly #runs: Pick<RunsState, 'list' | 'live' | 'start' | 'busy'>;
  readonly #datasets: Pick<DatasetsState, 'list' | 'byId'>;
  /** The families and the sample project, once the studio has said (null before). */
  readonly #info: () => AppInfo | null;
  /** The run this form last started, and the form as it was then: while the two hold, Start would repeat it. */
  #started = $state.raw<{ runId: string; request: string } | null>(null);
  /** The form holds a start's choice (the sample, the first datasets, or what a reload kept): worth keeping. */
  #filled = $state(false);

  constructor(client: StudioClient, runs: Pick<RunsState, 'list' | 'live' | 'start' | 'busy'>, datasets: Pick<DatasetsState, 'list' | 'byId'>, info: () => AppInfo | null) {
    this.#client = client;
    this.#runs = runs;
    this.#datasets = datasets;
    this.#info = info;
  }

  get familyInfo(): FamilyInfo | undefined {
    return this.#info()?.families.find((f) => f.id === this.family);
  }

  get twoDatasets(): boolean {
    return this.familyInfo?.datasets === 2;
  }

  /** Family options shown under "advanced" (the preset has its own control). */
  get advancedOptions() {
    return (this.familyInfo?.options ?? []).filter((o) => o.name !== 'preset' && o.name !== 'size');
  }

  /** Generators a published checkpoint can start: CUT's one, CycleGAN's two (from the family's directions). */
  get initGenerators(): number {
    const id = this.familyInfo?.id;
    return id === 'cyclegan' ? 2 : id === 'cut' ? 1 : 0;
  }

  /** The size field's bounds and step, from the family's size rule. */
  get sizeField() {
    return sizeField(this.familyInfo);
  }

  /** What the form calls one of the family's options: its label in the option's description. */
  optionLabel(name: string): string {
    return this.familyInfo?.options.find((o) => o.name === name)?.label ?? name;
  }

  get hasPreset(): boolean {
    return (this.familyInfo?.options ?? []).some((o) => o.name === 'preset');
  }

  /** Why the form cannot start yet, or null. */
  get problem(): string | null {
    if (!this.datasetA) return this.twoDatasets ? 'Choose a dataset for domain A.' : 'Choose a dataset to train on.';
    if (this.twoDatasets && !this.datasetB) return 'Choose a dataset for domain B.';
    if (this.twoDatasets && this.datasetA === this.datasetB) return 'Domain A and domain B are the same dataset: choose two different sets of images.';
    const name = this.name.trim().toLowerCase();
    // The run this form just started has the name, and is no reason to refuse anything while it trains.
    const taken = name ? this.#runs.list.find((r) => r.name.trim().toLowerCase() === name && r.id !== this.justStarted?.id) : undefined;
    if (taken) return `There is already a run named "${taken.name}": choose another name.`;
    const size = sizeProblem(this.familyInfo, this.size);
    if (size) return size;
    if (!Number.isInteger(this.iterations) || this.iterations < 1) return 'Iterations must be a whole number, at least 1.';
    if (this.initGenerators === 2 && this.initGeneratorB.trim() && !this.initGeneratorA.trim())
      return 'Give the A → B checkpoint too, or start both generators from scratch: the B → A one alone is not enough.';
    return null;
  }

  /** The run this form started, while it trains and the form is unchanged since: Start would only repeat it. */
  get justStarted(): RunSummary | undefined {
    const started = this.#started;
    if (!started) return undefined;
    const run = this.#runs.list.find((r) => r.id === started.runId);
    return run && (run.active || run.status === 'running') && JSON.stringify(this.request()) === started.request ? run : undefined;
  }

  /** Whether Start starts anything: not while a start is under way, nor while the run it started trains. */
  get canStart(): boolean {
    return this.#runs.busy !== 'start' && this.justStarted === undefined;
  }

  selectFamily(family: FamilyId): void {
    this.family = family;
    this.size = UI_DEFAULTS[family].size;
    this.iterations = UI_DEFAULTS[family].iterations;
    this.familyOptions = {};
    this.initGeneratorA = '';
    this.initGeneratorB = '';
    if (!this.twoDatasets) this.datasetB = '';
  }

  useSample(sample: { dayDatasetId: string; nightDatasetId: string }): void {
    this.selectFamily('cyclegan');
    this.datasetA = sample.dayDatasetId;
    this.datasetB = sample.nightDatasetId;
    const taken = new Set(this.#runs.list.map((r) => r.name));
    let name = 'Day to night';
    for (let n = 2; taken.has(name); n++) name = `Day to night ${n}`;
    this.name = name;
    this.size = SAMPLE_PRESET.size;
    this.iterations = SAMPLE_PRESET.iterations;
    this.sampleEvery = SAMPLE_PRESET.sampleEvery;
    this.familyOptions = { ...SAMPLE_PRESET.familyOptions };
    this.#filled = true;
  }

  /** Keeps the form for a reload (TrainView calls this whenever a field changes), once it has been filled in. */
  remember(): void {
    if (!this.#filled) return;
    remember('train', Object.fromEntries(KEPT.map((key) => [key, $state.snapshot(this[key])])));
  }

  /** Puts back the form a reload interrupted; false when there is none. */
  restore(): boolean {
    const saved = recall<Record<string, unknown>>('train');
    if (!saved || !this.#info()?.families.some((f) => f.id === saved.family)) return false;
    Object.assign(this, Object.fromEntries(KEPT.filter((key) => key in saved).map((key) => [key, saved[key]])));
    // A dataset removed since (in another tab) is chosen again, not sent.
    if (!this.#datasets.byId(this.datasetA)) this.datasetA = '';
    if (!this.#datasets.byId(this.datasetB)) this.datasetB = '';
    this.#filled = true;
    return true;
  }

  /**
   * How long this form's run should take on this machine, from the rate a finished checkpoint measured in an
   * earlier run of the same family (same backend and size preferred; other sizes scaled by their pixel count).
   * Null until such a run exists.
   */
  get estimate(): TimeEstimate | null {
    const candidates = this.#runs.list.filter(
      (r) => r.family === this.family && r.secondsPerIteration !== null && (this.backend === 'auto' || r.backend?.name === this.backend),
    );
    const closeness = (r: (typeof candidates)[number]) => Math.abs(Math.log(r.size / this.size));
    const best = [...candidates].sort((x, y) => closeness(x) - closeness(y))[0];
    if (!best || !(this.size > 0)) return null;
    const scale = (this.size / best.size) ** 2;
    const on = best.backend ? ` on ${best.backend.name}` : '';
    return {
      secondsPerIteration: best.secondsPerIteration! * scale,
      measuredIn: `measured in “${best.name}” (${best.size} px${on}${scale !== 1 ? `, scaled to ${this.size} px` : ''})`,
      firstResultIterations: this.firstResultIterations,
    };
  }

  get firstResultIterations(): number {
    return FIRST_RESULT[this.family];
  }

  /** The runs training now, whose cores or GPU a new run would share. */
  get busyWith(): string[] {
    return this.#runs.live.map((r) => r.name);
  }

  pickDefaults(): void {
    const sample = this.#info()?.sample;
    if (sample && this.#datasets.byId(sample.dayDatasetId) && this.#datasets.byId(sample.nightDatasetId)) this.useSample(sample);
    else {
      const [first, second] = this.#datasets.list;
      this.datasetA = first?.id ?? '';
      this.datasetB = second?.id ?? '';
      this.#filled = true;
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
    if (this.backend === 'onnx' && this.device !== 'auto') request.device = this.device;
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
    const init = [this.initGeneratorA, this.initGeneratorB].slice(0, this.initGenerators).map((p) => p.trim()).filter(Boolean);
    if (init.length > 0) request.initGenerator = init;
    return request;
  }

  /** Starts the form's run; true once it trains (and is watched). */
  async start(): Promise<boolean> {
    if (!this.canStart) return false;
    const problem = this.problem;
    if (problem) {
      this.#client.notify('error', problem);
      return false;
    }
    const request = this.request();
    try {
      this.#started = { runId: await this.#runs.start(request), request: JSON.stringify(request) };
      return true;
    } catch {
      // shown as a notice
      return false;
    }
  }
}
