/**
 * The `doctor` report section and the collected-metrics object its rules read. Durations are in
 * milliseconds (`...Ms`) unless the name says seconds (`...S`), sizes in bytes, rates per second,
 * shares as fractions (0.41 = 41 %).
 */

export type Severity = 'critical' | 'warning' | 'info';

/** The playbook a rule belongs to: high latency, memory pressure, or the general checklist. */
export type Playbook = 'high-latency' | 'memory-pressure' | 'checklist';

/** Which metric names the target exposes: our `serve`, Cerbos, or neither (process metrics only). */
export type EngineFlavour = 'authz-perf' | 'cerbos' | 'unknown';

/** One measured figure a finding rests on. */
export interface Evidence {
  /** metric name or derived figure, e.g. `authz_perf_decision_cache_hits_total / (hits + misses)` */
  metric: string;
  value: number;
  unit: string;
  /** the window the value was measured over (0 for a point-in-time gauge) */
  windowS: number;
  /** the rule's bound the value crossed (null: context, no bound) */
  threshold: number | null;
  /** how the figure was obtained when not from the target's metrics, e.g. "in-process traceCheck" */
  source?: string;
}

export interface Finding {
  /** stable id, e.g. `cache.hit-rate` */
  ruleId: string;
  playbook: Playbook;
  severity: Severity;
  /** one line: what is wrong, with the figure */
  title: string;
  evidence: Evidence[];
  /** what to change, phrased for this engine and its settings */
  action: string;
}

export interface LatencyFigures {
  /** where the figures come from: the load generator (corrected latency) or a server histogram */
  source: string;
  p50Ms: number | null;
  p99Ms: number | null;
  meanMs: number | null;
  count: number;
}

export interface CacheFigures {
  hits: number;
  misses: number;
  /** null without lookups in the window */
  hitRate: number | null;
  /** entries held at the end of the window (null: not exposed) */
  entries: number | null;
  maxEntries: number | null;
  ttlS: number | null;
}

/** Runtime cost of one CEL expression, joined with analyze-cel's static cost of the same text. */
export interface CelExpressionStat {
  /** the engine's id: `<policy>#<path>` */
  id: string;
  /** `file:line:column` */
  location: string;
  policy: string;
  /** rule, derived role or variable name */
  owner: string;
  kind: string;
  expression: string;
  evaluations: number;
  /** evaluations that ended in an error (the engine counts the condition false) */
  errors: number;
  /** the first error message, when any */
  errorSample: string | null;
  nsPerEval: number;
  /** share of all CEL time in the profile */
  share: number;
  staticCostMax: number | null;
  /** the static cost is unbounded (a comprehension over a list of unknown size) */
  staticUnbounded: boolean;
  /** the attribute paths whose unknown sizes make the static cost unbounded */
  growsWith: string[];
  /** analyze-cel's first rewrite for the expression (not its budget note), if any */
  suggestion: string | null;
}

export interface CelFigures {
  /** from the server's counters over the window (null: not exposed or not counted) */
  evaluations: number | null;
  seconds: number | null;
  /** CEL seconds ÷ check-handler seconds over the window */
  shareOfCheckTime: number | null;
  /** per expression, heaviest first; null when no policies were available to profile */
  perExpression: CelExpressionStat[] | null;
  /** how per-expression figures were obtained */
  perExpressionSource: string | null;
}

export interface GcKindFigures {
  kind: string;
  count: number;
  seconds: number;
  /** upper bound of the histogram bucket holding the 99th percentile (coarse: prom-client's buckets) */
  p99Ms: number | null;
  /** Go: the longest of the recent pauses (go_gc_duration_seconds{quantile="1"}) */
  maxMs?: number | null;
}

export interface MemoryFigures {
  rssBytes: number | null;
  heapUsedBytes: number | null;
  heapTotalBytes: number | null;
  /** V8's heap_size_limit (Node) or GOMEMLIMIT (Go; null when unset) */
  heapLimitBytes: number | null;
  externalBytes: number | null;
  /** Node: old generation (heap less the young generation), peak; null when not exposed */
  oldGenUsedBytes: number | null;
  /** Node: --max-old-space-size of the engine, when it was given */
  oldGenLimitBytes: number | null;
  /** GC time ÷ wall time over the window */
  gcTimeShare: number | null;
  gcByKind: GcKindFigures[];
  /** Go: GC CPU seconds ÷ all CPU seconds of the runtime over the window */
  gcCpuShare: number | null;
  /** Go: GOGC percent */
  gogcPercent: number | null;
}

