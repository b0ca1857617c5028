// What ships runs: `npm run build`'s dist/ laid out as an installer lays it out — package.json, dist/ and the
// production dependencies, no sources, no dev tools (tsx, esbuild, vite, typescript) — in a folder outside this
// clone, then used there with plain `node dist/darkroom.js` as a person would: help, a tiny training run on the
// wasm backend (its .wasm and worker files read from the installed package), export, convert of a photo, and
// browser mode answering its token. Electron itself is not installed: the window is e2e/electron.e2e.ts's part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { makeScenes } from '../models/train/test-support.js';
// @ts-expect-error -- a plain .mjs script without type declarations
import { buildStudio } from './build.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEV_TOOLS = ['tsx', 'esbuild', 'vite', 'typescript', 'electron', 'electron-builder', '@playwright/test'];

interface LockEntry {
  dev?: boolean;
}

/** The packages an installer ships: every package of the lockfile outside the dev tree that npm installed here. */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith('node_modules/') && !entry.dev && !path.slice('node_modules/'.length).includes('node_modules/'))
    .map(([path]) => path)
    .filter((path) => existsSync(join(ROOT, path)));
}

/**
 * Places a package's files at `to` as a copy would: hard links where the file system allows (the same bytes,
 * ~800 MB not copied), copies elsewhere, links as links. Nothing here writes into installed packages.
 */
function install(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    const target = join(to, name);
    const kind = lstatSync(source);
    if (kind.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
    else if (kind.isDirectory()) install(source, target);
    else {
      try {
        linkSync(source, target);
      } catch {
        copyFileSync(source, target);
      }
    }
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((name) => join(dir, name));
}

/** The installed app's own environment: nothing that would load tsx or find this clone's packages. */
function plainEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, DARKROOM_WORKSPACE: join(home, 'workspace') };
  for (const name of ['NODE_OPTIONS', 'NODE_PATH', 'TSX_TSCONFIG_PATH']) delete env[name];
  return env;
}

function ok(run: SpawnSyncReturns<string>, what: string): string {
  assert.equal(run.status, 0, `${what} exited with ${run.status ?? run.signal}:\n${run.stderr}`);
  return run.stdout;
}

test('the bundle installed with production dependencies only runs with plain node: help, train, export, convert, serve', async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'darkroom-shipped-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const app = join(scratch, 'app');
  await (buildStudio as (o: { quiet: boolean; outDir: string }) => Promise<void>)({ quiet: true, outDir: join(app, 'dist') });
  copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  for (const pkg of productionPackages()) install(join(ROOT, pkg), join(app, pkg));

  const shipped = filesUnder(join(app, 'dist')).map((file) => relative(app, file));
  assert.deepEqual(shipped.filter((file) => /\.(ts|mts|cts|svelte)$/.test(file)), [], 'no sources in dist/');
  for (const required of ['dist/darkroom.js', 'dist/trainer.cjs', 'dist/electron/main.js', 'dist/electron/preload.cjs', 'dist/renderer/index.html']) assert.ok(shipped.includes(required), required);
  for (const tool of DEV_TOOLS) assert.ok(!existsSync(join(app, 'node_modules', tool)), `${tool} is not installed`);
  // The source maps (not shipped) name every module bundled: none of them test code, fixtures or benchmarks.
  const bundled = shipped.filter((file) => file.endsWith('.js.map') || file.endsWith('.cjs.map'))
    .flatMap((file) => (JSON.parse(readFileSync(join(app, file), 'utf8')) as { sources: string[] }).sources);
  assert.ok(bundled.some((source) => source.endsWith('models/train/trainer-process.ts')));
  assert.deepEqual(bundled.filter((source) => /\.test\.ts$|fixtures|test-support|\/bench\//.test(source)), []);

  const home = join(scratch, 'home');
  mkdirSync(home);
  const env = plainEnv(home);
  const darkroom = (args: string[]) => spawnSync(process.execPath, [join(app, 'dist', 'darkroom.js'), ...args], { cwd: scratch, env, encoding: 'utf8', timeout: 300_000 });

  assert.match(ok(darkroom(['--help']), '--help'), /Commands:\n  train .*\n[\s\S]*  convert /);

  const { day, night } = await makeScenes(join(scratch, 'data'), 3, 32);
  const runDir = join(scratch, 'run');
  const tiny = ['--size', '32', '--ngf', '4', '--ndf', '4', '--blocks', '1', '--patches', '16', '--backend', 'wasm', '--threads', '2', '--seed', '3'];
  const trained = darkroom(['train', 'cut', '--mode', 'fastcut', '--a', day, '--b', night, '--out', runDir, '--iterations', '2', ...tiny]);
  ok(trained, 'train');
  assert.match(trained.stderr, /wasm/);
  const runInfo = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { iteration: number; status: string };
  assert.deepEqual([runInfo.iteration, runInfo.status], [2, 'done']);

  const model = join(scratch, 'day2night.onnx');
  ok(darkroom(['export', runDir, '--out', model]), 'export');

  const photos = join(scratch, 'photos');
  mkdirSync(photos);
  const noise = Buffer.from(Array.from({ length: 72 * 56 * 3 }, (_, i) => (i * 37) % 251));
  await sharp(noise, { raw: { width: 72, height: 56, channels: 3 } }).jpeg({ quality: 90 }).toFile(join(photos, 'street.jpg'));
  const converted = join(scratch, 'converted');
  ok(darkroom(['convert', '--model', model, join(photos, 'street.jpg'), '--out', converted]), 'convert');
  const output = filesUnder(converted).find((file) => /street\.\w+$/.test(file));
  assert.ok(output, `a converted street photo in ${filesUnder(converted).join(', ')}`);
  const meta = await sharp(output).metadata();
  assert.deepEqual([meta.width, meta.height], [72, 56]);

  await answersItsToken(join(app, 'dist', 'darkroom.js'), scratch, env);
});

/** `serve` prints its address; the API answers with the token and refuses without it; the UI is the built one. */
async function answersItsToken(cli: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const server = spawn(process.execPath, [cli, 'serve', '--json'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
  let stderr = '';
  server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`serve printed no address in 120 s:\n${stderr}`)), 120_000);
      server.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        if (line) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { url: string }).url);
        }
      });
      void exited.then((code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
    });
    const url = new URL(address);
    const token = url.searchParams.get('token') ?? '';
    const call = (headers: Record<string, string>) => fetch(new URL('/api/app.info', url.origin), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
    const refused = await call({});
    assert.equal(refused.status, 401);
    const answered = await call({ 'x-darkroom-token': token });
    const body = (await answered.json()) as { ok: boolean; result: { version: string } };
    assert.equal(answered.status, 200);
    assert.equal(body.result.version, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    const page = await fetch(url.origin + '/');
    assert.match(await page.text(), /<script type="module"[^>]+src="\.\/assets\//);
  } finally {
    server.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 60_000, 'still running')))]);
    clearTimeout(timer);
    if (code === 'still running') server.kill('SIGKILL');
    else assert.equal(code, 0, `serve stops cleanly on SIGTERM:\n${stderr}`);
  }
}
