// The arithmetic of a virtualised grid of square cells: how many columns fit a width, and which rows (so
// which items) a scrolled viewport shows, plus a few rows of overscan so that fast scrolling does not flash.

/** Columns of at least `minSize` px (with `gap` px between them) that fit in `width`; always at least 1. */
export function columnsFor(width: number, minSize: number, gap: number): number {
  if (!(width > 0) || !(minSize > 0)) return 1;
  return Math.max(1, Math.floor((width + gap) / (minSize + gap)));
}

export interface GridWindow {
  /** Rows in the whole grid. */
  rows: number;
  /** First row rendered, and one past the last. */
  startRow: number;
  endRow: number;
  /** Items rendered: indices [start, end). */
  start: number;
  end: number;
  /** Where the first rendered row sits, and the height of the whole grid, in px. */
  offsetTop: number;
  totalHeight: number;
}

/**
 * The rows of a grid of `count` items in `columns` columns, each row `rowHeight` px tall (gap included),
 * that a viewport `viewportHeight` px tall scrolled by `scrollTop` px shows, widened by `overscan` rows on
 * each side and clamped to the grid.
 */
export function visibleRange(options: { count: number; columns: number; rowHeight: number; scrollTop: number; viewportHeight: number; overscan?: number }): GridWindow {
  const count = Math.max(0, Math.floor(options.count));
  const columns = Math.max(1, Math.floor(options.columns));
  const rowHeight = options.rowHeight > 0 ? options.rowHeight : 1;
  const overscan = Math.max(0, Math.floor(options.overscan ?? 2));
  const rows = Math.ceil(count / columns);
  const viewportHeight = Math.max(0, options.viewportHeight || 0);
  // Past the end (the items just shrank, say) counts as scrolled to the end.
  const scrollTop = Math.min(Math.max(0, rows * rowHeight - viewportHeight), Math.max(0, options.scrollTop || 0));
  const firstVisible = Math.floor(scrollTop / rowHeight);
  const lastVisible = Math.ceil((scrollTop + viewportHeight) / rowHeight); // exclusive
  const startRow = Math.min(rows, Math.max(0, firstVisible - overscan));
  const endRow = Math.min(rows, Math.max(startRow, lastVisible + overscan));
  return {
    rows,
    startRow,
    endRow,
    start: startRow * columns,
    end: Math.min(count, endRow * columns),
    offsetTop: startRow * rowHeight,
    totalHeight: rows * rowHeight,
  };
}
