// For tests of what happens when the disk fills up: a real, tiny file system (tmpfs of a given size) mounted on
// a fresh temporary folder, unmounted and removed after the test. Mounting needs root (CI and this project's
// dev containers run as root); elsewhere the caller skips with the reason returned.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type TinyDisk = { path: string } | { skip: string };

/** Mounts a `bytes`-sized tmpfs; `after` registers the unmount (node:test's t.after). */
export async function mountTinyDisk(bytes: number, after: (fn: () => Promise<void>) => void): Promise<TinyDisk> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return { skip: 'a full disk is simulated with a tmpfs mount, which needs root on Linux' };
  const path = await mkdtemp(join(tmpdir(), 'darkroom-tiny-disk-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', path], { encoding: 'utf8' });
  if (mount.status !== 0) {
    await rm(path, { recursive: true, force: true });
    return { skip: `cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || '').trim()})` };
  }
  after(async () => {
    spawnSync('umount', [path]);
    await rm(path, { recursive: true, force: true });
  });
  return { path };
}
