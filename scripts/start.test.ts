// `npm start` where the Electron binary is missing: Electron's own installer (the electron package's install.js)
// runs, and what it does decides the outcome. Nothing of ours is replaced: the installer really runs, against
// mirrors we control through its documented ELECTRON_MIRROR setting. What is simulated is GitHub: a refused
// connection, a server that never answers, and a local mirror serving a real zip whose "electron" is a stand-in
// script (the real binary opening the window is e2e/electron.e2e.ts, where one can be downloaded). The
// installer writes into the package it belongs to, so all but the first test use a copy of the package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { storedZip } from './stored-zip.js';
// @ts-expect-error -- a plain .mjs script without type declarations
import * as start from './start.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
type Found = { path: string | null; reason: string | null };
const { ensureElectron, electronBinary, electronPackageDir } = start as {
  ensureElectron(o: { packageDir?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; output?: { write(c: unknown): void } }): Promise<Found>;
  electronBinary(dir?: string): Found;
  electronPackageDir(): string;
};
const ELECTRON_VERSION = (JSON.parse(readFileSync(join(electronPackageDir(), 'package.json'), 'utf8')) as { version: string }).version;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** An address where nothing listens: a port that was just free. */
async function refusingMirror(): Promise<string> {
  const server = createServer();
  const url = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return url;
}

/** The installer's environment: no download cache or skip setting inherited from this machine. */
function installerEnv(mirror: string, cache: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_MIRROR: mirror, electron_config_cache: cache, ...extra };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  delete env.ELECTRON_OVERRIDE_DIST_PATH;
  return env;
}

/** A copy of the electron package; its own dependencies (@electron/get, extract-zip) still come from ours. */
function packageCopy(scratch: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = join(scratch, 'node_modules', 'electron');
  cpSync(electronPackageDir(), dir, { recursive: true, filter: (path) => !/[\\/](dist|path\.txt)$/.test(path) });
  return { dir, env: { NODE_PATH: join(ROOT, 'node_modules') } };
}

const noBinaryHere = electronBinary().path ? `this clone has an Electron binary (${electronBinary().path}); npm start would open the window` : false;

test('npm start offline: the installer runs once, fails fast, and the browser-mode message gives its reason', { skip: noBinaryHere }, async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'darkroom-start-'));
  try {
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'start.mjs')], {
      cwd: ROOT,
      env: installerEnv(await refusingMirror(), join(scratch, 'cache')),
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(run.stderr.match(/Downloading Electron/g)?.length, 1, run.stderr);
    assert.match(run.stderr, /cannot open its desktop window here: Electron's installer could not download it: RequestError: connect ECONNREFUSED/);
    assert.match(run.stderr, /npx darkroom serve/);
    // Only the friendly message, the reason in one line of it: none of the installer's stack trace.
    assert.doesNotMatch(run.stderr, /^\s+at /m, run.stderr);
    assert.equal(run.stderr.match(/ECONNREFUSED/g)?.length, 1, run.stderr);
    assert.equal(electronBinary().path, null, 'a failed download leaves no binary behind');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

test('a mirror that never answers ends in the reason when the timeout passes', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'darkroom-start-'));
  const silent = createServer(() => undefined);
  try {
    const copy = packageCopy(scratch);
    const found = await ensureElectron({ packageDir: copy.dir, env: installerEnv(await listen(silent), join(scratch, 'cache'), copy.env), timeoutMs: 3000, output: { write() {} } });
    assert.equal(found.path, null);
    assert.match(found.reason ?? '', /could not download it: it did not finish within 3 s/);
  } finally {
    silent.closeAllConnections();
    silent.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});

test('a mirror with the release: the installer checks, unpacks and records it, and the binary is what it installed', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'darkroom-start-'));
  const name = `electron-v${ELECTRON_VERSION}-${process.platform}-${process.arch}.zip`;
  const executable = process.platform === 'win32' ? 'electron.exe' : 'electron';
  const zip = storedZip([{ name: executable, mode: 0o755, data: Buffer.from('#!/bin/sh\necho "stand-in electron $*"\n') }]);
  const sums = `${createHash('sha256').update(zip).digest('hex')} *${name}\n`;
  const requested: string[] = [];
  const mirror = createServer((request, response) => {
    requested.push(request.url ?? '');
    const body = request.url === `/v${ELECTRON_VERSION}/${name}` ? zip : request.url === `/v${ELECTRON_VERSION}/SHASUMS256.txt` ? Buffer.from(sums) : null;
    response.writeHead(body ? 200 : 404).end(body ?? 'not found');
  });
  try {
    const copy = packageCopy(scratch);
    let shown = '';
    const env = installerEnv(await listen(mirror), join(scratch, 'cache'), { ...copy.env, electron_use_remote_checksums: '1' });
    const found = await ensureElectron({ packageDir: copy.dir, env, output: { write: (chunk) => void (shown += String(chunk)) } });
    assert.equal(found.reason, null, shown);
    assert.equal(found.path, join(copy.dir, 'dist', executable));
    assert.deepEqual(requested.sort(), [`/v${ELECTRON_VERSION}/SHASUMS256.txt`, `/v${ELECTRON_VERSION}/${name}`]);
    if (process.platform !== 'win32') assert.match(spawnSync(found.path!, ['main.js'], { encoding: 'utf8' }).stdout, /stand-in electron main\.js/);
    // Installed once: the next start finds it without asking the mirror.
    const again = await ensureElectron({ packageDir: copy.dir, env, output: { write() {} } });
    assert.equal(again.path, found.path);
    assert.equal(requested.length, 2);
    assert.ok(existsSync(join(copy.dir, 'path.txt')));
  } finally {
    mirror.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});
