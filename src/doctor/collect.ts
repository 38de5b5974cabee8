/**
 * Scrapes of one engine's /metrics over a window → the figures the rules read, and one point per
 * interval for the charts. Knows two vocabularies: our `serve` (authz_perf_*, prom-client's
 * process_* / nodejs_*) and Cerbos (cerbos_dev_*, http_server_* / rpc_server_*, Go runtime).
 */
import { has, histogramBucketBound, histogramDelta, histogramQuantile, increase, total, type HistogramDelta, type LabelFilter, type Scrape } from './prom.js';
import type { CacheFigures, CollectedMetrics, EngineFlavour, EventLoopFigures, GcKindFigures, LatencyFigures, MemoryFigures, WindowPoint } from './types.js';
import { CHECK_PATH } from '../engine/index.js';

/** What collect() fills in; the front door adds SLO, load, CEL profile and database figures. */
export type ScrapedFigures = Pick<CollectedMetrics, 'flavour' | 'windowS' | 'scrapes' | 'engineCores' | 'requests' | 'latency' | 'serverCpu' | 'cache' | 'cel' | 'memory' | 'eventLoop'>;

/** GOMEMLIMIT's "unset" value (math.MaxInt64) */
const GO_NO_MEMLIMIT = 9e18;

export function detectFlavour(s: Scrape): EngineFlavour {
  if (has(s, 'authz_perf_check_duration_seconds_count') || has(s, 'authz_perf_http_requests_total')) return 'authz-perf';
  for (const name of s.byName.keys()) if (name.startsWith('cerbos_dev_')) return 'cerbos';
  return 'unknown';
}

const round = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;
const isCheck: LabelFilter = (l) => l.route === CHECK_PATH;
const notOk = (code: string | undefined): boolean => code !== undefined && !/^2\d\d$/.test(code) && code !== 'OK';

export function collect(scrapes: readonly Scrape[]): { figures: ScrapedFigures; series: WindowPoint[] } {
  if (scrapes.length < 2) throw new Error('collect needs at least two scrapes');
  const first = scrapes[0]!;
  const last = scrapes[scrapes.length - 1]!;
  const flavour = detectFlavour(last);
  const windowS = (last.atMs - first.atMs) / 1000;
  const cpu = increase(first, last, 'process_cpu_seconds_total');
  const figures: ScrapedFigures = {
    flavour,
    windowS: round(windowS, 3),
    scrapes: scrapes.length,
    engineCores: flavour === 'cerbos' ? (total(last, 'go_sched_gomaxprocs_threads') ?? total(last, 'go_processor_limit') ?? 1) : 1,
    requests: requests(flavour, first, last, windowS),
    latency: latency(flavour, first, last),
    serverCpu: cpu === null || windowS <= 0 ? null : round(cpu / windowS, 3),
    cache: flavour === 'authz-perf' ? cache(first, last) : null,
    cel: flavour === 'authz-perf' ? celTotals(first, last) : null,
    memory: flavour === 'cerbos' ? goMemory(scrapes, windowS) : nodeMemory(scrapes, windowS),
    eventLoop: eventLoop(scrapes),
  };
  const series: WindowPoint[] = [];
  for (let i = 1; i < scrapes.length; i++) series.push(point(flavour, scrapes[i - 1]!, scrapes[i]!, first.atMs));
  return { figures, series };
}

function requests(flavour: EngineFlavour, a: Scrape, b: Scrape, windowS: number): CollectedMetrics['requests'] {
  let count: number | null = null;
  let errors: number | null = null;
  if (flavour === 'authz-perf') {
    count = increase(a, b, 'authz_perf_http_requests_total', isCheck);
    // no sample with an error code yet means none failed
    errors = count === null ? null : (increase(a, b, 'authz_perf_http_requests_total', (l) => isCheck(l) && notOk(l.code)) ?? 0);
  } else if (flavour === 'cerbos') {
    // Cerbos's HTTP API is a gateway onto its gRPC service: every check is one RPC (and HTTP
    // checks are also HTTP requests), so the RPC counters alone count each check once
    const isService: LabelFilter = (l) => (l.rpc_method ?? '').startsWith('cerbos.svc.');
    count = increase(a, b, 'rpc_server_call_duration_seconds_count', isService);
    if (count !== null) errors = increase(a, b, 'rpc_server_call_duration_seconds_count', (l) => isService(l) && notOk(l.rpc_response_status_code)) ?? 0;
    else {
      count = increase(a, b, 'http_server_request_duration_seconds_count');
      if (count !== null) errors = increase(a, b, 'http_server_request_duration_seconds_count', (l) => notOk(l.http_response_status_code)) ?? 0;
    }
  }
  if (count === null) return null;
  return {
    count,
    rps: windowS > 0 ? round(count / windowS, 1) : null,
    errors,
    errorRate: errors !== null && count > 0 ? round(errors / count, 6) : null,
  };
}

