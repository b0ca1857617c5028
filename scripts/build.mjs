#!/usr/bin/env node
// `npm run build`: everything Darkroom ships, built into dist/ so that it runs with plain Node or Electron —
// no tsx, no .ts files. Packages stay external (production dependencies beside dist/): the native ones
// (onnxruntime-node, sharp, webgpu's dawn.node, tfjs-node-gpu) cannot be bundled, tfjs-backend-wasm's loader
// reads its .wasm and worker files from the package, and the tfjs backends must share the one tfjs-core.
//
//   dist/renderer/           the studio UI (Vite)
//   dist/darkroom.js         the CLI, browser mode included (`node dist/darkroom.js serve`), ESM, with chunks/
//   dist/electron/main.js    Electron's main process (ESM); preload.cjs beside it (a sandboxed preload is CJS)
//   dist/trainer.cjs         the trainer process; CommonJS, the format Electron's Node reads most surely
//                            from inside app.asar (forked there with ELECTRON_RUN_AS_NODE)
//   dist/convert-worker.cjs  the worker thread that converts one photo for the studio (CommonJS, as the trainer)
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = join(ROOT, 'dist');
export const MAIN_JS = join(DIST, 'electron', 'main.js');

/**
 * Builds dist/ from scratch (a stale chunk of an earlier build would otherwise ship too). `outDir` puts the same
 * layout elsewhere (the shipped-layout test builds into its install folder, leaving this clone's dist/ alone).
 */
export async function buildStudio({ quiet = false, outDir = DIST } = {}) {
  const { build: viteBuild } = await import('vite');
  const esbuild = await import('esbuild');
  await rm(outDir, { recursive: true, force: true });
  await viteBuild({ configFile: join(ROOT, 'vite.config.ts'), logLevel: quiet ? 'warn' : 'info', build: { outDir: join(outDir, 'renderer') } });
  const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, packages: 'external', logLevel: quiet ? 'warning' : 'info' };
  await esbuild.build({
    ...common,
    entryPoints: { darkroom: join(ROOT, 'electron', 'cli-entry.ts'), 'electron/main': join(ROOT, 'electron', 'main.ts') },
    outdir: outDir,
    format: 'esm',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: '#!/usr/bin/env node' },
  });
  await esbuild.build({ ...common, entryPoints: [join(ROOT, 'electron', 'preload.ts')], outfile: join(outDir, 'electron', 'preload.cjs'), format: 'cjs' });
  for (const [entry, out] of [
    [join(ROOT, 'models', 'train', 'trainer-process.ts'), 'trainer.cjs'],
    [join(ROOT, 'electron', 'services', 'convert-worker.ts'), 'convert-worker.cjs'],
  ])
    await esbuild.build({
      ...common,
      entryPoints: [entry],
      outfile: join(outDir, out),
      format: 'cjs',
      // CommonJS has no import.meta; the modules that find packages from their own location get the file's URL.
      define: { 'import.meta.url': '__darkroomFileUrl' },
      banner: { js: "const __darkroomFileUrl = require('node:url').pathToFileURL(__filename).href;" },
    });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildStudio();
}
