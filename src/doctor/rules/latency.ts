/** Checklist: p99 against the SLO (High Latency playbook's symptom: p99 > 100 ms), and the error rate. */
import { formatCount, formatDurationMs } from '../../util/format.js';
import type { CollectedMetrics, Finding } from '../types.js';
import { THRESHOLDS } from './thresholds.js';
import { pct, windowed } from './evidence.js';

export function latencySlo(m: CollectedMetrics): Finding[] {
  // the load generator's corrected latency includes queueing and the network; prefer it
  const fromLoad = m.load?.p99Ms ?? null;
  const p99 = fromLoad ?? m.latency?.p99Ms ?? null;
  if (p99 === null) return [];
  const slo = m.slo.p99Ms;
  if (p99 <= slo) return [];
  const metric = fromLoad !== null ? 'load generator p99 (corrected for coordinated omission)' : `p99 of ${m.latency!.source}`;
  const samples = fromLoad !== null ? m.load!.sent : m.latency!.count;
  // fewer than 1,000 requests leave ≤ 10 above the p99: one stall decides it, so never critical
  const severe = p99 > Math.max(THRESHOLDS.latencyCriticalMs, 2 * slo) && samples >= THRESHOLDS.latencyMinSamples;
  return [
    {
      ruleId: 'latency.slo',
      playbook: 'high-latency',
      severity: severe ? 'critical' : 'warning',
      title: `p99 ${formatDurationMs(p99)} exceeds the SLO of ${formatDurationMs(slo)} (${m.slo.source})`,
      evidence: [windowed(m, metric, p99, 'ms', slo), windowed(m, 'requests behind the p99', samples, 'requests', THRESHOLDS.latencyMinSamples)],
      action:
        'work down the High Latency playbook: the cache, CEL, database, connection-pool and saturation findings of this run say where the time goes' +
        (m.load ? `; at ${formatCount(m.load.targetRps)} req/s this engine does not hold the SLO` : ''),
    },
  ];
}

export function errorRate(m: CollectedMetrics): Finding[] {
  const rate = m.load?.errorRate ?? m.requests?.errorRate ?? null;
  if (rate === null || rate <= THRESHOLDS.errorRate) return [];
  const count = m.load ? Math.round(m.load.errorRate * m.load.sent) : (m.requests?.errors ?? 0);
  return [
    {
      ruleId: 'errors.rate',
      playbook: 'checklist',
      severity: rate >= THRESHOLDS.errorRateCritical ? 'critical' : 'warning',
      title: `${pct(rate, 2)} of requests failed (${formatCount(count)}), above the ${pct(THRESHOLDS.errorRate, 1)} goal`,
      evidence: [windowed(m, m.load ? 'load generator failed ÷ completed' : 'non-2xx check responses ÷ check requests', rate, 'ratio', THRESHOLDS.errorRate)],
      action: m.load
        ? 'read the error classes in the load test (timeouts and connection errors mean overload: see the saturation findings; HTTP 4xx means requests the engine rejects; mismatches mean wrong decisions)'
        : "read the engine's log for the failing status codes; timeouts and 5xx under load mean it is overloaded",
    },
  ];
}

/** The engine stopped answering its metrics endpoint during the window: crashed or stalled. */
export function targetLost(m: CollectedMetrics): Finding[] {
  if (m.lostTarget === null) return [];
  const mem = m.memory;
  const heapNote = mem?.oldGenUsedBytes != null && mem.oldGenLimitBytes ? ` (last seen with the old generation at ${pct(mem.oldGenUsedBytes / mem.oldGenLimitBytes, 0)} of --max-old-space-size)` : '';
  return [
    {
      ruleId: 'target.lost',
      playbook: 'checklist',
      severity: 'critical',
      title: `the engine stopped answering its metrics endpoint before the window ended${heapNote}`,
      evidence: [windowed(m, 'scrapes answered before the failure', m.scrapes, 'scrapes', null)],
      action: `read the engine's log: a crash (out of memory: see the memory findings) or a stall; the failure was: ${m.lostTarget}`,
    },
  ];
}
