// Darkroom's version, from package.json (paths.ts reads it): recorded in exported models and shown by the studio
// and the CLI.
export { DARKROOM_VERSION } from './paths.js';
