import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../models/errors.js';
import { camelCase, parseArgs, type OptionSpecs } from './args.js';

const SPECS: OptionSpecs = {
  data: { kind: 'string' },
  size: { kind: 'int', min: 1 },
  beta: { kind: 'number', min: 0 },
  offset: { kind: 'number' },
  backend: { kind: 'string', choices: ['auto', 'cpu'] },
  'no-flip': { kind: 'boolean' },
};

const parse = (...argv: string[]) => parseArgs('train', argv, SPECS);

function rejects(argv: string[], pattern: RegExp) {
  assert.throws(
    () => parse(...argv),
    (error: unknown) => {
      assert.ok(error instanceof UsageError, 'a UsageError (exit 2)');
      assert.match(error.message, pattern);
      assert.match(error.message, /darkroom train --help/, 'points to --help');
      return true;
    },
  );
}

test('values, switches, --flag=value, positionals and negative numbers parse', () => {
  const parsed = parse('ae', '--data', 'faces', '--size=32', '--no-flip', '--beta', '0.5', '--offset', '-3', 'extra');
  assert.deepEqual(parsed.positionals, ['ae', 'extra']);
  assert.deepEqual(parsed.options, { data: 'faces', size: 32, 'no-flip': true, beta: 0.5, offset: -3 });
  assert.equal(parsed.help, false);
  assert.equal(parse('-h').help, true);
  assert.deepEqual(parse('--', '--data').positionals, ['--data']);
  // A value that starts with a minus and a digit, like convert's `--range -1,1`, is a value, not a flag.
  assert.equal(parseArgs('convert', ['--range', '-1,1'], { range: { kind: 'string' } }).options.range, '-1,1');
  rejects(['--data', '-x'], /--data needs a value/);
});

test('mistakes are usage errors that say what is wrong', () => {
  rejects(['--bogus'], /unknown option --bogus/);
  rejects(['--sise', '3'], /did you mean --size\?/);
  rejects(['--data'], /--data needs a value/);
  rejects(['--data', '--size', '3'], /--data needs a value/);
  rejects(['--size', 'big'], /--size needs a number \(got "big"\)/);
  rejects(['--size', '2.5'], /--size needs a whole number/);
  rejects(['--size', '0'], /--size must be at least 1/);
  rejects(['--beta', ''], /--beta needs a number/);
  rejects(['--backend', 'gpu'], /--backend must be one of auto, cpu/);
  rejects(['--no-flip=yes'], /takes no value/);
  rejects(['--size', '2', '--size', '3'], /given twice/);
  rejects(['-x'], /unknown option -x/);
});

test('kebab-case flags map to camelCase option names', () => {
  assert.equal(camelCase('lambda-cycle'), 'lambdaCycle');
  assert.equal(camelCase('k'), 'k');
});

test('an empty value is refused, not taken as the current folder', () => {
  rejects(['--data', ''], /--data is empty: give a value/);
  rejects(['--data=  '], /--data is empty/);
  rejects(['--backend='], /--backend is empty/);
});
