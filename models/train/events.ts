// The one vocabulary of training progress. The trainer process emits these, the training service relays
// them, and every consumer (CLI printer, Electron IPC bridge, browser-mode WebSocket) reads the same type.
import type { GpuAdapterInfo } from '../gpu/adapter-info.js';
import { FAMILY_IDS, type FamilyId } from '../families/family.js';

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
  /** Where ONNX Runtime runs the training graphs (onnx): its device and, when it fell back to the CPU, why. */
  device?: { name: string; detail: string; fallback: string | null };
}

const STOP_REASONS = ['done', 'paused', 'stopped'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** Where a run stands, as its run.json records it (run-dir.ts) and the studio shows it. */
export const RUN_STATUSES = ['running', ...STOP_REASONS, 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string';
/** JSON carries a non-finite number (an ETA at zero speed, a diverged loss) as null. */
const isNumberOrJsonNull = (v: unknown) => typeof v === 'number' || v === null;
const isOptional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);

/** Checks a value that crossed a process or socket boundary, field by field, before anyone reads it as an event. */
export function isTrainingEvent(value: unknown): value is TrainingEvent {
  if (!isObject(value)) return false;
  const v = value;
  switch (v.type) {
    case 'started':
      return isText(v.runDir) && (FAMILY_IDS as readonly unknown[]).includes(v.family) && isObject(v.backend) && isText(v.backend.name) && isText(v.backend.detail) &&
        typeof v.totalIterations === 'number' && isOptional(v.resumedFrom, (n) => typeof n === 'number') && isObject(v.datasetSizes);
    case 'progress':
      return typeof v.iteration === 'number' && typeof v.total === 'number' && isObject(v.losses) &&
        Object.values(v.losses).every(isNumberOrJsonNull) && [v.epoch, v.itPerSec, v.etaSeconds, v.lr].every(isNumberOrJsonNull);
    case 'sample':
      return typeof v.iteration === 'number' && isText(v.path) && Array.isArray(v.rows) && v.rows.every(isText);
    case 'checkpoint':
      return typeof v.iteration === 'number' && isText(v.path);
    case 'warning':
      return isText(v.message);
    case 'stopped':
      return typeof v.iteration === 'number' && (STOP_REASONS as readonly unknown[]).includes(v.reason);
    case 'failed':
      return isText(v.message) && isOptional(v.iteration, (n) => typeof n === 'number') && isOptional(v.badInput, (b) => typeof b === 'boolean');
    default:
      return false;
  }
}
