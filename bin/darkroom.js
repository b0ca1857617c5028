#!/usr/bin/env node
// The `darkroom` command from a clone (`npx darkroom`): runs the TypeScript sources through tsx, so it needs no
// build step. What ships is the bundle, dist/darkroom.js (`npm run build`), which needs no tsx.
import { register } from 'tsx/esm/api';

register();
await import('../electron/cli-entry.ts');
