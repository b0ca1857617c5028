import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './rng.js';

test('same seed gives the same stream; a restored state continues it exactly', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  for (let i = 0; i < 10; i++) assert.equal(a.nextUint32(), b.nextUint32());
  const saved = a.getState();
  const expected = [a.uniform(), a.normal(), a.int(7)];
  const restored = new Rng(saved);
  assert.deepEqual([restored.uniform(), restored.normal(), restored.int(7)], expected);
});

test('normal samples have mean ~0 and std ~1; permutations are permutations', () => {
  const r = new Rng(1);
  const xs = r.normals(20000);
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 0.03, `std ${std}`);
  const p = r.permutation(100);
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  assert.notDeepEqual(p, Array.from({ length: 100 }, (_, i) => i));
});
