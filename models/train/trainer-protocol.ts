// Messages between the training service (parent) and a trainer process (child_process.fork child) over IPC.
import type { TrainingEvent } from './events.js';
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
