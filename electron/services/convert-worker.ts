// The worker thread that convert-thread.ts starts: converts the one photo in `workerData` and reports back.
import { parentPort, workerData } from 'node:worker_threads';
import { UsageError } from '../../models/errors.js';
import { writeFileAtomic } from '../../models/atomic-fs.js';
import { decodeImageFile, encodePng } from '../../models/data/image-io.js';
import { convertPhoto, encodeConverted } from './convert.js';
import type { EncodeJob, FromWorker, ThreadJob, ToWorker } from './convert-thread.js';

const port = parentPort!;
const job = workerData as ThreadJob | EncodeJob;
const controller = new AbortController();
const send = (message: FromWorker) => port.postMessage(message);
port.on('message', (message: ToWorker) => message.type === 'cancel' && controller.abort());

// No top-level await: the bundle builds this file as CommonJS.
async function main(): Promise<void> {
  try {
    if ('type' in job) {
      send({ type: 'done', converted: await encodeConverted(job.input, job.output, job.options) });
      return port.close();
    }
    const converted = await convertPhoto(job.model, job.input, job.output, {
      ...job.options,
      signal: controller.signal,
      onPlan: (plan) => send({ type: 'plan', plan }),
      onTile: (done, total) => send({ type: 'tile', done, total }),
    });
    if (job.preview) {
      const decoded = await decodeImageFile(job.input);
      await writeFileAtomic(job.preview, await encodePng(decoded.data, decoded.width, decoded.height, 3));
    }
    send({ type: 'done', converted });
  } catch (error) {
    send({ type: 'failed', usage: error instanceof UsageError, aborted: controller.signal.aborted, message: error instanceof Error ? error.message : String(error) });
  }
  port.close();
}

void main();
