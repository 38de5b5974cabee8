/**
 * The playbooks' bounds, in one place: the rules test against them and `--emit prometheus-rules`
 * writes the same numbers into alerting rules.
 */
export const THRESHOLDS = {
  /** checklist: p99 < 50 ms (the default SLO when no scenario gives one) */
  sloP99Ms: 50,
  /** High Latency playbook's symptom */
  latencyCriticalMs: 100,
  /** a p99 from fewer requests is never critical (≤ 10 samples above it; loadtest --find-max's bar) */
  latencyMinSamples: 1000,
  /** checklist: error rate < 0.1 % */
  errorRate: 0.001,
  errorRateCritical: 0.01,
  /** checklist: CPU < 70 % */
  cpuWarn: 0.7,
  cpuCritical: 0.9,
  /** checklist: hit rate > 90 %; High Latency playbook: < 80 % → cache size and TTL */
  hitRateGoal: 0.9,
  hitRateLow: 0.8,
  /** entries ÷ capacity from which the cache counts as full (evicting) */
  cacheFull: 0.95,
  /** fewest cache lookups in the window for a verdict */
  cacheMinLookups: 100,
  /** one expression's share of CEL time worth naming */
  celExpressionShare: 0.25,
  /** CEL time ÷ check time that makes CEL the main cost */
  celCheckShare: 0.5,
  /** Memory Pressure playbook: heap ÷ limit */
  heapWarn: 0.8,
  heapCritical: 0.9,
  /** from this heap share V8 collects the old generation again and again (measured: 35 % GC time at 67 % of a 64 MiB limit) */
  heapGcPressure: 0.6,
  /** GC time ÷ wall time */
  gcShareWarn: 0.05,
  gcShareCritical: 0.15,
  /** a mean GC pause of one kind this long stalls every in-flight request */
  gcPauseMs: 50,
  /** Go: GC CPU ÷ all CPU the runtime used */
  goGcCpuShare: 0.1,
  /** event-loop delay p99 */
  eventLoopWarnMs: 20,
  eventLoopCriticalMs: 100,
  /** database: mean time of one statement */
  dbStatementWarnMs: 10,
  dbStatementCriticalMs: 100,
  /** database: a query running (or waiting) this long at the end of the window */
  dbActiveMs: 1000,
  /** database: rows read by sequential scans of one table in the window */
  dbSeqRows: 100_000,
  /** database: connections ÷ max_connections */
  dbConnectionsWarn: 0.8,
  dbConnectionsCritical: 0.95,
  /** load: achieved ÷ target rate below this means the target could not keep up */
  capacityShare: 0.95,
  /** load: share of requests sent late (the generator or the connection pool fell behind) */
  lateShare: 0.05,
} as const;
