// Human-readable text for training events: one formatter shared by the CLI printer and any log view.
import type { TrainingEvent } from '../../models/train/events.js';

/** 75 → "1m15s", 4000 → "1h06m", unknown/infinite → "?". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Four significant digits, without exponent noise for ordinary loss values. */
export function formatLoss(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? value.toExponential(2) : value.toPrecision(4);
}

export function formatSpeed(itPerSec: number): string {
  if (itPerSec <= 0) return '? it/s';
  return itPerSec >= 1 ? `${itPerSec.toFixed(1)} it/s` : `${(1 / itPerSec).toFixed(1)} s/it`;
}

export function formatProgress(event: Extract<TrainingEvent, { type: 'progress' }>): string {
  const percent = event.total > 0 ? Math.floor((100 * event.iteration) / event.total) : 0;
  const losses = Object.entries(event.losses)
    .map(([name, value]) => `${name} ${formatLoss(value)}`)
    .join('  ');
  return `it ${event.iteration}/${event.total} (${percent}%)  ${losses}  ${formatSpeed(event.itPerSec)}  ETA ${formatDuration(event.etaSeconds)}  epoch ${event.epoch.toFixed(2)}`;
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
