#!/usr/bin/env node
// `npm start`: makes sure the Electron binary is there, builds dist/ (scripts/build.mjs), then opens the studio in
// Electron. npm installs the electron package without its download script (package.json allowScripts), so the
// first start runs Electron's own installer, its progress on the terminal. Only when that fails (offline, a
// proxy, an unsupported platform) does it print why and point to browser mode, `npx darkroom serve`.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildStudio, MAIN_JS } from './build.mjs';

export { buildStudio, MAIN_JS };

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Preloaded into Electron's installer: its error output comes to us on a pipe (fd 3) instead of the terminal. */
const INSTALLER_ERRORS = fileURLToPath(new URL('./installer-errors.cjs', import.meta.url));
/** Downloading Electron (~100 MB) on a slow line takes minutes; a network that swallows requests must not hang. */
export const ELECTRON_INSTALL_TIMEOUT_MS = 5 * 60_000;
/** The installer's last lines kept to say why it failed. */
const REASON_LINES = 3;

/** The folder of this clone's electron package. */
export function electronPackageDir() {
  return dirname(createRequire(import.meta.url).resolve('electron/package.json'));
}

/** The Electron executable in an electron package, or null with the reason (what the package's index.js reads). */
export function electronBinary(packageDir = electronPackageDir()) {
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return { path: null, reason: 'the Electron binary was never downloaded' };
  const path = join(packageDir, 'dist', readFileSync(pathFile, 'utf8'));
  return existsSync(path) ? { path, reason: null } : { path: null, reason: `the Electron binary is missing (${path})` };
}

/**
 * The Electron binary, running the package's own installer (install.js) once when it is missing. On a terminal
 * the installer writes straight to it (its progress bar draws only on a TTY); elsewhere its output is relayed to
 * `output`. Either way what it prints as an error (a stack trace) comes to us on a pipe of its own
 * (installer-errors.cjs), never to the person, and its error line becomes the reason. Never throws.
 */
export async function ensureElectron({ packageDir = electronPackageDir(), env = process.env, timeoutMs = ELECTRON_INSTALL_TIMEOUT_MS, output = process.stderr } = {}) {
  const found = electronBinary(packageDir);
  if (found.path) return found;
  output.write('Downloading Electron for the desktop window (once)…\n');
  const onTerminal = output === process.stderr && process.stderr.isTTY === true;
  const child = spawn(process.execPath, ['--require', INSTALLER_ERRORS, join(packageDir, 'install.js')], {
    cwd: packageDir,
    env,
    stdio: ['ignore', onTerminal ? 'inherit' : 'pipe', onTerminal ? 'inherit' : 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk) => (tail = (tail + chunk.toString()).slice(-4000));
  const relay = (chunk) => {
    output.write(chunk);
    keep(chunk);
  };
  child.stdout?.on('data', relay);
  child.stderr?.on('data', relay);
  // The installer's errors: the reason, not for the terminal.
  child.stdio[3]?.on('data', keep);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise((resolve) => {
    child.on('error', (error) => {
      tail += `\n${error.message}`;
      resolve(null);
    });
    child.on('close', (exitCode) => resolve(exitCode));
  });
  clearTimeout(timer);
  const after = electronBinary(packageDir);
  if (code === 0 && after.path) return after;
  if (code === 0) {
    const skipped = env.ELECTRON_SKIP_BINARY_DOWNLOAD ? ' because ELECTRON_SKIP_BINARY_DOWNLOAD is set' : '';
    return { path: null, reason: `Electron's installer finished without installing it${skipped} (${after.reason})` };
  }
  const why = timedOut ? `it did not finish within ${Math.round(timeoutMs / 1000)} s` : installerReason(tail) || `it exited with code ${code}`;
  return { path: null, reason: `Electron's installer could not download it: ${why}` };
}

/** The error line of the installer's output (its stack trace's first line), else its last lines. */
function installerReason(output) {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const error = lines.find((l) => /^\w*Error\b|^Error:/.test(l));
  return error ?? lines.slice(-REASON_LINES).join(' ');
}

export function browserModeMessage(reason) {
  return [
    '',
    `Darkroom cannot open its desktop window here: ${reason}.`,
    '',
    'Use the studio in your browser instead — same features, same workspace:',
    '',
    '    npx darkroom serve',
    '',
    'and open the address it prints. Once downloads work, `npm start` tries Electron again.',
    '',
  ].join('\n');
}

async function main() {
  const args = process.argv.slice(2);
  const electron = await ensureElectron();
  if (!electron.path) {
    process.stderr.write(browserModeMessage(electron.reason));
    return 1;
  }
  await buildStudio();
  const child = spawn(electron.path, [MAIN_JS, ...args], { stdio: 'inherit', cwd: ROOT });
  return new Promise((resolve) => {
    // A binary that is there but cannot run here (not executable, the wrong platform's): browser mode, with why.
    child.on('error', (error) => {
      process.stderr.write(browserModeMessage(`the Electron binary ${electron.path} cannot be started (${error.message})`));
      resolve(1);
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    process.exitCode = await main();
  } catch (error) {
    // A failed build, or Electron that cannot be started: one line that says why (the stack only when debugging).
    const detail = process.env.DARKROOM_DEBUG && error instanceof Error && error.stack ? `\n${error.stack}` : '';
    process.stderr.write(`npm start: ${error instanceof Error ? error.message : String(error)}${detail}\n`);
    process.exitCode = 1;
  }
}
