/**
 * How busy the host was: the load average (os.loadavg) and the CPU time stolen by the hypervisor
 * (the `steal` column of the `cpu` line in /proc/stat), the latter as a share of all CPU time
 * between this module's loading (about the command's start) and the call. Null where /proc/stat
 * is missing (not Linux).
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';

export interface HostLoad {
  loadAverage1m: number;
  loadAverage5m: number;
  /** share of CPU time stolen over the command's run; null when not measurable */
  cpuStealShare: number | null;
  /** set when the figures make timings on this host doubtful */
  warning: string | null;
}

/** Load average per core above this, or steal above STEAL_HIGH, is flagged. */
export const LOAD_PER_CORE_HIGH = 1;
export const STEAL_HIGH = 0.05;

interface CpuTimes {
  total: number;
  steal: number;
}

/** The aggregate `cpu` line of /proc/stat text: total and steal jiffies; null when absent. */
export function parseProcStat(text: string): CpuTimes | null {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) return null;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 8 || f.some((x) => !Number.isFinite(x) || x < 0)) return null;
  // user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { total, steal: f[7]! };
}

function readCpuTimes(): CpuTimes | null {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return null;
  }
}

const atStart = readCpuTimes();

export function stealShare(from: CpuTimes | null, to: CpuTimes | null): number | null {
  if (!from || !to) return null;
  const total = to.total - from.total;
  if (!(total > 0)) return null;
  return Math.round(((to.steal - from.steal) / total) * 10_000) / 10_000;
}

export function hostLoad(cores: number): HostLoad {
  const [l1 = 0, l5 = 0] = os.loadavg();
  const steal = stealShare(atStart, readCpuTimes());
  return { loadAverage1m: round2(l1), loadAverage5m: round2(l5), cpuStealShare: steal, warning: loadWarning(l1, steal, cores) };
}

export function loadWarning(load1m: number, steal: number | null, cores: number): string | null {
  const parts: string[] = [];
  if (cores > 0 && load1m / cores > LOAD_PER_CORE_HIGH) parts.push(`load average ${round2(load1m)} on ${cores} cores`);
  if (steal !== null && steal > STEAL_HIGH) parts.push(`${Math.round(steal * 1000) / 10}% of CPU time stolen by the hypervisor`);
  return parts.length ? `busy host (${parts.join(', ')}): timings are noisy; compare ratios measured in one run` : null;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
