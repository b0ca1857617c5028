// Builds the renderer, makes a temp workspace and starts `darkroom serve` in it on a free port. The address
// (with its token) reaches the tests through DARKROOM_E2E_URL; the returned function stops the server.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export default async function globalSetup(): Promise<() => Promise<void>> {
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  const scratch = mkdtempSync(join(tmpdir(), 'darkroom-e2e-'));
  const workspace = join(scratch, 'workspace');
  const server = spawn(process.execPath, [join(ROOT, 'bin', 'darkroom.js'), 'serve', '--json', '--workspace', workspace], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const { url, launchUrl } = await new Promise<{ url: string; launchUrl: string }>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`darkroom serve did not start in 120 s:\n${stderr}`)), 120_000);
    server.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // Everything serve prints, for the tests that ask it for a new launch address (SIGUSR1).
      appendFileSync(join(scratch, 'serve-stdout.jsonl'), chunk);
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { url: string; launchUrl: string });
      }
    });
    server.on('exit', (code) => reject(new Error(`darkroom serve exited with ${code}:\n${stderr}`)));
  });
  process.env.DARKROOM_E2E_URL = url;
  // The single-use address a person is given (security.e2e.ts opens it, once).
  process.env.DARKROOM_E2E_LAUNCH_URL = launchUrl;
  process.env.DARKROOM_E2E_SCRATCH = scratch;
  process.env.DARKROOM_E2E_SERVE_PID = String(server.pid);
  process.env.DARKROOM_E2E_SERVE_STDOUT = join(scratch, 'serve-stdout.jsonl');
  process.env.DARKROOM_E2E_WORKSPACE = workspace;

  return async () => {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 60_000))]);
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  };
}
