// Numbers people read, written the same by the CLI and the studio: durations, losses, rates. Free of imports, so
// the renderer bundles it without Node.

/** 42 → "42s", 75 → "1m 15s", 4000 → "1h 06m"; unknown, negative or infinite → "—". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Four significant digits, with an exponent only for very small or very large values. */
export function formatLoss(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  return abs < 1e-3 || abs >= 1e5 ? value.toExponential(2) : value.toPrecision(4);
}

/** 12 → "12 it/s", 4 → "4.0 it/s", 0.25 → "4.0 s/it" (for unit "it"); unknown or zero → "—". */
export function formatRate(perSecond: number | null | undefined, unit: string): string {
  if (perSecond == null || !Number.isFinite(perSecond) || perSecond <= 0) return '—';
  if (perSecond >= 10) return `${perSecond.toFixed(0)} ${unit}/s`;
  if (perSecond >= 1) return `${perSecond.toFixed(1)} ${unit}/s`;
  return `${(1 / perSecond).toFixed(1)} s/${unit}`;
}
