// Messages between the training service (parent) and a trainer process (child_process.fork child) over IPC.
// Each side checks what it receives with the guards below instead of trusting a cast: a message that is not one
// of these is reported, never read.
import { isTrainingEvent, RUN_STATUSES, type TrainingEvent } from './events.js';
import type { RunOutcome } from './loop.js';
import type { RunRequest } from './options.js';
import type { ResumeOverrides } from './setup.js';

export type ToTrainer =
  | { type: 'start'; runDir: string; request: RunRequest }
  | { type: 'resume'; runDir: string; overrides?: ResumeOverrides }
  /** Checkpoint, then end the run as 'stopped' (or 'paused'). */
  | { type: 'stop' }
  | { type: 'pause' };

export type FromTrainer = { type: 'event'; event: TrainingEvent } | { type: 'finished'; outcome: RunOutcome };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isOptional = (v: unknown, type: 'string' | 'number' | 'boolean') => v === undefined || typeof v === type;

/** What the trainer may be sent. The request's own fields are checked by the loop (resolveSettings), with messages for people. */
export function isToTrainer(value: unknown): value is ToTrainer {
  if (!isObject(value)) return false;
  switch (value.type) {
    case 'stop':
    case 'pause':
      return true;
    case 'start':
      return typeof value.runDir === 'string' && isObject(value.request) && typeof value.request.family === 'string';
    case 'resume': {
      const o = value.overrides;
      return typeof value.runDir === 'string' && (o === undefined || (isObject(o) && isOptional(o.backend, 'string') && isOptional(o.threads, 'number') && isOptional(o.device, 'string') && isOptional(o.iterations, 'number')));
    }
    default:
      return false;
  }
}

/** What a trainer may send back: a training event, or how its run ended. */
export function isFromTrainer(value: unknown): value is FromTrainer {
  if (!isObject(value)) return false;
  if (value.type === 'event') return isTrainingEvent(value.event);
  if (value.type !== 'finished' || !isObject(value.outcome)) return false;
  const o = value.outcome;
  return (
    typeof o.runDir === 'string' &&
    (RUN_STATUSES as readonly unknown[]).includes(o.status) &&
    typeof o.iteration === 'number' &&
    typeof o.totalIterations === 'number' &&
    isOptional(o.message, 'string') &&
    isOptional(o.badInput, 'boolean')
  );
}
