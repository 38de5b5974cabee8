/**
 * CPU time of the calling thread. Node 20's process.cpuUsage() is the whole process's, also when
 * called in a worker thread; on Linux /proc/thread-self/stat holds the calling thread's own user
 * and system time (clock ticks, 10 ms at the usual 100 Hz). Elsewhere: the process's time.
 */
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ, the unit of utime and stime in /proc (100 on every mainstream architecture). */
const TICKS_PER_S = 100;

/** Like process.cpuUsage() (µs), for this thread when the platform tells. */
export function threadCpuUsage(): NodeJS.CpuUsage {
  try {
    return parseThreadStat(readFileSync('/proc/thread-self/stat', 'latin1'));
  } catch {
    return process.cpuUsage();
  }
}

/** utime and stime (fields 14 and 15 of proc(5)'s stat) in µs. */
export function parseThreadStat(stat: string): NodeJS.CpuUsage {
  // the command name (field 2) may hold spaces and parentheses: fields resume after the last ')'
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('unexpected /proc stat format');
  return { user: (utime * 1e6) / TICKS_PER_S, system: (stime * 1e6) / TICKS_PER_S };
}

/** CPU µs since `start` (both from the same source). */
export function cpuSince(now: NodeJS.CpuUsage, start: NodeJS.CpuUsage): NodeJS.CpuUsage {
  return { user: now.user - start.user, system: now.system - start.system };
}
