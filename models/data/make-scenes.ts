// Writes a day/night scene dataset from the command line (for the bundled sample project and experiments):
//   npx tsx models/data/make-scenes.ts OUT_DIR [--count 200] [--size 128] [--seed-base 1] [--paired]
import { parseArgs } from 'node:util';
import { writeSceneDataset } from './scenes.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    count: { type: 'string', default: '200' },
    size: { type: 'string', default: '128' },
    'seed-base': { type: 'string', default: '1' },
    paired: { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const size = Number(values.size);
const seedBase = Number(values['seed-base']);
if (positionals.length !== 1 || !Number.isInteger(count) || !Number.isInteger(size) || !Number.isInteger(seedBase)) {
  console.error('usage: make-scenes OUT_DIR [--count N] [--size N] [--seed-base N] [--paired]');
  process.exit(2);
}
const res = await writeSceneDataset(positionals[0], { count, size, seedBase, split: values.paired ? 'paired' : 'unpaired' });
console.error(`wrote ${res.day.length} day and ${res.night.length} night scenes (${size}×${size}) to ${positionals[0]}`);
