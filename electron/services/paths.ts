// Where Darkroom's own files are. Found from this module's location by walking up to Darkroom's package.json, so
// that the answer is the same from the sources (electron/services/), from the esbuild bundle (dist/electron/)
// and inside a packaged app, whatever depth each sits at.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
/** The trainer process's entry, run through tsx. */
export const TRAINER_ENTRY = join(PROJECT_ROOT, 'models', 'train', 'trainer-process.ts');
/** Darkroom's version, from package.json: recorded in exported models and shown by the studio and the CLI. */
export const DARKROOM_VERSION: string = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
