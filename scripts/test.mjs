#!/usr/bin/env node
// Runs every unit/integration test (*.test.ts beside the code) with Node's test runner through tsx,
// then the Playwright end-to-end suite unless --unit is given.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.') || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = ['models', 'electron', 'renderer', 'scripts']
  .filter((d) => existsSync(join(root, d)))
  .flatMap((d) => findTests(join(root, d)))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

let failed = false;
if (files.length > 0) {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
    { cwd: root, stdio: 'inherit' },
  );
  failed ||= run.status !== 0;
} else if (filters.length === 0) {
  console.error('no unit tests found');
  failed = true;
}

const e2eConfig = join(root, 'e2e', 'playwright.config.ts');
if (!unitOnly && filters.length === 0 && existsSync(e2eConfig)) {
  const run = spawnSync('npx', ['playwright', 'test', '-c', e2eConfig], { cwd: root, stdio: 'inherit' });
  failed ||= run.status !== 0;
}
process.exit(failed ? 1 : 0);
