/** /metrics parsing and the server-side view (deltas over the run). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrometheusText, serverView, sumMatching } from '../../src/load/prometheus.js';

const scrape = (cpu: number, hits: number, misses: number, celSum: number, celCount: number, rss: number): string => `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total ${cpu}
process_resident_memory_bytes ${rss}
authz_perf_decision_cache_hits_total ${hits}
authz_perf_decision_cache_misses_total ${misses}
authz_perf_cel_evaluation_seconds_total ${celSum}
authz_perf_cel_evaluations_total ${celCount}
authz_perf_check_duration_seconds_bucket{le="0.001"} 5
authz_perf_check_duration_seconds_bucket{le="+Inf"} 10
authz_perf_check_duration_seconds_sum 0.02
authz_perf_check_duration_seconds_count 10
authz_perf_decisions_total{effect="EFFECT_ALLOW",note="a b"} 7
authz_perf_decisions_total{effect="EFFECT_DENY"} 3 1700000000000
`;

test('parses samples with labels (spaces in values), +Inf and timestamps', () => {
  const m = parsePrometheusText(scrape(1, 2, 3, 4, 5, 6));
  assert.equal(m.get('authz_perf_check_duration_seconds_bucket{le="+Inf"}'), 10);
  assert.equal(m.get('authz_perf_decisions_total{effect="EFFECT_ALLOW",note="a b"}'), 7);
  assert.equal(sumMatching(m, /^authz_perf_decisions_total$/), 10);
  assert.equal(sumMatching(m, /^nothing$/), null);
});

test('server view: CPU, cache hit rate and CEL time are deltas; RSS is the final value', () => {
  const before = parsePrometheusText(scrape(10, 100, 100, 0.5, 1000, 50e6));
  const after = parsePrometheusText(scrape(14, 700, 300, 1.5, 3000, 80e6));
  const v = serverView('http://x/metrics', before, after, 8);
  assert.equal(v.cpuSeconds, 4);
  assert.equal(v.cpuUtilization, 0.5);
  assert.equal(v.rssBytes, 80e6);
  assert.equal(v.cacheHits, 600);
  assert.equal(v.cacheMisses, 200);
  assert.equal(v.cacheHitRate, 0.75);
  assert.equal(v.celEvaluations, 2000);
  assert.equal(v.celEvalMeanMs, 0.5);
});

test('server view: the worker count of serve --workers (authz_perf_workers, summed by the cluster), absent when not exposed', () => {
  const v = serverView('u', parsePrometheusText('authz_perf_workers 2\n'), parsePrometheusText('authz_perf_workers 2\nprocess_cpu_seconds_total 3\n'), 1);
  assert.equal(v.workers, 2);
  assert.equal(serverView('u', parsePrometheusText(''), parsePrometheusText('process_cpu_seconds_total 3\n'), 1).workers, undefined);
});

test('a target without engine metrics gives nulls, not zeros', () => {
  const v = serverView('u', parsePrometheusText(''), parsePrometheusText('process_cpu_seconds_total 3\n'), 1);
  assert.equal(v.cpuSeconds, 3);
  assert.equal(v.cacheHitRate, null);
  assert.equal(v.rssBytes, null);
  assert.equal(v.celEvalMeanMs, null);
});

test('server view: request count over the window leaves out /metrics; requests per CPU second', () => {
  const text = (checks: number, scrapes: number, cpu: number): string =>
    `process_cpu_seconds_total ${cpu}\nauthz_perf_http_requests_total{route="/api/check/resources",code="200"} ${checks}\n` +
    `authz_perf_http_requests_total{route="/api/check/resources",code="400"} 2\nauthz_perf_http_requests_total{route="/metrics",code="200"} ${scrapes}\n`;
  const sent = { measured: 900, warmup: 100, probe: 0, autocannon: 0, total: 1000 };
  const v = serverView('u', parsePrometheusText(text(50, 3, 1)), parsePrometheusText(text(1050, 4, 3)), 2, sent);
  assert.equal(v.requests, 1000);
  assert.equal(v.requestsPerCpuSecond, 500);
  assert.deepEqual(v.sent, sent);
  const none = serverView('u', parsePrometheusText(''), parsePrometheusText('process_cpu_seconds_total 3\n'), 1);
  assert.equal(none.requests, null);
  assert.equal(none.requestsPerCpuSecond, null);
  assert.equal(none.sent, undefined);
});
