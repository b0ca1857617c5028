import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnsFor, visibleRange } from './virtual-grid.js';

test('columns: as many cells of the minimum size as fit, gaps between them, at least one', () => {
  assert.equal(columnsFor(400, 72, 4), 5); // 5·72 + 4·4 = 376 ≤ 400; 6 would need 452
  assert.equal(columnsFor(452, 72, 4), 6);
  assert.equal(columnsFor(451, 72, 4), 5);
  assert.equal(columnsFor(50, 72, 4), 1);
  assert.equal(columnsFor(0, 72, 4), 1);
  assert.equal(columnsFor(Number.NaN, 72, 4), 1);
});

test('the rows in view plus overscan, as item indices and offsets', () => {
  // 1000 items, 10 a row → 100 rows of 50 px; a 200 px viewport at the top shows rows 0–3.
  const top = visibleRange({ count: 1000, columns: 10, rowHeight: 50, scrollTop: 0, viewportHeight: 200, overscan: 2 });
  assert.deepEqual(top, { rows: 100, startRow: 0, endRow: 6, start: 0, end: 60, offsetTop: 0, totalHeight: 5000 });
  // Scrolled to 1025 px: rows 20 (partly) to 24 (partly) are visible.
  const middle = visibleRange({ count: 1000, columns: 10, rowHeight: 50, scrollTop: 1025, viewportHeight: 200, overscan: 2 });
  assert.deepEqual([middle.startRow, middle.endRow, middle.start, middle.end, middle.offsetTop], [18, 27, 180, 270, 900]);
});

test('the window is clamped to the grid, and a last partial row ends at the last item', () => {
  const bottom = visibleRange({ count: 995, columns: 10, rowHeight: 50, scrollTop: 4800, viewportHeight: 200, overscan: 2 });
  assert.deepEqual([bottom.startRow, bottom.endRow, bottom.start, bottom.end], [94, 100, 940, 995]);
  const past = visibleRange({ count: 995, columns: 10, rowHeight: 50, scrollTop: 1e6, viewportHeight: 200 });
  assert.deepEqual([past.startRow, past.endRow, past.start, past.end], [94, 100, 940, 995], 'past the end shows the end');
  assert.deepEqual(visibleRange({ count: 0, columns: 4, rowHeight: 50, scrollTop: 0, viewportHeight: 200 }).end, 0);
});

test('a viewport not measured yet still renders the overscan rows; odd inputs do not break it', () => {
  const unmeasured = visibleRange({ count: 100, columns: 5, rowHeight: 80, scrollTop: 0, viewportHeight: 0, overscan: 2 });
  assert.deepEqual([unmeasured.start, unmeasured.end], [0, 10]);
  const odd = visibleRange({ count: 7, columns: 0, rowHeight: 0, scrollTop: -10, viewportHeight: 3 });
  assert.ok(odd.start === 0 && odd.end <= 7 && odd.rows === 7);
});
