// Installs ONNX Runtime's CUDA 12 provider with onnxruntime-node's own installer script (package.json turns the
// script off at `npm install`: it downloads several hundred MB from NuGet). The script writes straight into the
// package's binary folder, so it runs on a copy of itself in a staging folder inside the package (same file
// system): its files reach the real folder by rename only after it succeeded, and a failure, offline or midway,
// leaves onnxruntime-node exactly as it was.
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { onnxRuntimeBinaryDir, onnxRuntimePackageDir } from './providers.js';

export interface CudaSetupOptions {
  /** The installer's output, as it comes (default: this process's stdout and stderr). */
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
  /** The installer's environment (default this process's; GLOBAL_AGENT_HTTPS_PROXY there sets a proxy). */
  env?: NodeJS.ProcessEnv;
}

export type CudaSetupResult =
  | { ok: true; installed: string[] }
  | { ok: false; exitCode: number | null; reason: string };

/** Staging folders start with this; a leftover of a killed setup is removed by the next one. */
const STAGING_PREFIX = '.darkroom-cuda-setup-';

/** Runs the installer; UsageError where ONNX Runtime publishes no CUDA provider for Node. Never half-installs. */
export async function installCudaProvider(o: CudaSetupOptions = {}): Promise<CudaSetupResult> {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new UsageError(
      `ONNX Runtime publishes its CUDA provider for Node.js for Linux x64 only (this is ${process.platform}/${process.arch}). ` +
        'On Windows Darkroom runs models with DirectML, on macOS with Core ML, anywhere with WebGPU: `darkroom info MODEL` says which.',
    );
  const packageDir = onnxRuntimePackageDir();
  const scripts = join(packageDir, 'script');
  if (!existsSync(join(scripts, 'install.js')))
    return { ok: false, exitCode: null, reason: `onnxruntime-node's installer script is missing (${join(scripts, 'install.js')}); reinstall Darkroom's packages with npm ci` };

  await removeLeftovers(packageDir);
  const staging = await fs.mkdtemp(join(packageDir, STAGING_PREFIX));
  try {
    await fs.cp(scripts, join(staging, 'script'), { recursive: true });
    const { code, output } = await runInstaller(join(staging, 'script', 'install.js'), staging, o);
    if (code !== 0) return { ok: false, exitCode: code, reason: explainFailure(code, output) };
    const staged = join(staging, 'bin', 'napi-v6', process.platform, process.arch);
    const files = await fs.readdir(staged).catch(() => [] as string[]);
    if (files.length === 0) return { ok: false, exitCode: code, reason: 'the installer finished without installing any file' };
    const target = onnxRuntimeBinaryDir();
    for (const file of files) await fs.rename(join(staged, file), join(target, file));
    return { ok: true, installed: files.map((f) => join(target, f)) };
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

async function removeLeftovers(packageDir: string): Promise<void> {
  for (const name of await fs.readdir(packageDir))
    if (name.startsWith(STAGING_PREFIX)) await fs.rm(join(packageDir, name), { recursive: true, force: true });
}

function runInstaller(script: string, cwd: string, o: CudaSetupOptions): Promise<{ code: number | null; output: string }> {
  const show = o.onOutput ?? ((text, stream) => (stream === 'stdout' ? process.stdout : process.stderr).write(text));
  return new Promise((resolve, reject) => {
    // The installer's --onnxruntime-node-install=cuda12 parses to nothing (1.30's parseInstallFlag returns no value
    // for a named installation), and with no flag it stops at once when npm's variables say "local install" (as
    // under npx or npm test): ask through the CUDA flag, which it does return, and leave npm's variables out.
    const env: NodeJS.ProcessEnv = { ...(o.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' };
    for (const name of ['npm_config_local_prefix', 'npm_package_json', 'ONNXRUNTIME_NODE_INSTALL', 'npm_config_onnxruntime_node_install']) delete env[name];
    // ELECTRON_RUN_AS_NODE: inside Electron, process.execPath is Electron itself.
    const child = spawn(process.execPath, [script, '--onnxruntime-node-install-cuda=v12'], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const relay = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-8192);
      show(text, stream);
    };
    child.stdout.on('data', relay('stdout'));
    child.stderr.on('data', relay('stderr'));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** What went wrong, in words, from the installer's exit code and the end of its output. */
function explainFailure(code: number | null, output: string): string {
  const network = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|certificate|HTTP status code/i.exec(output);
  if (network)
    return (
      `the download failed (${network[0]}): the installer fetches the CUDA 12 provider (several hundred MB) from api.nuget.org. ` +
      'Is this machine online? Behind a proxy, set GLOBAL_AGENT_HTTPS_PROXY=http://proxy:port (the installer reads it)'
    );
  return `onnxruntime-node's installer failed (exit code ${code}); its output is above`;
}
