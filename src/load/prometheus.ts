/**
 * Server-side view from a Prometheus text exposition (/metrics), scraped before and after a run.
 * Process metrics use prom-client's standard names; engine metrics are matched by pattern so
 * any Cerbos-like service exposing cache and CEL counters is understood.
 */
import { request } from 'undici';
import type { ScrapeWindowSends, ServerView } from './types.js';
import { cerbosServerFigures } from '../targets/cerbos-metrics.js';

/** `name{labels}` → value; labels are kept verbatim (sorted as exposed). */
export type MetricSamples = Map<string, number>;

export function parsePrometheusText(text: string): MetricSamples {
  const out: MetricSamples = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    // name{labels} value [timestamp]; label values may contain spaces, so split after the '}'
    const close = line.lastIndexOf('}');
    const head = close >= 0 ? line.slice(0, close + 1) : line.split(/\s+/)[0]!;
    const rest = line.slice(head.length).trim().split(/\s+/);
    const value = parseValue(rest[0]);
    if (value !== null) out.set(head, value);
  }
  return out;
}

function parseValue(text: string | undefined): number | null {
  if (text === undefined) return null;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const v = Number(text);
  return Number.isNaN(v) ? null : v;
}

/** Sum of all samples whose metric name (before `{`) matches. */
export function sumMatching(samples: MetricSamples, name: RegExp): number | null {
  let sum = 0;
  let found = false;
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    const metric = brace >= 0 ? key.slice(0, brace) : key;
    if (name.test(metric) && Number.isFinite(value)) {
      sum += value;
      found = true;
    }
  }
  return found ? sum : null;
}

/** GET the metrics text, or null (with the reason) when the target does not expose it. */
export async function scrapeMetrics(url: string, timeoutMs = 3000): Promise<{ samples: MetricSamples | null; error: string | null }> {
  try {
    const res = await request(url, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const text = await res.body.text();
    if (res.statusCode !== 200) return { samples: null, error: `${url} answered HTTP ${res.statusCode}` };
    return { samples: parsePrometheusText(text), error: null };
  } catch (err) {
    return { samples: null, error: `${url}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

const PATTERNS = {
  cpu: /^process_cpu_seconds_total$/,
  rss: /^process_resident_memory_bytes$/,
  cacheHits: /cache_hits?(_total)?$/,
  cacheMisses: /cache_miss(es)?(_total)?$/,
  // a histogram (…_seconds_sum / _count) or a pair of counters (…_seconds_total / …evaluations_total)
  celSum: /cel.*eval.*_seconds_(sum|total)$/,
  celCount: /cel.*(eval.*_seconds_count|evaluations_total)$/,
  reqSum: /(http_request|check).*duration_seconds_sum$/,
  reqCount: /(http_request|check).*duration_seconds_count$/,
  httpRequests: /http_requests_total$/,
  workers: /^authz_perf_workers$/,
};

/** A label naming the /metrics route (route, path, handler or endpoint label): the scrapes themselves. */
const METRICS_ROUTE = /(route|path|handler|endpoint)="\/metrics"/;

/** Sum of the request counters, less the /metrics route's samples. */
function httpRequests(samples: MetricSamples): number | null {
  let sum = 0;
  let found = false;
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    const metric = brace >= 0 ? key.slice(0, brace) : key;
    if (!PATTERNS.httpRequests.test(metric) || !Number.isFinite(value)) continue;
    found = true;
    if (!METRICS_ROUTE.test(key)) sum += value;
  }
  return found ? sum : null;
}

/** Deltas between two scrapes over `wallS` seconds; RSS is the value after the run. */
export function serverView(metricsUrl: string, before: MetricSamples, after: MetricSamples, wallS: number, sent?: ScrapeWindowSends): ServerView {
  const delta = (re: RegExp): number | null => {
    const a = sumMatching(after, re);
    const b = sumMatching(before, re);
    return a === null ? null : a - (b ?? 0);
  };
  const cpuSeconds = delta(PATTERNS.cpu);
  const hits = delta(PATTERNS.cacheHits);
  const misses = delta(PATTERNS.cacheMisses);
  const celSum = delta(PATTERNS.celSum);
  const celCount = delta(PATTERNS.celCount);
  const reqSum = delta(PATTERNS.reqSum);
  const reqCount = delta(PATTERNS.reqCount);
  const lookups = (hits ?? 0) + (misses ?? 0);
  const requestsAfter = httpRequests(after);
  const requests = requestsAfter === null ? null : requestsAfter - (httpRequests(before) ?? 0);
  const view: ServerView = {
    metricsUrl,
    rssBytes: sumMatching(after, PATTERNS.rss),
    cpuSeconds: cpuSeconds === null ? null : round(cpuSeconds, 3),
    cpuUtilization: cpuSeconds === null || wallS <= 0 ? null : round(cpuSeconds / wallS, 3),
    cacheHitRate: hits !== null && misses !== null && lookups > 0 ? round(hits / lookups, 4) : null,
    cacheHits: hits,
    cacheMisses: misses,
    celEvalMeanMs: celSum !== null && celCount ? round((celSum / celCount) * 1000, 6) : null,
    celEvaluations: celCount,
    serverRequestMeanMs: reqSum !== null && reqCount ? round((reqSum / reqCount) * 1000, 4) : null,
    requests,
    requestsPerCpuSecond: requests !== null && cpuSeconds ? round(requests / cpuSeconds, 1) : null,
    ...(sent ? { sent } : {}),
  };
  const workers = sumMatching(after, PATTERNS.workers);
  if (workers !== null && workers >= 1) view.workers = Math.round(workers);
  return withCerbosFigures(view, before, after);
}

/** Cerbos names its figures its own way (/_cerbos/metrics): fill the common fields from them. */
function withCerbosFigures(view: ServerView, before: MetricSamples, after: MetricSamples): ServerView {
  const cerbos = cerbosServerFigures(before, after);
  if (!cerbos) return view;
  const hits = view.cacheHits ?? cerbos.cacheHits;
  const misses = view.cacheMisses ?? cerbos.cacheMisses;
  const requests = view.requests ?? cerbos.checkRequests;
  return {
    ...view,
    cacheHits: hits,
    cacheMisses: misses,
    cacheHitRate: view.cacheHitRate ?? (hits !== null && misses !== null && hits + misses > 0 ? round(hits / (hits + misses), 4) : null),
    serverRequestMeanMs: view.serverRequestMeanMs ?? cerbos.httpRequestMeanMs ?? cerbos.grpcCallMeanMs,
    requests,
    requestsPerCpuSecond: view.requestsPerCpuSecond ?? (requests !== null && view.cpuSeconds ? round(requests / view.cpuSeconds, 1) : null),
    cerbos,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
