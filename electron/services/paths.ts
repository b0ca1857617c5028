// Where Darkroom's own files are. Found from this module's location by walking up to Darkroom's package.json, so
// that the answer is the same from the sources (electron/services/), from the esbuild bundle (dist/electron/)
// and inside a packaged app, whatever depth each sits at.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The nearest folder at or above `from` whose package.json is Darkroom's. */
export function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'darkroom') return dir;
    if (dirname(dir) === dir) throw new Error(`Darkroom's package.json was not found above ${from}; is the installation complete?`);
  }
}

export const PROJECT_ROOT = findProjectRoot(dirname(fileURLToPath(import.meta.url)));
/** The built studio UI (Vite's output). */
export const RENDERER_DIR = join(PROJECT_ROOT, 'dist', 'renderer');
/** True when this code runs from the TypeScript sources (tsx), false in the bundle that ships (dist/). */
const FROM_SOURCES = import.meta.url.endsWith('.ts');

/**
 * The trainer process's script and the Node flags it needs: from the sources, the .ts entry through tsx; in the
 * bundle, dist/trainer.cjs with plain Node (or Electron's, inside app.asar), since tsx's esbuild binary cannot
 * run from an asar archive and is not shipped.
 */
export function trainerEntry(fromSources = FROM_SOURCES): { script: string; execArgv: string[] } {
  if (!fromSources) return { script: join(PROJECT_ROOT, 'dist', 'trainer.cjs'), execArgv: [] };
  // An absolute URL, so the trainer finds tsx wherever the caller's working directory is.
  return { script: join(PROJECT_ROOT, 'models', 'train', 'trainer-process.ts'), execArgv: ['--import', import.meta.resolve('tsx')] };
}
/**
 * How to start a photo conversion's worker thread (convert-thread.ts): from the sources, a bootstrap that registers
 * tsx in the worker (a worker does not take tsx's --import) and imports the .ts entry; in the bundle,
 * dist/convert-worker.cjs, CommonJS for the reason the trainer is.
 */
export function convertWorkerEntry(fromSources = FROM_SOURCES): { script: string; eval: boolean } {
  if (!fromSources) return { script: join(PROJECT_ROOT, 'dist', 'convert-worker.cjs'), eval: false };
  const entry = pathToFileURL(join(PROJECT_ROOT, 'electron', 'services', 'convert-worker.ts')).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return { script: `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`, eval: true };
}

/** Darkroom's version, from package.json: recorded in exported models and shown by the studio and the CLI. */
export const DARKROOM_VERSION: string = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
