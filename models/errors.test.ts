import { test } from 'node:test';
import assert from 'node:assert/strict';
import { option, remedy, sayRemedies, sayRemediesIn, type Remedy } from './errors.js';

const words = (r: Remedy) => ('option' in r ? `<${r.option}${r.value === undefined ? '' : `=${r.value}`}>` : `<${r.action}>`);

test('a remedy survives every text channel (JSON, IPC) and is put into words only where it is read', () => {
  const message = `What fits: ${option('batch', 4)} at this size; or resume with ${remedy({ action: 'resume', run: 'runs/odd ⟧ name' })}`;
  const carried = JSON.parse(JSON.stringify({ message })).message as string;
  assert.equal(sayRemedies(carried, words), 'What fits: <batch=4> at this size; or resume with <resume>');
  // The path inside the marker came through whole.
  const said = sayRemedies(carried, (r) => ('run' in r ? r.run : ''));
  assert.match(said, /runs\/odd ⟧ name$/);
});

test('text without remedies, and markers that are not remedies, stay as they are', () => {
  assert.equal(sayRemedies('plain --size text', words), 'plain --size text');
  assert.equal(sayRemedies('⟦{"neither":1}⟧ and ⟦not json⟧', words), '⟦{"neither":1}⟧ and ⟦not json⟧');
});

test('every string of an answer or event is said; what holds none is returned as it was', () => {
  const untouched = { a: [1, 'x', { b: 'y' }], c: null };
  assert.equal(sayRemediesIn(untouched, words), untouched);
  const event = { type: 'training', event: { type: 'failed', message: `lower ${option('lr')}` }, list: ['a', option('size', 64)] };
  assert.deepEqual(sayRemediesIn(event, words), { type: 'training', event: { type: 'failed', message: 'lower <lr>' }, list: ['a', '<size=64>'] });
  assert.equal(event.event.message, `lower ${option('lr')}`, 'the original is not changed');
});
