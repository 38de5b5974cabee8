/**
 * The `loadtest` report section. Latencies are in milliseconds (`...Ms`), rates per second
 * (`...Rps`), counts are plain integers. "Corrected" latency is measured from each request's
 * intended send time (wrk2's method, so stalls are not hidden by coordinated omission); "service"
 * latency from the moment it actually went on the wire (wrk2's `-U`).
 */
import type { CerbosServerFigures } from '../targets/cerbos-metrics.js';

/** open: arrival-rate scheduler (target rps); closed: virtual users looping request → think time. */
export type LoadModel = 'open' | 'closed';

/** One load-shape stage: move linearly from the previous target to `target` over `durationS`. */
export interface LoadStage {
  durationS: number;
  /** open model: requests per second; closed model: virtual users */
  target: number;
}

export interface LoadtestConfig {
  model: LoadModel;
  /** base URL of the check API service */
  targetUrl: string;
  /** true when the command started the bundled engine itself */
  bundledTarget: boolean;
  /** the engine the command started: `cerbos` for the real Cerbos PDP (absent: the reference engine) */
  engine?: 'reference' | 'cerbos';
  scenario: string | null;
  /** named load profile of the scenario (normal, peak, stress, soak, spike), when used */
  profile: string | null;
  seed: number;
  stages: LoadStage[];
  /** sum of the stage durations */
  plannedDurationS: number;
  maxConnections: number;
  timeoutMs: number;
  /** closed model: uniform think time between a VU's requests */
  thinkTimeMs: [number, number] | null;
  /** distinct pre-serialised request bodies the run cycles through */
  requestPoolSize: number;
  /** a request sent this much later than intended counts as late */
  lateThresholdMs: number;
  /** open model: worker threads sharing the schedule (absent: 1) */
  generatorThreads?: number;
}

/**
 * Percentile summary of one latency histogram (HdrHistogram, 3 significant digits). Null only in
 * summaries imported from tools that do not report a figure (k6 reports med, p90, p95 by default).
 */
export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  stdevMs: number | null;
  p50Ms: number;
  p75Ms: number | null;
  p90Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  p9999Ms: number | null;
  maxMs: number;
}

/** One row of the percentile spectrum. `correctedMs` is null in the closed model. */
export interface SpectrumPoint {
  percentile: number;
  correctedMs: number | null;
  serviceMs: number;
}

export interface LoadCounts {
  /** requests whose intended send time fell inside the run (open model) or iterations started (closed) */
  scheduled: number;
  sent: number;
  /** responses or errors received */
  completed: number;
  /** 2xx with a well-formed body whose decisions matched */
  succeeded: number;
  failed: number;
  /** never sent: waited for a free connection (all --max-connections busy) longer than the timeout, or
   * still waiting at Ctrl-C (k6's dropped_iterations) */
  dropped: number;
  /** sent more than `lateThresholdMs` after the intended time (the generator fell behind, or the
   * request waited for a free connection) */
  late: number;
  /** still in flight when the run ended (abandoned after the drain wait) */
  abandoned: number;
}

export interface LoadRates {
  /** mean target rate over the run (open model; closed: null) */
  targetRps: number | null;
  sentRps: number;
  completedRps: number;
  /** successful responses per second */
  achievedRps: number;
}