/** Server-side latency of check requests: [histogram name, unit in ms]. */
function latencySources(flavour: EngineFlavour): Array<[string, number]> {
  if (flavour === 'authz-perf') return [['authz_perf_check_duration_seconds', 1000]];
  if (flavour === 'cerbos')
    return [
      ['http_server_request_duration_seconds', 1000],
      ['rpc_server_call_duration_seconds', 1000],
      ['cerbos_dev_engine_check_latency_milliseconds', 1],
    ];
  return [['http_request_duration_seconds', 1000]];
}

function latency(flavour: EngineFlavour, a: Scrape, b: Scrape): LatencyFigures | null {
  for (const [name, toMs] of latencySources(flavour)) {
    const h = histogramDelta(a, b, name);
    if (h === null || h.count <= 0) continue;
    return fromHistogram(h, name, toMs);
  }
  return null;
}

function fromHistogram(h: HistogramDelta, name: string, toMs: number): LatencyFigures {
  const q = (p: number): number | null => {
    const v = histogramQuantile(h, p);
    return v === null ? null : round(v * toMs, 3);
  };
  return { source: `${name} (server histogram, interpolated)`, p50Ms: q(0.5), p99Ms: q(0.99), meanMs: h.count > 0 ? round((h.sum / h.count) * toMs, 4) : null, count: h.count };
}

function cache(a: Scrape, b: Scrape): CacheFigures | null {
  const hits = increase(a, b, 'authz_perf_decision_cache_hits_total');
  const misses = increase(a, b, 'authz_perf_decision_cache_misses_total');
  if (hits === null || misses === null) return null;
  return {
    hits,
    misses,
    hitRate: hits + misses > 0 ? round(hits / (hits + misses)) : null,
    entries: total(b, 'authz_perf_decision_cache_entries'),
    maxEntries: total(b, 'authz_perf_decision_cache_max_entries'),
    ttlS: total(b, 'authz_perf_decision_cache_ttl_seconds'),
  };
}

function celTotals(a: Scrape, b: Scrape): CollectedMetrics['cel'] {
  const seconds = increase(a, b, 'authz_perf_cel_evaluation_seconds_total');
  const evaluations = increase(a, b, 'authz_perf_cel_evaluations_total');
  if (seconds === null && evaluations === null) return null;
  const checkSeconds = increase(a, b, 'authz_perf_check_duration_seconds_sum');
  return {
    seconds,
    evaluations,
    shareOfCheckTime: seconds !== null && checkSeconds ? round(Math.min(1, seconds / checkSeconds)) : null,
    perExpression: null,
    perExpressionSource: null,
  };
}

function maxOver(scrapes: readonly Scrape[], name: string): number | null {
  let max: number | null = null;
  for (const s of scrapes) {
    const v = total(s, name);
    if (v !== null && (max === null || v > max)) max = v;
  }
  return max;
}

function nodeMemory(scrapes: readonly Scrape[], windowS: number): MemoryFigures | null {
  const first = scrapes[0]!;
  const last = scrapes[scrapes.length - 1]!;
  if (!has(last, 'nodejs_heap_size_used_bytes') && !has(last, 'process_resident_memory_bytes')) return null;
  const gcByKind: GcKindFigures[] = [];
  let gcSeconds: number | null = null;
  for (const kind of ['major', 'minor', 'incremental', 'weakcb']) {
    const h = histogramDelta(first, last, 'nodejs_gc_duration_seconds', (l) => l.kind === kind);
    if (h === null) continue;
    gcSeconds = (gcSeconds ?? 0) + h.sum;
    if (h.count === 0) continue;
    const p99 = histogramBucketBound(h, 0.99);
    gcByKind.push({ kind, count: h.count, seconds: round(h.sum, 4), p99Ms: p99 === null ? null : round(p99 * 1000, 3) });
  }
  return {
    rssBytes: maxOver(scrapes, 'process_resident_memory_bytes'),
    heapUsedBytes: maxOver(scrapes, 'nodejs_heap_size_used_bytes'),
    heapTotalBytes: maxOver(scrapes, 'nodejs_heap_size_total_bytes'),
    heapLimitBytes: total(last, 'nodejs_heap_size_limit_bytes'),
    externalBytes: maxOver(scrapes, 'nodejs_external_memory_bytes'),
    oldGenUsedBytes: oldGenPeak(scrapes),
    oldGenLimitBytes: total(last, 'nodejs_heap_old_space_limit_bytes'),
    gcTimeShare: gcSeconds === null || windowS <= 0 ? null : round(gcSeconds / windowS),
    gcByKind,
    gcCpuShare: null,
    gogcPercent: null,
  };
}

const YOUNG_SPACES = new Set(['new', 'new_space', 'new_large_object', 'new_large_object_space']);

/** Peak of heap used less the young generation's spaces (prom-client's nodejs_heap_space_size_used_bytes). */
function oldGenPeak(scrapes: readonly Scrape[]): number | null {
  let max: number | null = null;
  for (const s of scrapes) {
    const used = total(s, 'nodejs_heap_space_size_used_bytes', (l) => !YOUNG_SPACES.has(l.space ?? ''));
    if (used !== null && (max === null || used > max)) max = used;
  }
  return max;
}

