/**
 * Prometheus metrics for one engine server (a Registry per server, so tests and several servers in
 * one process do not share counters). Engine-side counts (cache, CEL time) are read from the
 * engine at scrape time, as deltas from when the server started.
 *
 * The process_* and nodejs_* metrics describe the process, not a server, and prom-client's
 * collectors for them cannot be stopped (`collectDefaultMetrics` starts a GC PerformanceObserver
 * and an event-loop-delay monitor and returns no handle). So they are registered once per process,
 * on the first server, into one shared registry that every server's scrape merges in: starting and
 * closing servers (bench --http, an in-process loadtest target, tests) never adds collectors.
 */
import { getHeapStatistics } from 'node:v8';
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { Engine } from './engine.js';
import { CHECK_PATH } from './request.js';
import type { CheckResponse } from './types.js';

export interface ServerMetrics {
  /** this server's own metrics (authz_perf_*); the scrape adds the process-wide ones */
  registry: Registry;
  /** Prometheus text exposition */
  text(): Promise<string>;
  contentType: string;
  /** records one answered check request */
  observeCheck(seconds: number, response: CheckResponse): void;
  observeHttp(route: string, code: number): void;
  /** registers the load-shedding and request-limit counts (read at scrape time); once per server */
  attachGuards(read: () => GuardCounts): void;
}

/** Seconds; the engine answers in microseconds, so the low buckets matter. */
const CHECK_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 1];

let processRegistry: Registry | undefined;

/**
 * The process-wide registry of prom-client's default metrics (process_*, nodejs_*), created and
 * populated on first use; the same object for the life of the process.
 */
export function processMetricsRegistry(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    // V8's heap limit (old generation + young generation), so heap use can be read as a share of it
    new Gauge({
      name: 'nodejs_heap_size_limit_bytes',
      help: 'V8 heap size limit (v8.getHeapStatistics().heap_size_limit)',
      registers: [processRegistry],
      collect() {
        this.set(getHeapStatistics().heap_size_limit);
      },
    });
    // heap_size_limit adds the young generation (48 MiB on x64) to the old-space limit, which is
    // where V8 runs out of memory; given --max-old-space-size, that limit is known exactly
    const oldSpaceMiB = maxOldSpaceSizeMiB([...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]);
    if (oldSpaceMiB !== null)
      new Gauge({
        name: 'nodejs_heap_old_space_limit_bytes',
        help: 'Old-generation limit from --max-old-space-size (absent when the flag is not given)',
        registers: [processRegistry],
      }).set(oldSpaceMiB * 2 ** 20);
  }
  return processRegistry;
}

/** The last --max-old-space-size value among `args` (MiB), or null. */
export function maxOldSpaceSizeMiB(args: readonly string[]): number | null {
  let mib: number | null = null;
  for (const a of args) {
    const m = /^--max[-_]old[-_]space[-_]size=(\d+)$/.exec(a);
    if (m) mib = Number(m[1]);
  }
  return mib;
}

/** What the server refused to protect itself, read at scrape time. */
export interface GuardCounts {
  /** check requests refused with 503 because --max-inflight were in flight */
  shed: number;
  /** check requests admitted and not yet answered */
  inflight: number;
  /** check requests refused with 400 for a request limit (resources, actions, JSON depth, string length) */
  overLimit: number;
  /** check requests ended with 422 because their evaluation passed --eval-budget */
  overBudget: number;
}

/** Metric names whose per-worker values must not be summed across workers (settings, not counts). */
const SETTING_AGGREGATOR = 'max';

export interface ServerMetricsOptions {
  /**
   * Where the scrape text comes from instead of this process's registries: a cluster worker asks
   * the primary, which aggregates every worker (workers.ts).
   */
  scrape?: () => Promise<string>;
}

/**
 * The per-request work is plain integer arithmetic: counts live in fields and maps of numbers and
 * are copied into the prom-client counters when they are scraped (collect()), so no label object
 * is built or hashed per request; the duration histogram counts into an array (DurationHistogram).
 */