export interface SchedulerStats {
  /** actual send − intended send time of requests that did not wait for a connection (timer and event-loop delay) */
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

export interface ConnectionStats {
  max: number;
  /** connections opened over the run */
  opened: number;
  /** highest number of requests in flight at once */
  peakInFlight: number;
  /** requests that found no free connection and waited for one (all busy, and --max-connections
   * reached or the growth limit of 25% per 100 ms spent) */
  exhaustedCount: number;
}

export interface ErrorStats {
  total: number;
  /** failed / completed */
  rate: number;
  connect: number;
  timeout: number;
  /** non-2xx by status code, e.g. { "500": 3 } */
  byStatus: Record<string, number>;
  /** 2xx whose body was not a valid check response, or whose decisions differed from the expected ones */
  mismatch: number;
  /** other transport errors (reset, protocol) */
  other: number;
  /** a few distinct messages, for diagnosis */
  samples: string[];
}

/** One second of the run (by completion time; sent/target by send time). */
export interface SeriesPoint {
  /** seconds since start */
  second: number;
  targetRps: number | null;
  sentRps: number;
  completedRps: number;
  errors: number;
  /** corrected in the open model, service time in the closed model; null when nothing completed */
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  /** open model: active connections; closed model: active VUs */
  concurrency: number;
}

export type ThresholdMetric = 'latency' | 'mean' | 'max' | 'error_rate' | 'rps' | 'dropped_rate';
export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==';

/** A parsed threshold expression such as `p99<50ms` or `error_rate<0.1%`. */
export interface Threshold {
  /** as written (normalised spacing) */
  expression: string;
  metric: ThresholdMetric;
  /** for metric 'latency': the percentile, e.g. 99.9 */
  percentile: number | null;
  op: ThresholdOp;
  /** in the metric's base unit: ms for latency, fraction for rates, requests/s for rps */
  value: number;
  source: 'flag' | 'scenario-slo';
}

export interface ThresholdResult extends Threshold {
  /** measured value in the same unit; null when nothing was measured */
  actual: number | null;
  passed: boolean;
}

export interface FindMaxStep {
  targetRps: number;
  achievedRps: number;
  p50Ms: number;
  p99Ms: number;
  errorRate: number;
  /** Little's law: achievedRps × mean latency (s), i.e. in-flight requests */
  meanConcurrency: number;
  droppedRate: number;
  /** verdict === 'passed' (an inconclusive step did not pass) */
  passed: boolean;
  /** absent in reports written before these fields existed */
  verdict?: FindMaxVerdict;
  /** requests the verdict rests on (scheduled in the deciding attempt) */
  samples?: number;
  /** planned length of the step: longer than --step-duration when a low rate needs more samples */
  durationS?: number;
  /** re-runs of this rate after a failed attempt (0 or 1) */
  retries?: number;
  /** the failed attempt that was re-run, when `retries` > 0 (the row's figures are the re-run's) */
  firstAttempt?: { p99Ms: number; errorRate: number; achievedRps: number; samples: number } | null;
  /** a repeat of a rate that already held (a result counts only when it holds twice) */
  confirmation?: boolean;
  /** a repeat, at the end of the search, of the lowest rate that broke (a host burst or the target?) */
  recheck?: boolean;
  /** failed steps: what broke */
  limit?: FindMaxLimit;
  /** the generator's CPU share of one core during the step */
  generatorCpu?: number;
}

/**
 * What stopped a find-max step: the p99 SLO, the error rate, requests dropped for want of a
 * connection, or the generator itself (CPU saturated or its scheduler late).
 */
export type FindMaxLimit = 'slo' | 'errors' | 'dropped' | 'generator';

/**
 * passed / failed: the SLO held / broke over at least `minSamples` requests; inconclusive: fewer
 * requests than that even after extending the step, so a p99 would rest on a handful of samples.
 */
export type FindMaxVerdict = 'passed' | 'failed' | 'inconclusive';

export interface AutocannonCrossCheck {
  connections: number;
  durationS: number;
  /** mean 2xx requests/s autocannon reached (closed loop, as fast as the target answers) */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** requests autocannon sent (absent in older reports) */
  sent?: number;
}

export interface FindMaxResult {
  sloP99Ms: number;
  maxErrorRate: number;
  /** fewest requests a step needs for a verdict (absent in older reports) */
  minSamples?: number;
  highestPassingRps: number | null;
  steps: FindMaxStep[];
  /** highest achieved rate of our open-model generator: over all steps and an overload probe (twice
   * the highest rate tried, over autocannon's number of connections) */
  generatorMaxRps: number;
  autocannon: AutocannonCrossCheck | null;
  /** generatorMaxRps / autocannon.rps */
  generatorToAutocannonRatio: number | null;
  /**
   * the closed-loop rate (autocannon's, measured before the search) that the climb approached by
   * halves instead of doubling past it; null without one (absent in older reports)
   */
  ceilingRps?: number | null;
  /** the search's time budget and what it used (absent in older reports) */
  budgetS?: number | null;
  elapsedS?: number;
  budgetExhausted?: boolean;
  /** stop when (lowest failing − highest passing) / highest passing is at most this */
  resolution?: number;
  /** that gap at the end; null when no step broke (or none held) */
  gap?: number | null;
  /** the highest passing rate held twice */
  confirmed?: boolean;
  /** what broke the lowest failing rate */
  limit?: FindMaxLimit | null;
}

/** Server-side deltas from Prometheus /metrics scraped before and after the run. */
export interface ServerView {
  metricsUrl: string;
  rssBytes: number | null;
  cpuSeconds: number | null;
  /** server CPU seconds / wall seconds (1 = one core busy) */
  cpuUtilization: number | null;
  cacheHitRate: number | null;
  cacheHits: number | null;
  cacheMisses: number | null;
  /** mean CEL evaluation time per evaluation over the run */
  celEvalMeanMs: number | null;
  celEvaluations: number | null;
  /** server-side mean request handling time over the run, when exposed */
  serverRequestMeanMs: number | null;
  /**
   * HTTP requests the server counted between the two scrapes (`authz_perf_http_requests_total` or
   * another `…http_requests_total`), /metrics itself not included; absent in older reports
   */
  requests?: number | null;
  /** requests / cpuSeconds over the same window (utilisation law: CPU per request = 1 / this) */
  requestsPerCpuSecond?: number | null;
  /** what this generator sent between the two scrapes, by purpose (compare with `requests`) */
  sent?: ScrapeWindowSends;
  /** Cerbos's own figures, when the metrics were Cerbos's (/_cerbos/metrics) */
  cerbos?: CerbosServerFigures;
  /** server processes behind the target (`authz_perf_workers`: serve --workers N); absent when the server does not say */
  workers?: number;
}

/** Requests sent inside the scrape window, by purpose. Only `measured` is in the section's latency and counts (for --find-max: every step attempt, re-runs included). */
export interface ScrapeWindowSends {
  measured: number;
  /** unrecorded requests before each run's clock starts (connection set-up and JIT) */
  warmup: number;
  /** --find-max overload probe */
  probe: number;
  /** --find-max autocannon cross-check */
  autocannon: number;
  total: number;
}

export interface GeneratorView {
  cpuSeconds: number;
  /** CPU seconds / wall seconds of the generator process (1 = one core: the event loop is saturated);
   * with generator threads, their sum (it can exceed 1) */
  cpuUtilization: number;
  /** a generator thread's event loop was saturated */
  saturated: boolean;
  /** --generator-threads > 1: each thread's own CPU (absent: one thread) */
  threads?: ThreadCpu[];
}

/** One generator thread's CPU over the run. */
export interface ThreadCpu {
  cpuSeconds: number;
  /** share of one core */
  cpuUtilization: number;
  saturated: boolean;
}

/** Mean parts of the latency of a group of requests; they add up to `totalMs`. */
export interface LatencySplitRow {
  /** requests in the group */
  count: number;
  /** corrected latency (open model) or service time (closed) */
  totalMs: number;
  /** intended send time → the scheduler got to it */
  lagMs: number;
  /** waiting for a free connection */
  waitMs: number;
  /** sent → response, minus the server's reported time (all of it without Server-Timing) */
  wireMs: number;
  /** handler time from the target's Server-Timing header; null when it sent none */
  serverMs: number | null;
  /** the engine's part of serverMs */
  engineMs: number | null;
}

/**
 * Where the latency went, per request: at each spectrum percentile the mean split of the
 * requests whose latency is near it (within 9%), and per second the mean split of that second.
 */
export interface LatencySplit {
  /** true when the target reported its own time (`Server-Timing: engine;dur=…, handler;dur=…`) */
  serverTiming: boolean;
  percentiles: Array<LatencySplitRow & { percentile: number }>;
  series: Array<(LatencySplitRow & { second: number }) | null>;
  /** plain sentences: what the tail is made of */
  explanation: string[];
}

export interface LoadtestSection {
  config: LoadtestConfig;
  /** measured wall time of the sending phase */
  durationS: number;
  counts: LoadCounts;
  rates: LoadRates;
  latency: {
    /** open model only */
    corrected: LatencySummary | null;
    service: LatencySummary;
  };
  spectrum: SpectrumPoint[];
  scheduler: SchedulerStats | null;
  connections: ConnectionStats;
  errors: ErrorStats;
  series: SeriesPoint[];
  thresholds: ThresholdResult[];
  /** true when every threshold passed (also true with no thresholds) */
  thresholdsPassed: boolean;
  findMax?: FindMaxResult;
  server?: ServerView | null;
  generator: GeneratorView;
  /** absent in imported sections and older reports */
  latencySplit?: LatencySplit;
  warnings: string[];
  /** set when the section was imported from another tool's summary (e.g. 'k6') */
  importedFrom?: string;
  /** one row per load generator when several ran the test (Locust workers, k6-operator runners);
   * the section's figures are their exact merge */
  runners?: RunnerView[];
}

/** One of several load generators whose results were merged into the section. */
export interface RunnerView {
  /** e.g. 'locust worker 0', 'k6 runner 0:1/2' */
  id: string;
  durationS: number;
  sent: number;
  succeeded: number;
  failed: number;
  dropped: number;
  achievedRps: number;
  /** corrected latency when the runner measured it, else service time */
  p50Ms: number;
  p99Ms: number;
  /** CPU seconds / wall seconds of the runner process; null when the tool does not report it */
  cpuUtilization: number | null;
}

/** How a failed request failed (the recorder counts each kind). */
export type ErrorClass = 'connect' | 'timeout' | 'status' | 'mismatch' | 'other';
