/**
 * --emit artefacts: every metric the serve dashboard and alerts query exists in a real serve
 * scrape, every Cerbos one in the real Cerbos exposition; the bounds are doctor's thresholds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { emitArtefact, grafanaDashboard, prometheusRules, signalsFor } from '../../src/doctor/emit.js';
import { THRESHOLDS } from '../../src/doctor/rules/index.js';
import { parseScrape } from '../../src/doctor/prom.js';
import { request } from 'undici';
import { createRequestStream, takeRequests } from '../../src/scenario/index.js';
import { childServe, realDeps } from './helpers.js';

const CERBOS_TEXT = readFileSync(new URL('../../../test/doctor/fixtures/cerbos-0.55-metrics.txt', import.meta.url), 'utf8');
const CERBOS = parseScrape(CERBOS_TEXT, 0);
const PROMQL_WORDS = new Set(['histogram_quantile', 'sum', 'by', 'rate', 'le', 'route', 'code', 'http_response_status_code']);

/** Metric names a PromQL expression reads (words before `[`, `{`, `)` or an operator, minus functions and labels). */
function metricNames(expr: string): string[] {
  const words = expr.replace(/"[^"]*"/g, '').match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(words.filter((w) => !PROMQL_WORDS.has(w) && w.includes('_')))];
}

const exposed = (names: Set<string>, metric: string): boolean => names.has(metric) || names.has(metric.replace(/_(bucket|sum|count)$/, ''));

/** Metric families declared by `# TYPE` lines: a labelled family is declared before its first sample (GC kinds appear after the first GC). */
const declared = (text: string): string[] => [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);

test('serve: every metric of the dashboard and alerting rules is exposed by a real serve /metrics', async () => {
  // a child with --max-old-space-size exposes the old-space limit too
  const engine = await childServe('rbac-simple', [], ['--max-old-space-size=256']);
  try {
    // labelled counters appear with their first sample: answer one check first
    const req = takeRequests(createRequestStream(engine.scenario, { seed: 1 }), 1)[0]!;
    await (await request(`${engine.url}/api/check/resources`, { method: 'POST', body: JSON.stringify(req) })).body.text();
    const text = await realDeps.fetchText(`${engine.url}/metrics`);
    const names = new Set([...parseScrape(text, 0).byName.keys(), ...declared(text)]);
    for (const s of signalsFor('authz-perf')) for (const m of metricNames(s.expr)) assert.ok(exposed(names, m), `${s.ruleId}: ${m} is not in serve's /metrics`);
  } finally {
    await engine.stop();
  }
});

test('Cerbos: every metric of its dashboard and alerting rules is in the real binary exposition', () => {
  const names = new Set([...CERBOS.byName.keys(), ...declared(CERBOS_TEXT)]);
  for (const s of signalsFor('cerbos')) for (const m of metricNames(s.expr)) assert.ok(exposed(names, m), `${s.ruleId}: ${m} is not in Cerbos's /_cerbos/metrics`);
});

test('prometheus-rules: valid rule-file YAML, a warning and a critical alert per bounded signal, at the thresholds', () => {
  for (const flavour of ['authz-perf', 'cerbos'] as const) {
    const doc = parse(prometheusRules(flavour)) as { groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; labels: { severity: string; doctor_rule: string }; for: string }> }> };
    const rules = doc.groups[0]!.rules;
    const bounded = signalsFor(flavour).reduce((n, s) => n + (s.warning !== null ? 1 : 0) + (s.critical !== null ? 1 : 0), 0);
    assert.equal(rules.length, bounded);
    assert.equal(new Set(rules.map((r) => r.alert)).size, rules.length, 'alert names are unique');
    const p99 = rules.find((r) => r.labels.doctor_rule === 'latency.slo' && r.labels.severity === 'warning')!;
    assert.ok(p99.expr.endsWith(`> ${THRESHOLDS.sloP99Ms}`));
  }
  const hit = (parse(prometheusRules('authz-perf')) as { groups: Array<{ rules: Array<{ expr: string; labels: { doctor_rule: string } }> }> }).groups[0]!.rules.find((r) => r.labels.doctor_rule === 'cache.hit-rate')!;
  assert.ok(hit.expr.endsWith(`< ${THRESHOLDS.hitRateGoal}`), 'a low hit rate alerts below the goal');
});

test('grafana: a dashboard JSON model with one panel per signal and the bounds as thresholds', () => {
  const dash = JSON.parse(emitArtefact('grafana', 'authz-perf')) as ReturnType<typeof grafanaDashboard> & { panels: Array<{ title: string; targets: Array<{ expr: string }>; fieldConfig: { defaults: { thresholds: { steps: Array<{ value: number | null }> } } } }> };
  assert.equal(dash.panels.length, signalsFor('authz-perf').length);
  const heap = dash.panels.find((p) => p.title.startsWith('Heap used'))!;
  assert.deepEqual(heap.fieldConfig.defaults.thresholds.steps.map((s) => s.value), [null, THRESHOLDS.heapWarn, THRESHOLDS.heapCritical]);
  assert.ok(dash.panels.every((p) => p.targets[0]!.expr.length > 0));
  assert.notEqual((grafanaDashboard('cerbos') as { uid: string }).uid, (dash as unknown as { uid: string }).uid);
});
