// Adapter from the studio's Batch view to the batch service (electron/services/batch.ts).
import { ApiError, type BatchEvent, type BatchRequest } from '../api.js';

export interface BatchJob {
  cancel(): void;
  done: Promise<void>;
}

export async function startBatchJob(
  _request: BatchRequest & { modelFile: string; range: string },
  _onEvent: (event: BatchEvent) => void,
): Promise<BatchJob> {
  throw new ApiError('failed', 'Batch conversion is not available in the studio yet; use `darkroom convert` meanwhile.');
}
