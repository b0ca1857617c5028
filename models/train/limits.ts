// Limits on training options, one place for every caller: options.ts enforces them for the CLI and the trainer,
// electron/api.ts checks studio requests against them. Imports nothing, so the renderer's bundle can use it too.

/** The most images per training step (more would not fit in memory at the sizes Darkroom trains). */
export const MAX_BATCH = 256;
