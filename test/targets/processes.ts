/**
 * Process checks for the Cerbos lifecycle tests. On Linux a process that has exited but waits to
 * be reaped (a zombie: init in a container may reap late) counts as gone; /proc tells them apart.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** `pid`'s state letter from /proc (R, S, Z, ...), or null when there is no such process. */
function procState(pid: number): { state: string; pgrp: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: fields after the last ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, pgrp: Number(rest[2]) };
  } catch {
    return null;
  }
}

const hasProc = ((): boolean => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

/** True while `pid` runs (not exited, not a zombie). */
export function isRunning(pid: number): boolean {
  if (hasProc) {
    const s = procState(pid);
    return s !== null && s.state !== 'Z' && s.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of running (non-zombie) members of process group `pgid`. */
export function runningInGroup(pgid: number): number[] {
  if (!hasProc) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = procState(Number(entry));
    if (s !== null && s.pgrp === pgid && s.state !== 'Z' && s.state !== 'X') out.push(Number(entry));
  }
  return out;
}

/** Polls `done` every 25 ms; resolves true once it holds, false after `boundMs`. */
export async function waitFor(done: () => boolean, boundMs: number): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    if (done()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}
