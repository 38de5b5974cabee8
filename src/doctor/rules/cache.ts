/** High Latency playbook step 1: decision-cache hit rate (checklist: > 90 %), size and TTL. */
import { formatBytes, formatCount, formatDurationS } from '../../util/format.js';
import type { CollectedMetrics, Finding } from '../types.js';
import { THRESHOLDS } from './thresholds.js';
import { gauge, pct, windowed } from './evidence.js';

/** 1, 2, 5 × 10^n at or above x. */
export function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const f of [1, 2, 5, 10]) if (f * p >= x) return f * p;
  return 10 * p;
}

/** The heap a larger cache may take, from the heap held per entry now (an upper bound: the heap holds more than the cache). */
function memoryCost(m: CollectedMetrics, suggested: number): string {
  const c = m.cache!;
  const heap = m.memory?.oldGenUsedBytes ?? m.memory?.heapUsedBytes ?? null;
  // below a thousand entries the engine's own heap dwarfs the cache's and the bound says nothing
  if (heap === null || !c.entries || c.entries < 1000 || !c.maxEntries) return '';
  const perEntry = heap / c.entries;
  return `; at most ${formatBytes(perEntry)} per entry (heap ÷ entries now), up to ${formatBytes(perEntry * (suggested - c.maxEntries))} more heap: keep --max-old-space-size above that`;
}

export function cacheHitRate(m: CollectedMetrics): Finding[] {
  const c = m.cache;
  if (!c) return [];
  if (c.maxEntries === 0)
    return [
      {
        ruleId: 'cache.off',
        playbook: 'high-latency',
        severity: 'info',
        title: 'the decision cache is off: every check evaluates its policies',
        evidence: [gauge('authz_perf_decision_cache_max_entries', 0, 'entries', null)],
        action: 'start `serve` without --no-cache (and with --cache-size sized to the distinct requests of one TTL) when the same principal/resource pairs repeat',
      },
    ];
  const lookups = c.hits + c.misses;
  if (lookups < THRESHOLDS.cacheMinLookups || c.hitRate === null || c.hitRate >= THRESHOLDS.hitRateGoal) return [];
  const evidence = [windowed(m, 'authz_perf_decision_cache_hits_total ÷ (hits + misses)', c.hitRate, 'ratio', THRESHOLDS.hitRateGoal)];
  const full = c.entries !== null && c.maxEntries !== null && c.maxEntries > 0 && c.entries >= THRESHOLDS.cacheFull * c.maxEntries;
  if (c.entries !== null && c.maxEntries !== null) evidence.push(gauge('authz_perf_decision_cache_entries ÷ max_entries', Math.round((c.entries / c.maxEntries) * 1000) / 1000, 'ratio', THRESHOLDS.cacheFull));
  if (full) {
    // every miss in one TTL becomes an entry: the size that would keep them all until they expire
    const missRate = m.windowS > 0 ? c.misses / m.windowS : 0;
    const ttlS = c.ttlS ?? 60;
    const suggested = niceCeil(Math.max(2 * c.maxEntries!, missRate * ttlS));
    evidence.push(windowed(m, 'cache misses per second', Math.round(missRate * 10) / 10, 'req/s', null));
    return [
      {
        ruleId: 'cache.hit-rate',
        playbook: 'high-latency',
        severity: c.hitRate < THRESHOLDS.hitRateLow ? 'warning' : 'info',
        title: `decision-cache hit rate ${pct(c.hitRate)} over ${formatDurationS(m.windowS)} with the cache full (${formatCount(c.entries)} of ${formatCount(c.maxEntries)} entries): entries are evicted before they are reused`,
        evidence,
        action: `raise --cache-size from ${formatCount(c.maxEntries)} to about ${formatCount(suggested)} (${formatCount(Math.round(missRate))} misses/s × ${formatDurationS(ttlS)} TTL${2 * c.maxEntries! >= missRate * ttlS ? ', at least doubled' : ''}), then check the hit rate again${memoryCost(m, suggested)}`,
      },
    ];
  }
  return [
    {
      ruleId: 'cache.hit-rate',
      playbook: 'high-latency',
      severity: 'info',
      title: `decision-cache hit rate ${pct(c.hitRate)} over ${formatDurationS(m.windowS)} with room to spare (${formatCount(c.entries)} of ${formatCount(c.maxEntries)} entries): the misses are first sightings or expired entries, not evictions`,
      evidence,
      action: `a larger --cache-size will not help; raise --cache-ttl${c.ttlS !== null ? ` from ${formatDurationS(c.ttlS)}` : ''} only if decisions may be that stale, otherwise cut the cost of a miss (see the CEL findings)`,
    },
  ];
}
