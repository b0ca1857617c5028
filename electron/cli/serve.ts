// `darkroom serve`: the studio in a browser. HTTP + WebSocket on 127.0.0.1 with a per-launch token,
// over the same services as the CLI and Electron (electron/server.ts). Runs until Ctrl+C, which stops
// any training with a checkpoint first. A new single-use address comes on request (Enter, or SIGUSR1), so a
// closed tab never means restarting the studio.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs, usageError } from './args.js';
import { defaultWorkspaceDir } from '../services/workspace.js';
import { PROJECT_ROOT, RENDERER_DIR } from '../services/paths.js';

export const name = 'serve';
export const summary = 'open the studio in your browser (127.0.0.1 only, with a per-launch token)';
export const usage = `Usage: darkroom serve [--port N] [--workspace DIR] [--json]

Starts the studio's browser mode on http://127.0.0.1 and prints the address to open. That address works
once: the page it opens receives the per-launch access token and keeps it in its tab (reloads and duplicated
tabs keep it), so the browser's history holds only a spent address. Only this machine can connect, and only
with the token. The studio reads images only from the
workspace and folders you choose in it (Browse…), writes only into the workspace and folders you choose as
outputs, and saves single photos through the browser's downloads. For a new address (the tab was closed, or
for another browser), press Enter in its terminal, or send it SIGUSR1 (\`kill -USR1 PID\`, with the process id
it prints): it prints one more, and the studio and its training go on. Stop it with Ctrl+C (training runs are
checkpointed and stopped first; resume them later).

Options:
  --port N          listen on port N (default: a free port)
  --workspace DIR   the studio's folder of runs, models and datasets
                    (default: $DARKROOM_WORKSPACE, else the platform's app-data folder)
  --json            print {"type":"listening","url":…,"launchUrl":…,"pid":…} to stdout instead of the sentence
                    (url carries the token itself, for scripts; launchUrl is a single-use address), and
                    each new address asked for as {"type":"launch","launchUrl":…}`;

/**
 * Calls `give` whenever a person asks the running serve for a new launch address: a line on `input` (Enter on its
 * terminal) or SIGUSR1 (POSIX; on Windows only the line). Returns the function that stops listening and lets the
 * input go, so that the process can end.
 */
export function offerNewAddresses(give: () => void, input: NodeJS.ReadableStream = process.stdin): () => void {
  const lines = createInterface({ input });
  lines.on('line', give);
  const signal = process.platform === 'win32' ? null : 'SIGUSR1';
  // Listening replaces Node's default for SIGUSR1 (starting its inspector), which serve has no use for.
  if (signal) process.on(signal, give);
  return () => {
    lines.close();
    if (signal) process.off(signal, give);
    if (input === process.stdin) process.stdin.destroy();
  };
}


/** Builds the renderer when a clone has not built it yet (Vite is a dev dependency of the clone). */
async function ensureRenderer(log: (line: string) => void): Promise<string | null> {
  if (existsSync(join(RENDERER_DIR, 'index.html'))) return RENDERER_DIR;
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    log('The studio UI is not built and Vite is not installed: run `npm install && npm run build:renderer`.');
    return null;
  }
  log('Building the studio UI (first run)…');
  await vite.build({ configFile: join(PROJECT_ROOT, 'vite.config.ts'), logLevel: 'warn' });
  return RENDERER_DIR;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(name, argv, { port: { kind: 'int', min: 0 }, workspace: { kind: 'string' }, json: { kind: 'boolean' } });
  if (args.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  if (args.positionals.length > 0) throw usageError(name, `unexpected argument "${args.positionals[0]}"`);
  const port = args.options.port as number | undefined;
  if (port !== undefined && port > 65535) throw usageError(name, `--port must be at most 65535 (got ${port})`);
  const log = (line: string) => process.stderr.write(line + '\n');

  const workspaceDir = (args.options.workspace as string | undefined) ?? defaultWorkspaceDir();
  const staticDir = await ensureRenderer(log);
  // The studio loads tfjs, ONNX Runtime and sharp: imported here, not for `darkroom --help`.
  const [{ createStudio }, { startServer }] = await Promise.all([import('../services/studio.js'), import('../server.js')]);
  const studio = await createStudio({ workspaceDir, access: 'browser' });
  const server = await startServer({ studio, staticDir, port });
  const json = args.options.json === true;
  if (json) {
    const listening = { type: 'listening', url: server.url, launchUrl: server.launchUrl(), port: server.port, workspace: studio.workspace.paths.root, pid: process.pid };
    process.stdout.write(JSON.stringify(listening) + '\n');
  } else {
    process.stdout.write(`Darkroom studio: ${server.launchUrl()}\n`);
    log(
      `Workspace: ${studio.workspace.paths.root}\nOpen the address above in a browser on this machine; it opens the studio once ` +
        `(the tab keeps its access across reloads; duplicate the tab for another). For a new address, press Enter here` +
        `${process.platform === 'win32' ? '' : ` or run \`kill -USR1 ${process.pid}\``}: the studio and its training go on. Ctrl+C stops the studio.`,
    );
  }
  // A spent address (a closed tab) is answered with a fresh one, never with a restart.
  const stopOffering = offerNewAddresses(() => {
    const launchUrl = server.launchUrl();
    process.stdout.write(json ? JSON.stringify({ type: 'launch', launchUrl }) + '\n' : `Darkroom studio: ${launchUrl}\n`);
  });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      stopOffering();
      const training = studio.activeTrainingRuns();
      if (training.length) log(`Stopping ${training.length} training run(s) with a checkpoint…`);
      await server.close();
      await studio.close();
      resolve(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  });
}
