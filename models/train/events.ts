// The one vocabulary of training progress. The trainer process emits these, the training service relays
// them, and every consumer (CLI printer, Electron IPC bridge, browser-mode WebSocket) reads the same type.
import type { GpuAdapterInfo } from '../gpu/adapter-info.js';
import type { FamilyId } from '../families/family.js';

/** What the backend chooser reported: the backend in use and why better ones were not. */
export interface BackendInfo {
  name: string;
  detail: string;
  threads: number;
  unavailable: { name: string; reason: string }[];
  /** The GPU adapter (webgpu): vendor, architecture, description, software or not, limits. */
  adapter?: GpuAdapterInfo;
  /** Said when the run starts, e.g. that a software GPU adapter was chosen by name. */
  warning?: string;
}

export type StopReason = 'done' | 'paused' | 'stopped';

/** Where a run stands, as its run.json records it (run-dir.ts) and the studio shows it. */
export type RunStatus = 'running' | StopReason | 'failed';

export type TrainingEvent =
  | {
      type: 'started';
      runDir: string;
      family: FamilyId;
      backend: BackendInfo;
      totalIterations: number;
      /** The checkpoint iteration this run continues from (absent for a fresh run). */
      resumedFrom?: number;
      /** Images found in each dataset, e.g. { a: 120 } or { a: 400, b: 380 }. */
      datasetSizes: Record<string, number>;
    }
  | {
      type: 'progress';
      iteration: number;
      total: number;
      /** Passes over the (larger) dataset so far, fractional: iteration × batch ÷ images. */
      epoch: number;
      losses: Record<string, number>;
      itPerSec: number;
      /** Seconds left at the current speed. */
      etaSeconds: number;
      /** The learning rate in effect: the family's base rate × the schedule's factor. */
      lr: number;
    }
  /** `rows`: what each row of the grid shows, top to bottom ("real A", "A → B", …). */
  | { type: 'sample'; iteration: number; path: string; rows: string[] }
  | { type: 'checkpoint'; iteration: number; path: string }
  | { type: 'warning'; message: string }
  | { type: 'stopped'; iteration: number; reason: StopReason }
  /** badInput: the request or the data was wrong and no work was done (the CLI exits 2, not 1). */
  | { type: 'failed'; message: string; iteration?: number; badInput?: boolean };

export type TrainingEventType = TrainingEvent['type'];

/** Type guard for values that crossed a process or socket boundary. */
export function isTrainingEvent(value: unknown): value is TrainingEvent {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return (
    type === 'started' ||
    type === 'progress' ||
    type === 'sample' ||
    type === 'checkpoint' ||
    type === 'warning' ||
    type === 'stopped' ||
    type === 'failed'
  );
}
