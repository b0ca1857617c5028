// The installers' Electron fuses (electron-builder.yml): set as Electron's security checklist recommends, and
// compatible with how the studio starts its trainer process. Electron's binary cannot be fused in a test, so
// this holds the configuration electron-builder applies at packaging time to both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './services/paths.js';

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

test('the trainer starts under these fuses: ELECTRON_RUN_AS_NODE (runAsNode on) and tsx through execArgv, not NODE_OPTIONS', () => {
  const runs = read('electron/services/studio-runs.ts');
  const training = read('electron/services/training.ts');
  assert.match(runs, /ELECTRON_RUN_AS_NODE: '1'/, 'if the trainer no longer needs ELECTRON_RUN_AS_NODE, turn runAsNode off');
  assert.match(training, /execArgv: \['--import', tsxLoader\(\)\]/, 'the tsx loader must travel as a command-line flag');
  for (const source of [runs, training]) assert.doesNotMatch(source, /NODE_OPTIONS/, 'NODE_OPTIONS is ignored by the packaged app');
});
