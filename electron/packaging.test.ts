// The installers' Electron fuses (electron-builder.yml): set as Electron's security checklist recommends, and
// compatible with how the studio starts its trainer process. Electron's binary cannot be fused in a test, so
// this holds the configuration electron-builder applies at packaging time to both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, trainerEntry } from './services/paths.js';

const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), 'utf8');

/** The top-level `electronFuses:` mapping of electron-builder.yml (flat `name: true|false` lines) and `asar:`. */
function builderConfig(text: string): { electronFuses?: Record<string, boolean>; asar?: boolean } {
  const lines = text.split('\n');
  const start = lines.indexOf('electronFuses:');
  const config: { electronFuses?: Record<string, boolean>; asar?: boolean } = {};
  if (start >= 0) {
    config.electronFuses = {};
    for (const line of lines.slice(start + 1)) {
      const fuse = /^ {2}(\w+): (true|false)\s*$/.exec(line);
      if (!fuse) break;
      config.electronFuses[fuse[1]] = fuse[2] === 'true';
    }
  }
  const asar = /^asar: (\w+)/m.exec(text);
  if (asar) config.asar = asar[1] === 'true';
  return config;
}
const config = builderConfig(read('electron-builder.yml'));

test('every fuse the security checklist names is set, each the safe way unless the trainer needs otherwise', () => {
  assert.deepEqual(config.electronFuses, {
    runAsNode: true,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    grantFileProtocolExtraPrivileges: false,
  });
  assert.notEqual(config.asar, false, 'onlyLoadAppFromAsar needs the app packed in app.asar');
});

test('the trainer starts under these fuses: ELECTRON_RUN_AS_NODE (runAsNode on), the bundle with no Node flags, no NODE_OPTIONS', () => {
  const runs = read('electron/services/studio-runs.ts');
  const training = read('electron/services/training.ts');
  assert.match(runs, /ELECTRON_RUN_AS_NODE: '1'/, 'if the trainer no longer needs ELECTRON_RUN_AS_NODE, turn runAsNode off');
  assert.deepEqual(trainerEntry(false), { script: join(PROJECT_ROOT, 'dist', 'trainer.cjs'), execArgv: [] });
  for (const source of [runs, training]) assert.doesNotMatch(source, /NODE_OPTIONS/, 'NODE_OPTIONS is ignored by the packaged app');
});

test('the installers ship the bundle and production dependencies only: no sources, tests or benchmarks', () => {
  const text = read('electron-builder.yml');
  const files = /^files:\n((?: {2}- .*\n)+)/m.exec(text)?.[1].split('\n').filter(Boolean).map((line) => line.replace(/^ {2}- "?|"?$/g, ''));
  assert.deepEqual(files, ['package.json', 'dist/**', '!dist/**/*.map']);
  const manifest = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
  for (const tool of ['tsx', 'esbuild', 'vite', 'typescript', 'electron']) assert.equal(manifest.dependencies[tool], undefined, `${tool} is a build tool`);
});
