// Adapter from the studio's Batch view to the batch service (batch.ts): one folder in, one folder out,
// cancellable, every event relayed unchanged, and an error after 'started' relayed as a 'failed' event.
import { runBatch } from './batch.js';
import { toErrorBody, type BatchRequest, type StudioBatchEvent } from '../api.js';

export interface BatchJob {
  cancel(): void;
  /** Settles when the batch has finished, failed or been cancelled (never rejects). */
  done: Promise<void>;
}

export async function startBatchJob(request: BatchRequest & { modelFile: string; modelLabel?: string; range?: string }, onEvent: (event: StudioBatchEvent) => void): Promise<BatchJob> {
  const controller = new AbortController();
  let hasStarted = false;
  let startedResolve!: () => void;
  let startedReject!: (error: unknown) => void;
  const started = new Promise<void>((resolve, reject) => ((startedResolve = resolve), (startedReject = reject)));
  const done = runBatch({
    model: request.modelFile,
    modelLabel: request.modelLabel,
    inputs: [request.input],
    out: request.output,
    recursive: request.recursive ?? true,
    format: request.format ?? 'same',
    quality: request.quality,
    overwrite: request.overwrite ?? false,
    range: request.range,
    device: request.device,
    signal: controller.signal,
    onEvent: (event) => {
      if (event.type === 'started') {
        hasStarted = true;
        startedResolve();
      }
      onEvent(event);
    },
  }).then(
    () => startedResolve(),
    (error: unknown) => {
      // Bad options and unusable folders fail before 'started': they are the request's error. Later, the
      // request has been answered, so the Batch view hears of it as an event.
      if (hasStarted) onEvent({ type: 'failed', message: toErrorBody(error).message });
      else startedReject(error);
    },
  );
  await started;
  return { cancel: () => controller.abort(), done };
}
