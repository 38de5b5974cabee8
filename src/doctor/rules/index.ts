/**
 * Every doctor rule: a pure function of the collected metrics returning its findings (none when
 * the figure is healthy or not exposed). Order here is the order of the report's rule list.
 */
import type { CollectedMetrics, Finding, Severity } from '../types.js';
import type { Rule } from './evidence.js';
import { errorRate, latencySlo, targetLost } from './latency.js';
import { capacity, generatorCpu, serverCpu } from './saturation.js';
import { cacheHitRate } from './cache.js';
import { celHotExpression, celTimeShare } from './cel.js';
import { connectionPool, longRunning, sequentialScans, slowStatements, statementsAbsent } from './database.js';
import { externalMemory, gcPressure, goGc, heapLimit } from './memory.js';
import { eventLoopDelay } from './event-loop.js';

export { THRESHOLDS } from './thresholds.js';

export const RULES: ReadonlyArray<{ name: string; rule: Rule }> = [
  { name: 'target.lost', rule: targetLost },
  { name: 'latency.slo', rule: latencySlo },
  { name: 'errors.rate', rule: errorRate },
  { name: 'saturation.server-cpu', rule: serverCpu },
  { name: 'saturation.generator', rule: generatorCpu },
  { name: 'saturation.capacity', rule: capacity },
  { name: 'cache.hit-rate', rule: cacheHitRate },
  { name: 'cel.hot-expression', rule: celHotExpression },
  { name: 'cel.time-share', rule: celTimeShare },
  { name: 'database.statements', rule: slowStatements },
  { name: 'database.pg-stat-statements', rule: statementsAbsent },
  { name: 'database.long-running', rule: longRunning },
  { name: 'database.seq-scan', rule: sequentialScans },
  { name: 'pool.connections', rule: connectionPool },
  { name: 'memory.heap-limit', rule: heapLimit },
  { name: 'memory.gc', rule: gcPressure },
  { name: 'memory.external', rule: externalMemory },
  { name: 'memory.go-gc', rule: goGc },
  { name: 'event-loop.delay', rule: eventLoopDelay },
];

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** All findings, most severe first (rule order within a severity). */
export function applyRules(m: CollectedMetrics): Finding[] {
  const all = RULES.flatMap((r) => r.rule(m));
  return all.map((f, i) => ({ f, i })).sort((a, b) => RANK[a.f.severity] - RANK[b.f.severity] || a.i - b.i).map((x) => x.f);
}

export function worstSeverity(findings: readonly Finding[]): Severity | null {
  return findings.reduce<Severity | null>((w, f) => (w === null || RANK[f.severity] < RANK[w] ? f.severity : w), null);
}
