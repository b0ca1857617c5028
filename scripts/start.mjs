#!/usr/bin/env node
// `npm start`: builds the renderer (Vite) and the Electron main process and preload (esbuild), then launches
// Electron. Where the Electron binary is missing (npm installs the electron package without running its
// download script), it says so plainly and points to browser mode, `npx darkroom serve`.
// `node scripts/start.mjs --build-only` builds without launching (the Electron e2e tests and packaging use it).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const MAIN_JS = join(ROOT, 'dist', 'electron', 'main.js');

/** Renderer into dist/renderer, main into dist/electron/main.js (ESM), preload into dist/electron/preload.cjs. */
export async function buildStudio({ quiet = false } = {}) {
  const { build: viteBuild } = await import('vite');
  const esbuild = await import('esbuild');
  await viteBuild({ configFile: join(ROOT, 'vite.config.ts'), logLevel: quiet ? 'warn' : 'info' });
  const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: quiet ? 'warning' : 'info' };
  // Project sources are bundled; packages stay external (native modules, tfjs, Electron itself).
  await esbuild.build({ ...common, entryPoints: [join(ROOT, 'electron', 'main.ts')], outfile: MAIN_JS, format: 'esm', packages: 'external' });
  await esbuild.build({ ...common, entryPoints: [join(ROOT, 'electron', 'preload.ts')], outfile: join(ROOT, 'dist', 'electron', 'preload.cjs'), format: 'cjs', external: ['electron'] });
}

/** The Electron executable, or null with the reason when this install has none. */
export function electronBinary() {
  try {
    const path = createRequire(import.meta.url)('electron');
    if (typeof path === 'string' && existsSync(path)) return { path, reason: null };
    return { path: null, reason: `the Electron binary is missing (${path})` };
  } catch (error) {
    return { path: null, reason: `the Electron binary was never downloaded (${error.message.split('\n')[0]})` };
  }
}

async function main() {
  const args = process.argv.slice(2);
  await buildStudio();
  if (args.includes('--build-only')) return 0;
  const electron = electronBinary();
  if (!electron.path) {
    process.stderr.write(
      [
        '',
        `Darkroom cannot open its desktop window here: ${electron.reason}.`,
        'npm installs the electron package without running its download script on this machine.',
        '',
        'Use the studio in your browser instead — same features, same workspace:',
        '',
        '    npx darkroom serve',
        '',
        'and open the address it prints. (Where downloads are allowed, `node node_modules/electron/install.js`',
        'fetches the Electron binary; then `npm start` opens the desktop app.)',
        '',
      ].join('\n'),
    );
    return 1;
  }
  const child = spawn(electron.path, [MAIN_JS, ...args.filter((a) => a !== '--build-only')], { stdio: 'inherit', cwd: ROOT });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main();
}
