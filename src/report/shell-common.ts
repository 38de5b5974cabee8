/** Pieces the three shells share: environment description, run summary, interrupted notice. */
import type { Environment, Report } from './types.js';
import { formatBytes, formatElapsed, formatTimestamp } from '../util/format.js';

/** Label/value rows describing the host a report was produced on. */
export function environmentPairs(env: Environment): Array<[string, string]> {
  return [
    ['CPU', env.cpuModel],
    ['Cores', String(env.cores)],
    ['Memory', formatBytes(env.totalMemoryBytes)],
    ['Node.js', env.nodeVersion],
    ['OS', env.os],
    ['Git SHA', env.gitSha ?? 'not a git checkout'],
    ['Load generator on target host', sharedHostText(env.loadGeneratorSharedHost)],
    ...(env.hostLoad ? ([['Host load', hostLoadText(env.hostLoad)]] as Array<[string, string]>) : []),
  ];
}

function hostLoadText(h: NonNullable<Environment['hostLoad']>): string {
  const steal = h.cpuStealShare === null ? 'steal n/a' : `CPU steal ${Math.round(h.cpuStealShare * 1000) / 10}%`;
  return `load average ${h.loadAverage1m} (1 min), ${h.loadAverage5m} (5 min) · ${steal}${h.warning ? ` · WARNING: ${h.warning}` : ''}`;
}

function sharedHostText(shared: boolean | null): string {
  if (shared === null) return 'n/a';
  return shared ? 'yes (figures include generator overhead)' : 'no';
}

/** One line: `Intel Xeon … · 2 cores · 7.63 GiB · Node v20.20.0 · linux 6.1.0 x64 · git 1a2b3c4`. */
export function environmentLine(env: Environment): string {
  const parts = [
    env.cpuModel,
    `${env.cores} ${env.cores === 1 ? 'core' : 'cores'}`,
    formatBytes(env.totalMemoryBytes),
    `Node ${env.nodeVersion}`,
    env.os,
    env.gitSha ? `git ${env.gitSha.slice(0, 12)}` : 'no git',
  ];
  if (env.loadGeneratorSharedHost === true) parts.push('load generator shared the host');
  if (env.loadGeneratorSharedHost === false) parts.push('load generator on a separate host');
  if (env.hostLoad) parts.push(`load ${env.hostLoad.loadAverage1m}${env.hostLoad.cpuStealShare !== null ? `, steal ${Math.round(env.hostLoad.cpuStealShare * 1000) / 10}%` : ''}${env.hostLoad.warning ? ` (WARNING: ${env.hostLoad.warning})` : ''}`);
  return parts.join(' · ');
}

/** Label/value rows for the run itself. */
export function runPairs(report: Report): Array<[string, string]> {
  return [
    ['Command', `authz-perf ${report.command}${report.args.length ? ' ' + report.args.join(' ') : ''}`],
    ['Version', `${report.tool} ${report.version}`],
    ['Started', formatTimestamp(report.startedAt)],
    ['Finished', formatTimestamp(report.finishedAt)],
    ['Duration', formatElapsed(report.startedAt, report.finishedAt)],
    ['Schema version', String(report.schemaVersion)],
  ];
}

export const INTERRUPTED_NOTICE = 'Interrupted: the run was stopped early; figures cover only what was measured before the stop.';

/** Human title of a command for page titles. */
export function commandTitle(report: Report): string {
  const titles: Record<Report['command'], string> = {
    bench: 'Benchmark',
    loadtest: 'Load test',
    'analyze-cel': 'CEL cost analysis',
    explain: 'Query plan analysis',
    size: 'Capacity sizing',
    verify: 'Decision check against Cerbos',
    doctor: 'Engine doctor',
    compare: 'Engines side by side',
  };
  return titles[report.command] ?? report.command;
}