export function createServerMetrics(engine: Engine, options: ServerMetricsOptions = {}): ServerMetrics {
  const registry = new Registry();
  let guardsAttached = false;
  const start = engine.cacheStats();
  const celStart = engine.celStats();
  let allowed = 0;
  let denied = 0;
  /** answered check requests with status 200, the hot path's only route */
  let checkOk = 0;
  /** route → status code → count, for everything else */
  const httpCounts = new Map<string, Map<number, number>>();

  new Counter({
    name: 'authz_perf_decision_cache_hits_total',
    help: 'Decision cache hits (one per resource entry answered from the cache)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(engine.cacheStats().hits - start.hits);
    },
  });
  new Counter({
    name: 'authz_perf_decision_cache_misses_total',
    help: 'Decision cache misses (resource entries evaluated)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(engine.cacheStats().misses - start.misses);
    },
  });
  new Counter({
    name: 'authz_perf_decision_cache_bypassed_total',
    help: 'Resource entries evaluated without the cache while the adaptive bypass was on (low hit rate)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(Math.max(0, engine.cacheStats().bypassed - start.bypassed));
    },
  });
  new Gauge({
    name: 'authz_perf_decision_cache_bypass',
    help: '1 while the decision cache is bypassed because its recent hit rate was too low to pay, else 0',
    registers: [registry],
    collect() {
      this.set(engine.cacheStats().bypassing ? 1 : 0);
    },
  });
  new Counter({
    name: 'authz_perf_cel_evaluation_seconds_total',
    help: 'Time spent evaluating CEL expressions (counted when the engine was created with celTiming)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(Math.max(0, engine.celStats().totalNs - celStart.totalNs) / 1e9);
    },
  });
  new Counter({
    name: 'authz_perf_cel_evaluations_total',
    help: 'CEL expression evaluations (counted when the engine was created with celTiming)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(Math.max(0, engine.celStats().evaluations - celStart.evaluations));
    },
  });
  new Gauge({
    name: 'authz_perf_decision_cache_entries',
    help: 'Decision cache entries held now',
    registers: [registry],
    collect() {
      this.set(engine.cacheStats().size);
    },
  });
  new Gauge({
    name: 'authz_perf_decision_cache_bytes',
    help: 'Estimated bytes held by the decision cache entries (their key material and decisions)',
    registers: [registry],
    collect() {
      this.set(engine.cacheStats().bytes);
    },
  });
  new Gauge({
    name: 'authz_perf_decision_cache_max_bytes',
    help: 'Decision cache byte bound (--cache-max-bytes; 0 when the cache is off)',
    registers: [registry],
    collect() {
      this.set(engine.cacheStats().maxBytes);
    },
  });
  new Gauge({
    name: 'authz_perf_decision_cache_max_entries',
    help: 'Decision cache capacity in entries (--cache-size; 0 when the cache is off)',
    registers: [registry],
    collect() {
      this.set(engine.cacheStats().maxEntries);
    },
  });
  new Gauge({
    name: 'authz_perf_decision_cache_ttl_seconds',
    help: 'Decision cache entry lifetime (--cache-ttl; 0 when the cache is off)',
    registers: [registry],
    aggregator: SETTING_AGGREGATOR,
    collect() {
      this.set(engine.cacheStats().ttlMs / 1000);
    },
  });
  new Gauge({
    name: 'authz_perf_workers',
    help: 'Server processes answering on this port (1 per worker; summed across workers of serve --workers)',
    registers: [registry],
  }).set(1);
  const duration = new DurationHistogram('authz_perf_check_duration_seconds', 'Time to answer POST /api/check/resources (parse, check, serialise)', CHECK_BUCKETS);
  registry.registerMetric(duration as unknown as Metric);
  new Counter({
    name: 'authz_perf_decisions_total',
    help: 'Decisions returned, one per resource × action',
    labelNames: ['effect'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ effect: 'EFFECT_ALLOW' }, allowed);
      this.inc({ effect: 'EFFECT_DENY' }, denied);
    },
  });
  new Counter({
    name: 'authz_perf_http_requests_total',
    help: 'HTTP requests by route and status code',
    labelNames: ['route', 'code'],
    registers: [registry],
    collect() {
      this.reset();
      if (checkOk > 0) this.inc({ route: CHECK_PATH, code: '200' }, checkOk);
      for (const [route, codes] of httpCounts) for (const [code, n] of codes) this.inc({ route, code: String(code) }, n);
    },
  });

  // holds the same metric objects as the two registries; no names are shared, so merge cannot throw
  let local = Registry.merge([processMetricsRegistry(), registry]);
  return {
    registry,
    contentType: local.contentType,
    text: options.scrape ?? (() => local.metrics()),
    attachGuards(read) {
      if (guardsAttached) return;
      guardsAttached = true;
      registerGuardMetrics(registry, read);
      local = Registry.merge([processMetricsRegistry(), registry]);
    },
    observeCheck(seconds, response) {
      duration.observe(seconds);
      const results = response.results;
      for (let i = 0; i < results.length; i++) {
        const actions = results[i]!.actions;
        for (const action in actions) {
          if (actions[action] === 'EFFECT_ALLOW') allowed++;
          else denied++;
        }
      }
    },
    observeHttp(route, code) {
      if (code === 200 && route === CHECK_PATH) {
        checkOk++;
        return;
      }
      let codes = httpCounts.get(route);
      if (codes === undefined) httpCounts.set(route, (codes = new Map()));
      codes.set(code, (codes.get(code) ?? 0) + 1);
    },
  };
}

