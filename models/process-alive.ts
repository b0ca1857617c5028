// Whether a process id still names a running process: used to refuse a second trainer on a live run
// and to leave a live batch's temporary files alone.
import { readFileSync } from 'node:fs';

/**
 * True when `pid` is running. A zombie (killed, not yet reaped — common when a killed process's parent
 * died too and the system's init reaps slowly) counts as not running: it can no longer touch any file.
 */
export function isProcessAlive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    // /proc/PID/stat: "PID (comm) STATE ..."; comm may contain spaces and parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false; // no /proc (macOS, Windows): trust kill(pid, 0)
  }
}
