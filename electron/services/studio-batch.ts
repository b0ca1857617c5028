// Adapter from the studio's Batch view to the batch service (batch.ts): one folder in, one folder out,
// cancellable, every event relayed unchanged.
import { runBatch, type BatchEvent } from './batch.js';
import type { BatchRequest } from '../api.js';

export interface BatchJob {
  cancel(): void;
  /** Settles when the batch has finished, failed or been cancelled (never rejects). */
  done: Promise<void>;
}

export async function startBatchJob(request: BatchRequest & { modelFile: string; range: string }, onEvent: (event: BatchEvent) => void): Promise<BatchJob> {
  const controller = new AbortController();
  let startedResolve!: () => void;
  let startedReject!: (error: unknown) => void;
  const started = new Promise<void>((resolve, reject) => ((startedResolve = resolve), (startedReject = reject)));
  const done = runBatch({
    model: request.modelFile,
    inputs: [request.input],
    out: request.output,
    recursive: request.recursive ?? true,
    format: request.format ?? 'same',
    quality: request.quality,
    overwrite: request.overwrite ?? false,
    range: request.range,
    signal: controller.signal,
    onEvent: (event) => {
      if (event.type === 'started') startedResolve();
      onEvent(event);
    },
  }).then(
    () => startedResolve(),
    // Bad options and unusable folders fail before 'started': they are the request's error.
    (error: unknown) => startedReject(error),
  );
  await started;
  return { cancel: () => controller.abort(), done: done.catch(() => {}) };
}
