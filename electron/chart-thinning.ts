// Thinning a loss history for a chart: the chart needs the shape of the curve, not every logged point. The run
// page (from metrics.jsonl) and the live chart (from progress events) thin the same way, so they look alike.

export const MAX_CHART_POINTS = 400;

/** At most `max` points spread evenly over the history, always with the last. */
export function thinPoints<T>(points: readonly T[], max = MAX_CHART_POINTS): T[] {
  if (points.length <= max) return [...points];
  const step = points.length / max;
  const kept: T[] = [];
  for (let i = 0; i < max - 1; i++) kept.push(points[Math.floor(i * step)]);
  kept.push(points[points.length - 1]);
  return kept;
}
