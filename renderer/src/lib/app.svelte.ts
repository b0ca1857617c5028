// The root of the renderer's state: the transport, app info, current view, theme and notices. It is the
// StudioClient (client.ts) each view's state class (datasets, runs, train, convert, batch, models, devices) is
// given, with the siblings that class uses; each class follows the events it needs itself.
import type { AppInfo, MediaRef, MethodName, RequestOf, ResponseOf, StudioEvent } from '../../../electron/api.js';
import { createTransport, type ConnectionState, type Transport } from './transport.js';
import type { NativeDialogs, NoticeKind, StudioClient } from './client.js';
import { DatasetsState } from './datasets.svelte.js';
import { RunsState } from './runs.svelte.js';
import { TrainState } from './train.svelte.js';
import { ConvertState } from './convert.svelte.js';
import { BatchState } from './batch.svelte.js';
import { ModelsState } from './models.svelte.js';
import { DevicesState } from './devices.svelte.js';
import { recall, remember } from './remember.js';

export type ViewId = 'datasets' | 'train' | 'runs' | 'convert' | 'batch' | 'models' | 'devices';
export type Theme = 'light' | 'dark';

export const VIEWS: { id: ViewId; label: string; key: string }[] = [
  { id: 'datasets', label: 'Datasets', key: '1' },
  { id: 'train', label: 'Train', key: '2' },
  { id: 'runs', label: 'Runs', key: '3' },
  { id: 'convert', label: 'Convert', key: '4' },
  { id: 'batch', label: 'Batch', key: '5' },
  { id: 'models', label: 'Models', key: '6' },
  { id: 'devices', label: 'Devices', key: '7' },
];

export interface Notice {
  id: number;
  kind: NoticeKind;
  text: string;
  /** How many times it was said: the same notice again is counted, not stacked. */
  count: number;
  /** The view in view when it was said: an error about that view's work goes when the user leaves it. */
  view: ViewId;
}

const THEME_KEY = 'darkroom.theme';

export class AppState implements StudioClient {
  readonly transport: Transport;
  info = $state.raw<AppInfo | null>(null);
  loadError = $state<string | null>(null);
  view = $state<ViewId>('train');
  theme = $state<Theme>('light');
  connection = $state<ConnectionState>('connecting');
  notices = $state<Notice[]>([]);
  #nextNotice = 1;

  readonly datasets: DatasetsState;
  readonly runs: RunsState;
  readonly train: TrainState;
  readonly convert: ConvertState;
  readonly batch: BatchState;
  readonly models: ModelsState;
  readonly devices: DevicesState;

  constructor(transport: Transport = createTransport()) {
    this.transport = transport;
    this.models = new ModelsState(this);
    this.datasets = new DatasetsState(this);
    this.runs = new RunsState(this, this.models);
    this.train = new TrainState(this, this.runs, this.datasets, () => this.info);
    this.convert = new ConvertState(this, this.models);
    this.batch = new BatchState(this, this.models);
    this.devices = new DevicesState(this);
    const view = recall<ViewId>('view');
    if (VIEWS.some((v) => v.id === view)) this.view = view!;
    const saved = localStorage.getItem(THEME_KEY);
    this.theme = saved === 'dark' || saved === 'light' ? saved : matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
    transport.onConnection((state) => (this.connection = state));
  }

  /** Calls the back end; on failure shows the message as a notice and rethrows. */
  async call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
    try {
      return await this.transport.invoke(method, request);
    } catch (error) {
      this.notify('error', (error as Error).message);
      throw error;
    }
  }

  invoke<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
    return this.transport.invoke(method, request);
  }

  onEvent(listener: (event: StudioEvent) => void): () => void {
    return this.transport.onEvent(listener);
  }

  mediaUrl(ref: MediaRef, options?: { download?: string }): string {
    return this.transport.mediaUrl(ref, options);
  }

  get native(): NativeDialogs | null {
    return this.transport.native;
  }

  async start(): Promise<void> {
    try {
      this.info = await this.transport.invoke('app.info', {});
    } catch (error) {
      this.loadError = (error as Error).message;
      return;
    }
    await Promise.all([this.datasets.refresh(), this.runs.refresh(), this.models.refresh()]);
    // First start opens the sample project: CycleGAN from the day scenes to the night scenes.
    const firstStart = this.info.firstStart && this.info.sample && this.runs.list.length === 0;
    // A reload keeps what the form held; otherwise the sample project or the first datasets.
    if (!this.train.restore()) {
      if (firstStart) this.train.useSample(this.info.sample!);
      else this.train.pickDefaults();
    }
    if (firstStart)
      this.notify('info', 'Welcome to Darkroom. A sample project is ready: procedural day and night scenes for a CycleGAN. Press Start training to try it.');
    const watched = recall<string>('watched');
    const reopen = this.runs.list.find((r) => r.id === watched) ?? this.runs.list.find((r) => r.active);
    if (reopen) void this.runs.watch(reopen.id).catch(() => {});
  }

  go(view: ViewId): void {
    // An error is about what the user was doing in its view: it does not follow them to another.
    if (view !== this.view) this.notices = this.notices.filter((n) => n.kind !== 'error' || n.view !== this.view);
    this.view = view;
    remember('view', view);
  }

  toggleTheme(): void {
    this.theme = this.theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem(THEME_KEY, this.theme);
  }

  /** Info notices close on their own; errors stay until dismissed. */
  notify(kind: NoticeKind, text: string): void {
    const same = this.notices.find((n) => n.kind === kind && n.text === text);
    const id = same?.id ?? this.#nextNotice++;
    this.notices = same ? this.notices.map((n) => (n === same ? { ...n, count: n.count + 1 } : n)) : [...this.notices, { id, kind, text, count: 1, view: this.view }];
    if (kind === 'info') setTimeout(() => this.dismiss(id), 8000);
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }
}
