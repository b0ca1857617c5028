import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { isProcessAlive } from './process-alive.js';

test('a running process is alive; a killed one that nobody has reaped yet (a zombie) is not', async () => {
  assert.equal(isProcessAlive(process.pid), true);
  assert.equal(isProcessAlive(undefined), false);
  // The shell starts a grandchild, prints its pid, then becomes `sleep`, which never reaps it:
  // once killed, the grandchild stays a zombie for as long as its parent lives.
  const parent = spawn('sh', ['-c', 'sleep 60 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d) => resolve(String(d)))));
    assert.equal(isProcessAlive(pid), true);
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (isProcessAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(isProcessAlive(pid), false, 'a zombie is not alive');
    assert.doesNotThrow(() => process.kill(pid, 0), 'the zombie still exists, so kill(pid, 0) alone would say alive');
  } finally {
    parent.kill('SIGKILL');
  }
});
