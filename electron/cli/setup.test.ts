// The real `darkroom setup cuda` with its download made to fail (a proxy that refuses connections, so the test
// sees the failure path online and offline alike): it says what happened, changes nothing in onnxruntime-node,
// and models still run on the CPU afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onnxRuntimePackageDir } from '../../models/onnx/providers.js';
import { tinyTranslatorBytes } from '../../models/onnx/convert-fixtures.js';

const BIN = fileURLToPath(new URL('../../bin/darkroom.js', import.meta.url));

function setup(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(process.execPath, [BIN, 'setup', ...args], { encoding: 'utf8', env, timeout: 120_000 });
  return { code: result.status, stderr: result.stderr };
}

/** Every file and folder of the package with its size, modification time and inode (a replaced file changes them). */
async function snapshot(dir: string): Promise<string[]> {
  const entries: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    const s = await fs.lstat(path);
    entries.push(`${relative(dir, path)} ${s.size} ${s.mtimeMs} ${s.ino}`);
  }
  return entries.sort();
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('setup without a part, or with an unknown one, is a usage error', () => {
  assert.equal(setup([]).code, 2);
  const unknown = setup(['rocm']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown part "rocm"/);
});

test('setup cuda that cannot download says so plainly, changes nothing, and the CPU still runs models', { timeout: 180_000 }, async () => {
  const packageDir = onnxRuntimePackageDir();
  const before = await snapshot(packageDir);
  const proxy = `http://127.0.0.1:${await closedPort()}`;
  const result = setup(['cuda'], { ...process.env, GLOBAL_AGENT_HTTPS_PROXY: proxy, GLOBAL_AGENT_HTTP_PROXY: proxy });

  if (process.platform !== 'linux' || process.arch !== 'x64') {
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /Linux x64 only/);
  } else {
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /Running onnxruntime-node's installer/);
    assert.match(result.stderr, /ECONNREFUSED/, "the installer's own output is shown");
    assert.match(result.stderr, /not installed: the download failed \(ECONNREFUSED\).*api\.nuget\.org.*online\?/);
    assert.match(result.stderr, /Nothing was changed/);
  }
  assert.deepEqual(await snapshot(packageDir), before, 'onnxruntime-node is exactly as it was, with no staging folder left');

  // A fresh load of ONNX Runtime from the same package still runs a model on the CPU.
  const { openModel } = await import('../../models/onnx/runtime.js');
  const model = await openModel(await tinyTranslatorBytes({ 'darkroom.range': '-1,1' }), { device: 'cpu' });
  try {
    const out = await model.run(new Float32Array(3 * 8 * 8).fill(0.5), [1, 3, 8, 8]);
    assert.deepEqual(out.dims, [1, 3, 8, 8]);
    assert.ok(out.data.every(Number.isFinite) && out.data.some((v) => v !== 0));
  } finally {
    await model.dispose();
  }
});
