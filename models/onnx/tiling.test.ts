import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axisWeights, chooseOverlap, planAxis, planTiles, reflect } from './tiling.js';

test('tiles cover the whole axis, start on the stride grid and share at least the overlap', () => {
  for (const [length, tile, stride] of [
    [1000, 256, 4],
    [260, 256, 4],
    [4000, 512, 4],
    [3000, 512, 4],
    [777 * 4, 320, 4],
    [96, 64, 16],
  ]) {
    const overlap = chooseOverlap(tile, stride);
    const spans = planAxis(length, tile, overlap, stride);
    assert.equal(spans[0].start, 0);
    assert.equal(spans.at(-1)!.start + spans.at(-1)!.size, length, `last tile ends at the end of ${length}`);
    const size = spans[0].size;
    assert.ok(size <= tile);
    for (const [i, span] of spans.entries()) {
      assert.equal(span.size, size, 'all tiles of one size');
      assert.equal(span.start % stride, 0, `tile ${i} of ${length} starts on the stride grid`);
      if (i > 0) {
        const shared = spans[i - 1].start + size - span.start;
        assert.ok(shared >= overlap, `tiles ${i - 1} and ${i} of ${length} share ${shared} px, fewer than ${overlap}`);
        assert.ok(shared < size, 'tiles advance');
      }
    }
    // Evenly spread: no gap between starts is more than a stride away from another.
    const steps = spans.slice(1).map((s, i) => s.start - spans[i].start);
    if (steps.length > 0) assert.ok(Math.max(...steps) - Math.min(...steps) <= stride, `uneven steps ${steps.join(',')}`);
    // As few tiles as the overlap allows, and no more pixels than those tiles need (up to the stride rounding).
    const fewest = Math.ceil((length - overlap) / (tile - overlap));
    assert.equal(spans.length, fewest, `${length} in ${tile} px tiles`);
    assert.ok(size <= Math.ceil((length + (fewest - 1) * overlap) / fewest) + 2 * stride, `tiles of ${size} px for ${length}`);
  }
});

test('a photo slightly wider than two tiles gets three smaller tiles, not three full ones; fixed sizes stay', () => {
  const spans = planAxis(1000, 512, 64, 4);
  assert.equal(spans.length, 3);
  assert.ok(spans[0].size < 400, `tiles of ${spans[0].size} px`);
  assert.ok(planAxis(1000, 512, 64, 4, true).every((s) => s.size === 512));
});

test('an axis that fits in one tile is one tile of its own length', () => {
  assert.deepEqual(planAxis(200, 256, 64, 4), [{ start: 0, size: 200 }]);
  assert.deepEqual(planAxis(256, 256, 64, 4), [{ start: 0, size: 256 }]);
  assert.throws(() => planAxis(201, 256, 64, 4), /multiples of the stride/);
});

test('blend weights sum to one everywhere, fall to zero near shared tile edges, and are one where a tile is alone', () => {
  const overlap = 64;
  const spans = planAxis(1000, 256, overlap, 4);
  const weights = axisWeights(spans, overlap);
  const sum = new Float64Array(1000);
  spans.forEach((s, i) => weights[i].forEach((w, k) => (sum[s.start + k] += w)));
  for (let p = 0; p < 1000; p++) assert.ok(Math.abs(sum[p] - 1) < 1e-6, `weights at ${p} sum to ${sum[p]}`);
  for (const [i, w] of weights.entries()) {
    for (const v of w) assert.ok(v >= 0 && v <= 1);
    // The quarter of the overlap nearest an inner edge, where the tile lacked context, does not count.
    if (i > 0) assert.ok(w.subarray(0, overlap / 4).every((v) => v === 0), `tile ${i} starts at weight 0`);
    if (i < spans.length - 1) assert.ok(w.subarray(w.length - overlap / 4).every((v) => v === 0), `tile ${i} ends at weight 0`);
  }
  // The first tile alone covers the photo's left edge with full weight.
  assert.ok(weights[0].subarray(0, 100).every((v) => v === 1));
  // Smooth: no jump between neighbouring pixels larger than the ramp allows.
  for (const w of weights) for (let k = 1; k < w.length; k++) assert.ok(Math.abs(w[k] - w[k - 1]) < 0.11);
});

test('reflect mirrors without repeating the edge, even far outside small photos', () => {
  assert.deepEqual([-2, -1, 0, 1, 2, 3, 4, 5].map((i) => reflect(i, 4)), [2, 1, 0, 1, 2, 3, 2, 1]);
  assert.deepEqual([0, 5, 9].map((i) => reflect(i, 3)), [0, 1, 1]);
  assert.deepEqual([0, 1, 7].map((i) => reflect(i, 1)), [0, 0, 0]);
});

test('planTiles pads to the stride, and fixed-size models to a whole tile', () => {
  const free = planTiles({ width: 203, height: 131, tileWidth: 512, tileHeight: 512, stride: 4, fixedSize: false });
  assert.deepEqual([free.paddedWidth, free.paddedHeight, free.columns.length, free.rows.length], [204, 132, 1, 1]);
  const fixed = planTiles({ width: 50, height: 150, tileWidth: 64, tileHeight: 64, stride: 16, fixedSize: true });
  assert.deepEqual([fixed.paddedWidth, fixed.paddedHeight], [64, 160]);
  assert.ok(fixed.columns.every((c) => c.size === 64) && fixed.rows.every((r) => r.size === 64));
  assert.equal(fixed.rows.length, 3);
  assert.throws(() => planTiles({ width: 10, height: 10, tileWidth: 66, tileHeight: 64, stride: 4, fixedSize: false }), /multiple of the stride/);
});
