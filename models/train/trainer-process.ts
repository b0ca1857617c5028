// Entry point of a trainer process: the training service forks this file (under tsx) and sends one
// start/resume message; events stream back over IPC. A stop/pause message, SIGINT, SIGTERM or losing the
// parent all end the run the same way: checkpoint, record the status, exit.
import type { TrainingEvent } from './events.js';
import { runTraining, type RunOutcome } from './loop.js';
import { isToTrainer, type FromTrainer, type ToTrainer } from './trainer-protocol.js';

const controller = new AbortController();
let started = false;

function send(message: FromTrainer): Promise<void> {
  if (!process.connected || !process.send) return Promise.resolve();
  return new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
}

async function run(message: Extract<ToTrainer, { type: 'start' | 'resume' }>): Promise<void> {
  let outcome: RunOutcome;
  const onEvent = (event: TrainingEvent) => void send({ type: 'event', event });
  try {
    outcome = await runTraining({
      runDir: message.runDir,
      resume: message.type === 'resume',
      config: message.type === 'start' ? message.request : undefined,
      overrides: message.type === 'resume' ? message.overrides : undefined,
      signal: controller.signal,
      onEvent,
    });
  } catch (error) {
    // runTraining records its own failures; this is for the ones it could not even record.
    // The message is shown to the user; the stack only when debugging.
    const text = error instanceof Error ? (process.env.DARKROOM_DEBUG && error.stack) || error.message : String(error);
    await send({ type: 'event', event: { type: 'failed', message: text } });
    outcome = { runDir: message.runDir, status: 'failed', iteration: 0, totalIterations: 0, message: text };
  }
  await send({ type: 'finished', outcome });
  process.exit(outcome.status === 'failed' ? 1 : 0);
}

process.on('message', (message: unknown) => {
  if (!isToTrainer(message)) {
    // The parent keeps the trainer's output for its error message, should the run end without one.
    process.stderr.write(`trainer: ignored a message that is not part of the trainer protocol: ${JSON.stringify(message)?.slice(0, 200)}\n`);
    return;
  }
  if (message.type === 'stop') controller.abort('stop');
  else if (message.type === 'pause') controller.abort('pause');
  else if ((message.type === 'start' || message.type === 'resume') && !started) {
    started = true;
    void run(message);
  }
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => controller.abort('stop'));

process.on('disconnect', () => {
  // The parent is gone (crashed or killed): finish with a checkpoint, then exit.
  if (!started) process.exit(0);
  controller.abort('stop');
});
