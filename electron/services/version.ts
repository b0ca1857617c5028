// Darkroom's version, from package.json: recorded in exported models and shown by the studio and the CLI.
import { createRequire } from 'node:module';

export const DARKROOM_VERSION: string = createRequire(import.meta.url)('../../package.json').version;