function goMemory(scrapes: readonly Scrape[], windowS: number): MemoryFigures | null {
  const first = scrapes[0]!;
  const last = scrapes[scrapes.length - 1]!;
  if (!has(last, 'go_memstats_heap_alloc_bytes')) return null;
  const limit = total(last, 'go_gc_gomemlimit_bytes');
  const gcCpu = increase(first, last, 'go_cpu_classes_gc_total_cpu_seconds_total');
  const allCpu = increase(first, last, 'go_cpu_classes_total_cpu_seconds_total');
  const idle = increase(first, last, 'go_cpu_classes_idle_cpu_seconds_total') ?? 0;
  const pauses = increase(first, last, 'go_gc_duration_seconds_sum');
  const count = increase(first, last, 'go_gc_duration_seconds_count');
  return {
    rssBytes: maxOver(scrapes, 'process_resident_memory_bytes'),
    heapUsedBytes: maxOver(scrapes, 'go_memstats_heap_alloc_bytes'),
    heapTotalBytes: maxOver(scrapes, 'go_memstats_heap_sys_bytes'),
    heapLimitBytes: limit === null || limit >= GO_NO_MEMLIMIT ? null : limit,
    externalBytes: null,
    oldGenUsedBytes: null,
    oldGenLimitBytes: null,
    gcTimeShare: pauses === null || windowS <= 0 ? null : round(pauses / windowS),
    gcByKind: count ? [{ kind: 'stop-the-world pause', count, seconds: round(pauses ?? 0, 4), p99Ms: null, maxMs: maxPauseMs(last) }] : [],
    gcCpuShare: gcCpu !== null && allCpu !== null && allCpu - idle > 0 ? round(gcCpu / (allCpu - idle)) : null,
    gogcPercent: total(last, 'go_gc_gogc_percent') ?? total(last, 'go_config_gogc_percent'),
  };
}

/** go_gc_duration_seconds is a summary; its quantile="1" is the longest recent pause. */
function maxPauseMs(s: Scrape): number | null {
  const v = total(s, 'go_gc_duration_seconds', (l) => l.quantile === '1');
  return v === null ? null : round(v * 1000, 3);
}

/**
 * prom-client resets its event-loop delay histogram at every scrape, so each scrape after the
 * first covers one interval of the window; the worst interval is reported. The monitor samples
 * with a timer (10 ms by default) and records the whole timer interval, so an idle loop reads
 * about 10 ms: the interval's minimum is taken off every figure, leaving the delay itself.
 */
function eventLoop(scrapes: readonly Scrape[]): EventLoopFigures | null {
  const p99s: number[] = [];
  let max = 0;
  let mean = 0;
  for (const s of scrapes.slice(1)) {
    const p99 = total(s, 'nodejs_eventloop_lag_p99_seconds');
    if (p99 === null) continue;
    const base = Math.min(p99, total(s, 'nodejs_eventloop_lag_min_seconds') ?? 0);
    const less = (v: number | null): number => Math.max(0, ((v ?? base) - base) * 1000);
    p99s.push(less(p99));
    max = Math.max(max, less(total(s, 'nodejs_eventloop_lag_max_seconds')));
    mean = Math.max(mean, less(total(s, 'nodejs_eventloop_lag_mean_seconds')));
  }
  if (p99s.length === 0) return null;
  const sorted = [...p99s].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { p99Ms: round(sorted[sorted.length - 1]!, 3), maxMs: round(max, 3), meanMs: round(mean, 3), medianP99Ms: round(median, 3) };
}

function point(flavour: EngineFlavour, a: Scrape, b: Scrape, startMs: number): WindowPoint {
  const dt = (b.atMs - a.atMs) / 1000;
  const req = requests(flavour, a, b, dt);
  const lat = latency(flavour, a, b);
  const c = flavour === 'authz-perf' ? cache(a, b) : null;
  const cpu = increase(a, b, 'process_cpu_seconds_total');
  const gc = flavour === 'cerbos' ? increase(a, b, 'go_gc_duration_seconds_sum') : (histogramDelta(a, b, 'nodejs_gc_duration_seconds')?.sum ?? null);
  return {
    tS: round((b.atMs - startMs) / 1000, 2),
    rps: req?.rps ?? null,
    p99Ms: lat?.p99Ms ?? null,
    hitRate: c?.hitRate ?? null,
    heapUsedBytes: total(b, flavour === 'cerbos' ? 'go_memstats_heap_alloc_bytes' : 'nodejs_heap_size_used_bytes'),
    rssBytes: total(b, 'process_resident_memory_bytes'),
    gcShare: gc === null || dt <= 0 ? null : round(gc / dt),
    cpu: cpu === null || dt <= 0 ? null : round(cpu / dt, 3),
  };
}
