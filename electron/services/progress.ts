// Human-readable text for training events, for the CLI printer; numbers through format.ts, as in the studio.
import type { TrainingEvent } from '../../models/train/events.js';
import { formatDuration, formatLoss, formatRate } from '../format.js';

export function formatProgress(event: Extract<TrainingEvent, { type: 'progress' }>): string {
  const percent = event.total > 0 ? Math.floor((100 * event.iteration) / event.total) : 0;
  const losses = Object.entries(event.losses)
    .map(([name, value]) => `${name} ${formatLoss(value)}`)
    .join('  ');
  return `it ${event.iteration}/${event.total} (${percent}%)  ${losses}  ${formatRate(event.itPerSec, 'it')}  ETA ${formatDuration(event.etaSeconds)}  epoch ${event.epoch.toFixed(2)}`;
}

/** One or more lines for any event. */
export function formatEvent(event: TrainingEvent): string {
  switch (event.type) {
    case 'started': {
      const lines = [
        `${event.resumedFrom === undefined ? 'Training' : `Resuming from iteration ${event.resumedFrom}:`} ${event.family} in ${event.runDir}` +
          ` (${event.totalIterations} iterations; images: ${Object.entries(event.datasetSizes).map(([k, v]) => `${k} ${v}`).join(', ')})`,
        `Backend: ${event.backend.detail}`,
      ];
      if (event.backend.warning) lines.push(`  warning: ${event.backend.warning}`);
      for (const u of event.backend.unavailable) lines.push(`  not used: ${u.name}: ${u.reason}`);
      return lines.join('\n');
    }
    case 'progress':
      return formatProgress(event);
    case 'sample':
      return `Sample grid at iteration ${event.iteration}: ${event.path}`;
    case 'checkpoint':
      return `Checkpoint at iteration ${event.iteration}: ${event.path}`;
    case 'warning':
      return `Warning: ${event.message}`;
    case 'stopped':
      return event.reason === 'done'
        ? `Done: ${event.iteration} iterations.`
        : `${event.reason === 'paused' ? 'Paused' : 'Stopped'} at iteration ${event.iteration}, with a checkpoint.`;
    case 'failed':
      return `Failed${event.iteration ? ` at iteration ${event.iteration}` : ''}: ${event.message}`;
  }
}
