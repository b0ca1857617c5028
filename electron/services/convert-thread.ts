// Runs one photo's conversion (convert.ts convertPhoto) on a worker thread, with the calling thread's progress
// callbacks and AbortSignal. onnxruntime-node runs a model synchronously on the thread that calls it, and a huge
// photo (256 megapixels: a thousand tiles, and whole-photo passes over its pixels) would otherwise hold up every
// request the studio answers for as long as it takes. The worker reads the input file and writes the outputs
// itself, so no pixels cross between the threads.
import { Worker } from 'node:worker_threads';
import { UsageError } from '../../models/errors.js';
import type { DeviceChoice } from '../../models/onnx/devices.js';
import type { TranslationPlan } from '../../models/onnx/translate.js';
import type { OutputFormat } from '../../models/data/image-io.js';
import type { ConvertedPhoto, ConvertOptions, EncodedPhoto } from './convert.js';
import { convertWorkerEntry } from './paths.js';

/** What the worker converts: `workerData`. */
export interface ThreadJob {
  model: string;
  input: string;
  output: string;
  /** Also write the input's pixels here as a PNG (the studio's "before" view: browsers cannot show every format). */
  preview?: string;
  options: Omit<ConvertOptions, 'signal' | 'onTile' | 'onPlan'> & { device?: DeviceChoice; label?: string };
}

/** A converted photo written again in another format (the studio's Save): no model, only the encoder. */
export interface EncodeJob {
  type: 'encode';
  /** The conversion's own result, a PNG carrying the photo's profile, EXIF and alpha. */
  input: string;
  output: string;
  options: { format: OutputFormat; quality?: number };
}

export type FromWorker =
  | { type: 'plan'; plan: TranslationPlan }
  | { type: 'tile'; done: number; total: number }
  | { type: 'done'; converted: ConvertedPhoto | EncodedPhoto }
  | { type: 'failed'; usage: boolean; aborted: boolean; message: string };

export type ToWorker = { type: 'cancel' };

export type ThreadProgress = Pick<ConvertOptions, 'signal' | 'onTile' | 'onPlan'>;

/** Writes a converted photo again in another format, off the studio's thread (a huge photo's encode is long too). */
export function encodeOffThread(job: Omit<EncodeJob, 'type'>): Promise<EncodedPhoto> {
  return runWorker<EncodedPhoto>({ type: 'encode', ...job });
}

export function convertOffThread(job: ThreadJob, progress: ThreadProgress = {}): Promise<ConvertedPhoto> {
  return runWorker<ConvertedPhoto>(job, progress);
}

/** Each job's worker answers with its own kind of result: T is the caller's. */
function runWorker<T extends EncodedPhoto>(job: ThreadJob | EncodeJob, progress: ThreadProgress = {}): Promise<T> {
  const { signal } = progress;
  signal?.throwIfAborted();
  const entry = convertWorkerEntry();
  const worker = new Worker(entry.script, { eval: entry.eval, workerData: job });
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', cancel);
      outcome();
      void worker.terminate();
    };
    // The worker stops after the tile it is translating; the tiles it finishes meanwhile are not reported.
    const cancel = () => worker.postMessage({ type: 'cancel' } satisfies ToWorker);
    signal?.addEventListener('abort', cancel, { once: true });
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'plan') progress.onPlan?.(message.plan);
      else if (message.type === 'tile') {
        if (!signal?.aborted) progress.onTile?.(message.done, message.total);
      } else if (message.type === 'done') settle(() => resolve(message.converted as T));
      else settle(() => reject(message.aborted && signal?.aborted ? signal.reason : message.usage ? new UsageError(message.message) : new Error(message.message)));
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) => settle(() => reject(new Error(`The conversion stopped unexpectedly (its worker thread exited with code ${code}); convert the photo again.`))));
  });
}
