/** Memory Pressure playbook: heap against its limit, GC time and pauses, heap vs external memory; Go GC for Cerbos. */
import { formatBytes, formatCount, formatDurationMs } from '../../util/format.js';
import type { CollectedMetrics, Finding } from '../types.js';
import { THRESHOLDS } from './thresholds.js';
import { gauge, pct, windowed } from './evidence.js';

function cacheAdvice(m: CollectedMetrics): string {
  const c = m.cache;
  if (c && c.maxEntries && c.entries !== null && c.entries > 0) return `lower --cache-size from ${formatCount(c.maxEntries)} (it holds ${formatCount(c.entries)} entries now)`;
  return 'lower --cache-size';
}

/** Heap used and its limit: the old generation against --max-old-space-size when known, else the whole heap. */
export function heapShare(m: CollectedMetrics): { used: number; limit: number; share: number; metric: string } | null {
  const mem = m.memory;
  if (!mem) return null;
  if (mem.oldGenUsedBytes !== null && mem.oldGenLimitBytes)
    return { used: mem.oldGenUsedBytes, limit: mem.oldGenLimitBytes, share: mem.oldGenUsedBytes / mem.oldGenLimitBytes, metric: 'old generation (nodejs_heap_space_size_used_bytes less new spaces) ÷ nodejs_heap_old_space_limit_bytes (peak)' };
  if (mem.heapUsedBytes !== null && mem.heapLimitBytes)
    return {
      used: mem.heapUsedBytes,
      limit: mem.heapLimitBytes,
      share: mem.heapUsedBytes / mem.heapLimitBytes,
      metric: m.flavour === 'cerbos' ? 'go_memstats_heap_alloc_bytes ÷ go_gc_gomemlimit_bytes' : 'nodejs_heap_size_used_bytes ÷ nodejs_heap_size_limit_bytes (peak)',
    };
  return null;
}

export function heapLimit(m: CollectedMetrics): Finding[] {
  const h = heapShare(m);
  if (!h || h.share < THRESHOLDS.heapWarn) return [];
  const go = m.flavour === 'cerbos';
  return [
    {
      ruleId: 'memory.heap-limit',
      playbook: 'memory-pressure',
      severity: h.share >= THRESHOLDS.heapCritical ? 'critical' : 'warning',
      title: `heap at ${pct(h.share, 0)} of its limit (${formatBytes(h.used)} of ${formatBytes(h.limit)})`,
      evidence: [gauge(h.metric, Math.round(h.share * 1000) / 1000, 'ratio', THRESHOLDS.heapWarn)],
      action: go
        ? 'raise GOMEMLIMIT (about 90 % of the container memory limit) and the memory limit with it'
        : `${cacheAdvice(m)}, or raise --max-old-space-size above ${Math.round(h.limit / 2 ** 20)} MiB (and the container memory limit with it)`,
    },
  ];
}

export function gcPressure(m: CollectedMetrics): Finding[] {
  const mem = m.memory;
  if (!mem || m.flavour === 'cerbos') return [];
  const share = mem.gcTimeShare ?? 0;
  // the longest mean pause of a kind (prom-client's buckets are too coarse for a real p99)
  const worst = mem.gcByKind.reduce<{ kind: string; meanMs: number; p99Ms: number | null } | null>((w, k) => {
    const meanMs = k.count > 0 ? (k.seconds / k.count) * 1000 : 0;
    return w === null || meanMs > w.meanMs ? { kind: k.kind, meanMs: Math.round(meanMs * 100) / 100, p99Ms: k.p99Ms } : w;
  }, null);
  const longPauses = worst !== null && worst.meanMs >= THRESHOLDS.gcPauseMs;
  if (share < THRESHOLDS.gcShareWarn && !longPauses) return [];
  const h = heapShare(m);
  const share_ = h?.share ?? null;
  const evidence = [windowed(m, 'nodejs_gc_duration_seconds_sum ÷ wall time', share, 'ratio', THRESHOLDS.gcShareWarn)];
  if (worst) evidence.push(windowed(m, `nodejs_gc_duration_seconds{kind="${worst.kind}"} mean pause`, worst.meanMs, 'ms', THRESHOLDS.gcPauseMs));
  if (h) evidence.push(gauge(h.metric, Math.round(h.share * 1000) / 1000, 'ratio', THRESHOLDS.heapWarn));
  const nearLimit = share_ !== null && share_ >= THRESHOLDS.heapGcPressure;
  return [
    {
      ruleId: 'memory.gc',
      playbook: 'memory-pressure',
      severity: share >= THRESHOLDS.gcShareCritical ? 'critical' : 'warning',
      title: `garbage collection took ${pct(share)} of the window${worst ? `, ${worst.kind} GC pauses ${formatDurationMs(worst.meanMs)} on average${worst.p99Ms !== null ? ` (p99 ≤ ${formatDurationMs(worst.p99Ms)})` : ''}` : ''}${share_ !== null ? ` with the heap at ${pct(share_, 0)} of the limit` : ''}`,
      evidence,
      action: nearLimit
        ? `the heap is near its limit, so V8 collects again and again: ${cacheAdvice(m)}, or raise --max-old-space-size`
        : 'allocation churn, not a full heap: fewer distinct cache entries (--cache-size), smaller request batches, and `authz-perf bench` (bytes per check) to find the allocating stage',
    },
  ];
}

export function externalMemory(m: CollectedMetrics): Finding[] {
  const mem = m.memory;
  if (!mem || mem.externalBytes === null || mem.heapUsedBytes === null || m.flavour === 'cerbos') return [];
  if (mem.externalBytes <= mem.heapUsedBytes || mem.externalBytes < 64 * 2 ** 20) return [];
  return [
    {
      ruleId: 'memory.external',
      playbook: 'memory-pressure',
      severity: 'info',
      title: `external memory (${formatBytes(mem.externalBytes)}) exceeds the JavaScript heap (${formatBytes(mem.heapUsedBytes)})`,
      evidence: [gauge('nodejs_external_memory_bytes', mem.externalBytes, 'bytes', mem.heapUsedBytes)],
      action: 'Buffers outside the heap (request bodies, sockets): lower --body-limit and the number of keep-alive connections; --max-old-space-size does not bound this memory',
    },
  ];
}

export function goGc(m: CollectedMetrics): Finding[] {
  const mem = m.memory;
  if (!mem || m.flavour !== 'cerbos' || mem.gcCpuShare === null || mem.gcCpuShare < THRESHOLDS.goGcCpuShare) return [];
  return [
    {
      ruleId: 'memory.go-gc',
      playbook: 'memory-pressure',
      severity: 'warning',
      title: `Go GC consumes ${pct(mem.gcCpuShare, 0)} of Cerbos's CPU`,
      evidence: [windowed(m, 'go_cpu_classes_gc_total_cpu_seconds_total ÷ (total − idle)', mem.gcCpuShare, 'ratio', THRESHOLDS.goGcCpuShare)],
      action: `set GOMEMLIMIT to about 90 % of the container memory limit and raise GOGC${mem.gogcPercent !== null ? ` from ${mem.gogcPercent}` : ''} (e.g. 200): fewer collections for more memory`,
    },
  ];
}
