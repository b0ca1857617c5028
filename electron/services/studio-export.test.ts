import { test } from 'node:test';
import assert from 'node:assert/strict';
import { domainNames } from './studio-export.js';

test("a translator's domains are named by what tells its datasets' names apart", () => {
  assert.deepEqual(domainNames('Sample: day scenes', 'Sample: night scenes'), ['day', 'night']);
  assert.deepEqual(domainNames('Summer', 'Winter'), ['Summer', 'Winter']);
  assert.deepEqual(domainNames('Horses 2019', 'Zebras 2019'), ['Horses', 'Zebras']);
  // Never a whole name dropped, nor two domains with one name.
  assert.deepEqual(domainNames('photos', 'photos old'), ['photos', 'photos old']);
  assert.deepEqual(domainNames('Cats', 'cats'), ['Cats', 'cats']);
  // A bracket that belongs to the name stays; one around the whole difference goes.
  assert.deepEqual(domainNames('Street (day)', 'Night scenes'), ['Street (day)', 'Night scenes']);
  assert.deepEqual(domainNames('Photos (day)', 'Photos (night)'), ['day', 'night']);
  assert.deepEqual(domainNames('Cars [2019] red', 'Cars blue'), ['[2019] red', 'blue']);
});
