// How the Batch state follows a batch job, as pure functions: each of its events gives the next state and what to
// tell the user. BatchState (batch.svelte.ts) holds the result; these are what its tests exercise.
import type { BatchCounts, BatchEvent, MediaRef, StudioBatchEvent } from '../../../electron/api.js';

export interface BatchProgress {
  done: number;
  total: number;
  counts: BatchCounts;
  current: string | null;
  itemsPerSec: number;
  etaSeconds: number;
}

export interface BatchSnapshot {
  /** The job followed; null before its first event or the start's reply (whichever comes first names it). */
  jobId: string | null;
  running: boolean;
  /** Cancel was pressed: the photo being translated finishes first. */
  cancelling: boolean;
  /** The output folder as the batch resolved it. */
  outputFolder: string | null;
  /** Converted photos' thumbnails, in the order they were written. */
  gallery: { path: string; name: string; media: MediaRef }[];
  progress: BatchProgress | null;
  finished: Extract<BatchEvent, { type: 'finished' }> | null;
  /** Why the batch stopped, when it failed as a whole after starting (no report follows). */
  error: string | null;
  /** Failures as they happen, then the final report's. */
  failures: { file: string; reason: string }[];
}

export const NO_BATCH: BatchSnapshot = {
  jobId: null,
  running: false,
  cancelling: false,
  outputFolder: null,
  gallery: [],
  progress: null,
  finished: null,
  error: null,
  failures: [],
};

/** Paths inside the input folder are shown relative to it. */
export function relativeTo(input: string, path: string): string {
  const base = input.trim().replace(/[\\/]+$/, '');
  return path.startsWith(base + '/') || path.startsWith(base + '\\') ? path.slice(base.length + 1) : path;
}

/** `input`: the form's input folder, which names are shown relative to. Events of another job change nothing. */
export function batchEventApplied(batch: BatchSnapshot, jobId: string, event: StudioBatchEvent, input: string): { batch: BatchSnapshot; notice: string | null } {
  if (batch.jobId !== null && jobId !== batch.jobId) return { batch, notice: null };
  const next: BatchSnapshot = { ...batch, jobId };
  switch (event.type) {
    case 'started':
      next.running = true;
      next.outputFolder = event.out;
      next.progress = {
        done: 0,
        total: event.total,
        counts: { total: event.total, done: 0, skipped: 0, failed: 0, pending: event.total },
        current: null,
        itemsPerSec: 0,
        etaSeconds: NaN,
      };
      break;
    case 'progress':
      next.progress = { done: event.done, total: event.total, counts: event.counts, current: event.current, itemsPerSec: event.imagesPerMinute / 60, etaSeconds: event.etaSeconds ?? NaN };
      break;
    case 'thumbnail':
      next.gallery = [...batch.gallery, { path: event.path, name: relativeTo(input, event.path), media: event.media }];
      break;
    case 'item':
      if (event.status === 'failed') next.failures = [...batch.failures, { file: relativeTo(input, event.path), reason: event.reason ?? 'failed' }];
      break;
    case 'finished':
      next.running = false;
      next.cancelling = false;
      next.finished = event;
      next.failures = event.failed.map((f) => ({ file: relativeTo(input, f.path), reason: f.reason }));
      if (batch.progress) next.progress = { ...batch.progress, done: event.counts.total - event.counts.pending, counts: event.counts, current: null };
      break;
    case 'failed':
      next.running = false;
      next.cancelling = false;
      next.error = event.message;
      if (batch.progress) next.progress = { ...batch.progress, current: null };
      return { batch: next, notice: `The batch stopped: ${event.message}` };
  }
  return { batch: next, notice: null };
}
