/** Cerbos's /_cerbos/metrics between two scrapes → the server view's common fields and Cerbos's own. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parsePrometheusText, serverView } from '../../src/load/prometheus.js';
import { cerbosServerFigures } from '../../src/targets/cerbos-metrics.js';

const CHECK = 'rpc_method="cerbos.svc.v1.CerbosService/CheckResources",rpc_response_status_code="OK",rpc_system_name="grpc"';

function scrape(n: { checks: number; checkMs: number; http: number; httpS: number; grpc: number; grpcS: number; hits: number; misses: number; gc: number; gcS: number; cpu: number }): string {
  return [
    '# HELP cerbos_dev_engine_check_latency_milliseconds Time to match a request',
    `cerbos_dev_engine_check_latency_milliseconds_sum{status="success"} ${n.checkMs}`,
    `cerbos_dev_engine_check_latency_milliseconds_count{status="success"} ${n.checks}`,
    `cerbos_dev_cache_access_count_total{kind="glob",result="hit"} ${n.hits}`,
    `cerbos_dev_cache_access_count_total{kind="glob",result="miss"} ${n.misses}`,
    `http_server_request_duration_seconds_sum{http_request_method="POST",http_response_status_code="200",network_protocol_name="http"} ${n.httpS}`,
    `http_server_request_duration_seconds_count{http_request_method="POST",http_response_status_code="200",network_protocol_name="http"} ${n.http}`,
    `http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",network_protocol_name="http"} 99`,
    `rpc_server_call_duration_seconds_sum{${CHECK}} ${n.grpcS}`,
    `rpc_server_call_duration_seconds_count{${CHECK}} ${n.grpc}`,
    `rpc_server_call_duration_seconds_count{rpc_method="grpc.health.v1.Health/Check",rpc_response_status_code="OK",rpc_system_name="grpc"} 7`,
    'go_gc_duration_seconds{quantile="0.5"} 0.001',
    `go_gc_duration_seconds_sum ${n.gcS}`,
    `go_gc_duration_seconds_count ${n.gc}`,
    'go_goroutines 27',
    `process_cpu_seconds_total ${n.cpu}`,
    'process_resident_memory_bytes 9.0e+07',
  ].join('\n');
}

test('deltas between two Cerbos scrapes fill the server view and its Cerbos figures', () => {
  const before = parsePrometheusText(scrape({ checks: 10, checkMs: 20, http: 10, httpS: 0.05, grpc: 10, grpcS: 0.04, hits: 1, misses: 2, gc: 3, gcS: 0.01, cpu: 1 }));
  const after = parsePrometheusText(scrape({ checks: 1010, checkMs: 2020, http: 810, httpS: 2.45, grpc: 1010, grpcS: 4.04, hits: 301, misses: 102, gc: 13, gcS: 0.035, cpu: 3 }));
  const c = cerbosServerFigures(before, after)!;
  assert.deepEqual(c, {
    checkRequests: 1000,
    engineChecks: 1000,
    engineCheckMeanMs: 2,
    cacheHits: 300,
    cacheMisses: 100,
    httpRequests: 800,
    httpRequestMeanMs: 3,
    grpcCalls: 1000,
    grpcCallMeanMs: 4,
    gcCycles: 10,
    gcPauseMs: 25,
    goroutines: 27,
  });
  const view = serverView('http://127.0.0.1:1/_cerbos/metrics', before, after, 4);
  assert.equal(view.requests, 1000);
  assert.equal(view.cpuSeconds, 2);
  assert.equal(view.requestsPerCpuSecond, 500);
  assert.equal(view.cacheHitRate, 0.75);
  assert.equal(view.serverRequestMeanMs, 3);
  assert.equal(view.rssBytes, 9e7);
  assert.deepEqual(view.cerbos, c);
});

test('a scrape that is not Cerbos adds nothing', () => {
  const ours = parsePrometheusText('process_cpu_seconds_total 1\nauthz_perf_http_requests_total{route="/api/check/resources"} 5\n');
  assert.equal(cerbosServerFigures(ours, ours), null);
  assert.equal(serverView('u', ours, ours, 1).cerbos, undefined);
});

test('property: counters that grow give non-negative deltas and means within the observed bounds', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1e6 }), fc.double({ min: 0.01, max: 100, noNaN: true }), (calls, meanMs) => {
      const base = { checks: 0, checkMs: 0, http: 0, httpS: 0, grpc: 0, grpcS: 0, hits: 0, misses: 0, gc: 0, gcS: 0, cpu: 0 };
      const after = { ...base, checks: calls, checkMs: calls * meanMs, http: calls, httpS: (calls * meanMs) / 1000, grpc: calls, grpcS: (calls * meanMs) / 1000, cpu: 1 };
      const c = cerbosServerFigures(parsePrometheusText(scrape(base)), parsePrometheusText(scrape(after)))!;
      assert.equal(c.engineChecks, calls);
      assert.ok(Math.abs(c.engineCheckMeanMs! - meanMs) <= 1e-3 * Math.max(1, meanMs));
      assert.ok(Math.abs(c.httpRequestMeanMs! - meanMs) <= 1e-3 * Math.max(1, meanMs));
    }),
    { numRuns: 200 },
  );
});
