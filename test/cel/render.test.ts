import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { celAnalysisRenderer } from '../../src/report/sections/analyze-cel.js';
import type { CelAnalysisReport } from '../../src/report/types.js';
import { formatCount } from '../../src/util/format.js';

const report = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/analyze-cel-report.json', import.meta.url), 'utf8'),
) as CelAnalysisReport;
const s = report.celAnalysis;

test('fixture: a real run over the policy fixtures with --measure', () => {
  assert.equal(report.command, 'analyze-cel');
  assert.ok(s.expressions.length >= 10);
  assert.ok(s.measure && s.measure.points > 0);
});

test('headlines carry the key figures with a direction', () => {
  const h = celAnalysisRenderer.headlines(report);
  const byKey = new Map(h.map((x) => [x.key, x]));
  assert.equal(byKey.get('analyze-cel/expressions')?.value, s.totals.expressions);
  assert.equal(byKey.get('analyze-cel/unbounded')?.better, 'lower');
  assert.equal(byKey.get('analyze-cel/worst-rank-cost')?.value, s.expressions[0]!.cost.rankCostUnits);
  assert.equal(byKey.get('analyze-cel/throughput')?.better, 'higher');
  assert.equal(byKey.get('analyze-cel/spearman')?.value, s.measure!.spearman);
});

test('terminal: worst-first table, recommendations with spans and fixes, model note; no ANSI without colour', () => {
  const out = celAnalysisRenderer.terminal(report, { color: false });
  assert.doesNotMatch(out, /\x1b\[/);
  assert.match(out, new RegExp(`${s.totals.expressions} expressions`));
  const worst = s.expressions[0]!;
  assert.ok(out.indexOf(worst.id) < out.indexOf(s.expressions[s.expressions.length - 1]!.id));
  assert.ok(out.includes(formatCount(worst.cost.rankCostUnits)));
  const rec = worst.recommendations[0]!;
  assert.ok(out.includes(rec.rule));
  assert.ok(out.includes(rec.suggestion));
  assert.match(out, /unbounded/);
  assert.match(out, /Spearman rank correlation/);
  assert.match(out, /expressions\/s/);
  assert.match(out, /Cost model: cel-go/);
  const coloured = celAnalysisRenderer.terminal(report, { color: true });
  assert.match(coloured, /\x1b\[/);
});

test('markdown: GitHub tables with the headline figures and the divergences', () => {
  const md = celAnalysisRenderer.markdown(report);
  assert.match(md, /^## CEL cost analysis/m);
  assert.match(md, /^\| # \| Location \|/m);
  assert.ok(md.includes(s.expressions[0]!.id));
  assert.ok(md.includes(formatCount(s.expressions[0]!.cost.rankCostUnits)));
  assert.match(md, /### Recommendations/);
  assert.match(md, /<details><summary>Cost model<\/summary>/);
  for (const d of s.model.divergences.slice(0, 2)) assert.ok(md.includes(d.slice(0, 20).replace(/([\\`*_{}[\]<>#|~])/g, '\\$1')));
});

test('html: escaped body with stat cards, tables and charts referenced by id', () => {
  const { body, charts } = celAnalysisRenderer.html(report);
  assert.ok(body.includes(formatCount(s.totals.expressions)));
  assert.ok(body.includes(s.expressions[0]!.id));
  assert.doesNotMatch(body, /"\^admin-"/); // quotes in expressions are escaped
  assert.match(body, /&quot;\^admin-&quot;/);
  assert.deepEqual(charts.map((c) => c.id), ['analyze-cel-max-cost-histogram', 'analyze-cel-rank-cost-histogram', 'analyze-cel-rank-cost', 'analyze-cel-measured']);
  for (const c of charts) assert.ok(body.includes(`id="${c.id}"`));
  assert.equal(charts[2]!.series[0]!.values[0], s.expressions[0]!.cost.rankCostUnits);
  // histograms: every expression counted once, unbounded ones in their own bar
  const maxHist = charts[0]!;
  assert.equal(maxHist.series[0]!.values.reduce<number>((a, b) => a + (b ?? 0), 0), s.totals.expressions);
  assert.equal(maxHist.labels.at(-1), 'unbounded');
  assert.equal(maxHist.series[0]!.values.at(-1), s.totals.unbounded);
  // the calibration fit and its outliers
  const fit = s.measure!.fit!;
  assert.ok(body.includes(`R² = ${fit.r2.toFixed(3)}`));
  for (const o of fit.outliers) assert.ok(body.includes(o.id), `outlier ${o.id} listed`);
});

test('html escapes hostile expression text', () => {
  const hostile: CelAnalysisReport = structuredClone(report);
  hostile.celAnalysis.expressions[0]!.expression = '"<script>alert(1)</script>" == R.attr.x';
  const { body } = celAnalysisRenderer.html(hostile);
  assert.doesNotMatch(body, /<script>/);
});
