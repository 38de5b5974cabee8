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

test('a target without engine metrics gives nulls, not zeros', () => {
  const v = serverView('u', parsePrometheusText(''), parsePrometheusText('process_cpu_seconds_total 3\n'), 1);
  assert.equal(v.cpuSeconds, 3);
  assert.equal(v.cacheHitRate, null);
  assert.equal(v.rssBytes, null);
  assert.equal(v.celEvalMeanMs, null);
});
