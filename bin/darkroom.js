#!/usr/bin/env node
// The `darkroom` command. Darkroom runs its TypeScript sources directly through tsx (a runtime dependency),
// so this works from a clone with `npx darkroom` and needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/cli.ts');
const code = await main(process.argv.slice(2));
// Let pending stdout/stderr writes drain, then exit with the command's code.
process.exitCode = code;
