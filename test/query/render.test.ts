import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { explainRenderer, shareChartId, slowQueries } from '../../src/report/sections/explain.js';
import { renderReport } from '../../src/report/render.js';
import type { ExplainReport } from '../../src/report/types.js';

// A real catalog run on PGlite, saved with `authz-perf explain --json`.
const fixture = JSON.parse(readFileSync(new URL('../../../test/fixtures/explain-report.json', import.meta.url), 'utf8')) as ExplainReport;

test('html: one plan-node time-share chart per slow query, node labels against % of that query', () => {
  const { body, charts } = explainRenderer.html(fixture);
  const slow = slowQueries(fixture.explain);
  const timed = fixture.explain.queries.filter((q) => (q.executionTimeMs ?? 0) >= 1);
  assert.equal(slow.length, timed.length, 'every query taking ≥ 1 ms gets a chart');
  assert.ok(slow.length >= 10);
  assert.match(body, /Plan node time shares/);
  for (const q of slow) {
    const id = shareChartId(q);
    assert.ok(body.includes(`<canvas id="${id}"`), `body lacks the canvas of ${q.id}`);
    const spec = charts.find((c) => c.id === id);
    assert.ok(spec, `no chart spec for ${q.id}`);
    assert.equal(spec.type, 'horizontalBar');
    assert.equal(spec.labels.length, q.plan.length);
    q.plan.forEach((n, i) => assert.ok(String(spec.labels[i]).includes(n.label)));
    const values = spec.series[0]!.values;
    q.plan.forEach((n, i) => assert.equal(values[i], n.timeShare === null ? null : Math.round(n.timeShare * 1000) / 10));
  }
  // slowest first; the sub-millisecond write queries get none
  const times = slow.map((q) => q.executionTimeMs!);
  assert.deepEqual(times, [...times].sort((a, b) => b - a));
  assert.ok(!charts.some((c) => c.id === 'explain-node-share-record-decision'));
  // the top node of the offset-pagination query carries most of its time
  const offset = charts.find((c) => c.id === 'explain-node-share-decisions-page-offset')!;
  assert.ok(Math.max(...offset.series[0]!.values.map((v) => v ?? 0)) > 50);
});

test('html page: each time-share chart has its canvas in the section and its config in the page', () => {
  const page = renderReport(fixture, 'html', { color: false });
  for (const q of slowQueries(fixture.explain)) {
    const id = shareChartId(q);
    assert.equal(page.split(`<canvas id="${id}"`).length - 1, 1, `${id}: exactly one canvas`);
    assert.ok(page.includes(`"${id}"`), `${id}: chart config embedded`);
  }
});

test('no time-share chart without measured times (plain EXPLAIN or saved estimate-only plans)', () => {
  const estimates: ExplainReport = structuredClone(fixture);
  for (const q of estimates.explain.queries) {
    q.executionTimeMs = null;
    for (const n of q.plan) n.timeShare = null;
  }
  const { body, charts } = explainRenderer.html(estimates);
  assert.equal(slowQueries(estimates.explain).length, 0);
  assert.doesNotMatch(body, /Plan node time shares/);
  assert.ok(!charts.some((c) => c.id.startsWith('explain-node-share-')));
});