export interface EventLoopFigures {
  /** the worst per-scrape p99 / max / mean of prom-client's event-loop delay histogram (reset at every scrape), less the monitor's timer interval (the scrape's minimum) */
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** the median over the scrape intervals of their p99: high only when the loop stays blocked */
  medianP99Ms: number;
}

export interface LoadFigures {
  scenario: string;
  targetRps: number;
  achievedRps: number;
  durationS: number;
  sent: number;
  dropped: number;
  late: number;
  errorRate: number;
  p50Ms: number;
  p99Ms: number | null;
  /** load generator CPU ÷ wall time (one core = 1) */
  generatorCpu: number;
  generatorSaturated: boolean;
  maxConnections: number;
  /** requests that found every connection busy */
  connectionsExhausted: number;
}

export interface StatementFigures {
  query: string;
  calls: number;
  meanMs: number;
  totalMs: number;
  rows: number;
}

export interface ActivityFigures {
  pid: number;
  state: string;
  durationMs: number;
  waitEvent: string | null;
  query: string;
}

export interface TableScanFigures {
  table: string;
  seqScans: number;
  seqRowsRead: number;
  indexScans: number;
  liveRows: number;
}

export interface DatabaseFigures {
  /** `postgres` (a server via pg) or `pglite` (embedded) */
  backend: string;
  serverVersion: string;
  /** null: pg_stat_statements is absent (reason in `statementsAbsentReason`) */
  statements: StatementFigures[] | null;
  statementsAbsentReason: string | null;
  /** queries running or waiting at the end of the window (our own sessions excluded) */
  activity: ActivityFigures[];
  connections: number;
  maxConnections: number;
  /** sessions waiting on a lock */
  waitingOnLocks: number;
  idleInTransaction: number;
  /** per table, deltas over the window, most rows read by sequential scans first */
  tableScans: TableScanFigures[];
}

/** Everything the rules read: figures over the observed window, null where the target does not expose them. */
export interface CollectedMetrics {
  flavour: EngineFlavour;
  windowS: number;
  scrapes: number;
  /** host cores, and the cores the engine can use (Node's event loop: 1; Go: GOMAXPROCS) */
  hostCores: number;
  engineCores: number;
  slo: { p99Ms: number; errorRate: number; source: string };
  requests: { count: number | null; rps: number | null; errors: number | null; errorRate: number | null } | null;
  latency: LatencyFigures | null;
  /** server CPU seconds ÷ wall seconds over the window */
  serverCpu: number | null;
  cache: CacheFigures | null;
  cel: CelFigures | null;
  memory: MemoryFigures | null;
  eventLoop: EventLoopFigures | null;
  load: LoadFigures | null;
  database: DatabaseFigures | null;
  /** why the engine stopped answering its metrics endpoint before the window ended; null when it answered to the end */
  lostTarget: string | null;
}

/** One interval between two scrapes, for the evidence charts. */
export interface WindowPoint {
  /** seconds since the window started, at the end of the interval */
  tS: number;
  rps: number | null;
  p99Ms: number | null;
  hitRate: number | null;
  heapUsedBytes: number | null;
  rssBytes: number | null;
  /** GC time ÷ interval */
  gcShare: number | null;
  cpu: number | null;
}

export interface DoctorSection {
  target: { url: string; metricsUrl: string; flavour: EngineFlavour; bundled: boolean };
  windowS: number;
  /** findings, most severe first */
  findings: Finding[];
  /** rules evaluated (each either produced findings or found nothing to report) */
  rulesRun: string[];
  metrics: CollectedMetrics;
  series: WindowPoint[];
  /** what the run could not read, e.g. "no /metrics at ..." */
  notes: string[];
  /** highest severity among the findings, null when none */
  worst: Severity | null;
}
