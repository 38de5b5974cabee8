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
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Engine } from './engine.js';
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

export function createServerMetrics(engine: Engine, guards?: () => GuardCounts): ServerMetrics {
  const registry = new Registry();
  if (guards !== undefined) registerGuardMetrics(registry, guards);
  const start = engine.cacheStats();
  const celStart = engine.celStats();

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
    collect() {
      this.set(engine.cacheStats().ttlMs / 1000);
    },
  });
  const duration = new Histogram({
    name: 'authz_perf_check_duration_seconds',
    help: 'Time to answer POST /api/check/resources (parse, check, serialise)',
    buckets: CHECK_BUCKETS,
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'authz_perf_decisions_total',
    help: 'Decisions returned, one per resource × action',
    labelNames: ['effect'],
    registers: [registry],
  });
  const allow = decisions.labels('EFFECT_ALLOW');
  const deny = decisions.labels('EFFECT_DENY');
  allow.inc(0);
  deny.inc(0);
  const http = new Counter({
    name: 'authz_perf_http_requests_total',
    help: 'HTTP requests by route and status code',
    labelNames: ['route', 'code'],
    registers: [registry],
  });

  // holds the same metric objects as the two registries; no names are shared, so merge cannot throw
  const scrape = Registry.merge([processMetricsRegistry(), registry]);
  return {
    registry,
    contentType: scrape.contentType,
    text: () => scrape.metrics(),
    observeCheck(seconds, response) {
      duration.observe(seconds);
      let allowed = 0;
      let denied = 0;
      for (const result of response.results) {
        for (const action in result.actions) {
          if (result.actions[action] === 'EFFECT_ALLOW') allowed++;
          else denied++;
        }
      }
      if (allowed > 0) allow.inc(allowed);
      if (denied > 0) deny.inc(denied);
    },
    observeHttp(route, code) {
      http.inc({ route, code: String(code) });
    },
  };
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