/**
 * A histogram without labels, counted with plain arithmetic per observation (prom-client's
 * Histogram hashes a label set and validates it on every observe) and read by prom-client's
 * registries through get(), in the shape prom-client's own Histogram gives: cumulative `_bucket`
 * values per upper bound, then +Inf, `_sum` and `_count`; summed across cluster workers.
 */
/** One exposition line of a metric, as prom-client's registries read it from get(). */
interface MetricLine {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export class DurationHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  /** observations per bucket (not cumulative); the last slot counts those above every bound */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** one observation of `value` (seconds); a bucket holds values up to and including its bound */
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  get(): Promise<{ name: string; help: string; type: 'histogram'; values: MetricLine[]; aggregator: 'sum' }> {
    const bucket = `${this.name}_bucket`;
    const values: MetricLine[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i]!;
      values.push({ labels: { le: this.bounds[i]! }, value: cumulative, metricName: bucket });
    }
    values.push(
      { labels: { le: '+Inf' }, value: this.count, metricName: bucket },
      { labels: {}, value: this.sum, metricName: `${this.name}_sum` },
      { labels: {}, value: this.count, metricName: `${this.name}_count` },
    );
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

function registerGuardMetrics(registry: Registry, guards: () => GuardCounts): void {
  const counter = (name: string, help: string, read: (g: GuardCounts) => number): void =>
    void new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(guards()));
      },
    });
  counter('authz_perf_shed_requests_total', 'Check requests refused with 503 + Retry-After because --max-inflight were in flight', (g) => g.shed);
  counter('authz_perf_request_limit_refusals_total', 'Check requests refused with 400 for a request limit (--max-resources, --max-actions, --max-json-depth, --max-string-bytes)', (g) => g.overLimit);
  counter('authz_perf_eval_budget_exceeded_total', 'Check requests ended with 422 because their evaluation passed --eval-budget', (g) => g.overBudget);
  new Gauge({
    name: 'authz_perf_inflight_requests',
    help: 'Check requests admitted and not yet answered',
    registers: [registry],
    collect() {
      this.set(guards().inflight);
    },
  });
}

