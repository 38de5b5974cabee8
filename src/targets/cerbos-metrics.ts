/**
 * What Cerbos's `/_cerbos/metrics` says about a window between two scrapes: engine check latency
 * (`cerbos_dev_engine_check_latency_milliseconds`), its cache (`cerbos_dev_cache_access_count_total`
 * by `result`), HTTP and gRPC handling (`http_server_request_duration_seconds`,
 * `rpc_server_call_duration_seconds` for CheckResources: REST calls pass through the gRPC service
 * too, so this counts every check request), and the Go runtime's GC (`go_gc_duration_seconds`).
 * Process CPU and RSS use the standard `process_*` names the generic server view already reads.
 */
export type Samples = ReadonlyMap<string, number>;

export interface CerbosServerFigures {
  /** CheckResources calls answered (REST and gRPC) */
  checkRequests: number | null;
  /** engine checks (one per request) and their mean latency inside the engine */
  engineChecks: number | null;
  engineCheckMeanMs: number | null;
  cacheHits: number | null;
  cacheMisses: number | null;
  httpRequests: number | null;
  httpRequestMeanMs: number | null;
  grpcCalls: number | null;
  grpcCallMeanMs: number | null;
  gcCycles: number | null;
  gcPauseMs: number | null;
  goroutines: number | null;
}

const CHECK_METHOD = 'rpc_method="cerbos.svc.v1.CerbosService/CheckResources"';

/** Sum over the samples of `metric` whose labels contain every one of `labels`. */
function total(samples: Samples, metric: string, labels: readonly string[] = []): number | null {
  let sum = 0;
  let found = false;
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    if ((brace >= 0 ? key.slice(0, brace) : key) !== metric || !Number.isFinite(value)) continue;
    if (labels.some((l) => !key.includes(l))) continue;
    sum += value;
    found = true;
  }
  return found ? sum : null;
}

/** Null when the scrape is not Cerbos's (no `cerbos_dev_` metric at all). */
export function cerbosServerFigures(before: Samples, after: Samples): CerbosServerFigures | null {
  if (![...after.keys()].some((k) => k.startsWith('cerbos_dev_'))) return null;
  const delta = (metric: string, labels: readonly string[] = []): number | null => {
    const a = total(after, metric, labels);
    return a === null ? null : round(a - (total(before, metric, labels) ?? 0), 6);
  };
  const mean = (sum: number | null, count: number | null, scale: number): number | null => (sum !== null && count ? round((sum / count) * scale, 4) : null);
  const engineChecks = delta('cerbos_dev_engine_check_latency_milliseconds_count');
  const httpRequests = delta('http_server_request_duration_seconds_count', ['http_request_method="POST"']);
  const grpcCalls = delta('rpc_server_call_duration_seconds_count', [CHECK_METHOD]);
  const gcPause = delta('go_gc_duration_seconds_sum');
  return {
    checkRequests: grpcCalls,
    engineChecks,
    engineCheckMeanMs: mean(delta('cerbos_dev_engine_check_latency_milliseconds_sum'), engineChecks, 1),
    cacheHits: delta('cerbos_dev_cache_access_count_total', ['result="hit"']) ?? (total(after, 'cerbos_dev_cache_access_count_total') !== null ? 0 : null),
    cacheMisses: delta('cerbos_dev_cache_access_count_total', ['result="miss"']) ?? (total(after, 'cerbos_dev_cache_access_count_total') !== null ? 0 : null),
    httpRequests,
    httpRequestMeanMs: mean(delta('http_server_request_duration_seconds_sum', ['http_request_method="POST"']), httpRequests, 1000),
    grpcCalls,
    grpcCallMeanMs: mean(delta('rpc_server_call_duration_seconds_sum', [CHECK_METHOD]), grpcCalls, 1000),
    gcCycles: delta('go_gc_duration_seconds_count'),
    gcPauseMs: gcPause === null ? null : round(gcPause * 1000, 3),
    goroutines: total(after, 'go_goroutines'),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
