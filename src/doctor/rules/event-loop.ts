/** Checklist: event-loop delay of a Node engine (a blocked loop delays every request, whatever its cost). */
import { formatDurationMs } from '../../util/format.js';
import type { CollectedMetrics, Finding } from '../types.js';
import { THRESHOLDS } from './thresholds.js';
import { windowed } from './evidence.js';

export function eventLoopDelay(m: CollectedMetrics): Finding[] {
  const e = m.eventLoop;
  if (!e || e.p99Ms < THRESHOLDS.eventLoopWarnMs) return [];
  return [
    {
      ruleId: 'event-loop.delay',
      playbook: 'checklist',
      // critical only when blocked in most intervals: one long stall (a busy host, one GC) is a warning
      severity: e.medianP99Ms >= THRESHOLDS.eventLoopCriticalMs ? 'critical' : 'warning',
      title: `event-loop delay p99 ${formatDurationMs(e.p99Ms)} (max ${formatDurationMs(e.maxMs)}): requests wait for the loop before any work starts`,
      evidence: [
        windowed(m, 'nodejs_eventloop_lag_p99_seconds − lag_min_seconds (worst scrape interval)', e.p99Ms, 'ms', THRESHOLDS.eventLoopWarnMs),
        windowed(m, 'nodejs_eventloop_lag_p99_seconds − lag_min_seconds (median over the intervals)', e.medianP99Ms, 'ms', THRESHOLDS.eventLoopCriticalMs),
      ],
      action: 'the loop is busy with CPU work (CEL, JSON, GC; see those findings): spread the load over more `serve` processes or replicas, and keep request batches small',
    },
  ];
}
