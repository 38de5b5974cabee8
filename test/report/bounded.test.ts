import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderReport, reportHeadlines } from '../../src/report/render.js';
import { loadReport } from '../../src/report/load.js';
import { windowedSeries } from '../../src/report/sections/loadtest.js';
import type { BenchReport, ExplainReport, LoadtestReport, Report } from '../../src/report/types.js';
import { largeCelReport } from './large-cel-report.js';
import { FIXTURES } from './synthetic-section.js';

/** the bounds every analyze-cel report keeps, at any number of expressions */
const JSON_BYTES_PER_EXPRESSION = 600;
const MARKDOWN_MAX_BYTES = 200 * 1024;
const HTML_MAX_BYTES = 2 * 1024 * 1024;

for (const n of [4_000, 40_000]) {
  test(`analyze-cel report of ${n.toLocaleString('en-US')} expressions: JSON ≤ 600 B per expression with all of them, Markdown < 200 KB, HTML < 2 MB`, { timeout: 120_000 }, async (t) => {
    const report = await largeCelReport(n);
    const s = report.celAnalysis;
    assert.equal(s.totals.expressions, n);

    const json = renderReport(report, 'json', { color: false });
    const jsonBytes = Buffer.byteLength(json);
    assert.ok(jsonBytes <= n * JSON_BYTES_PER_EXPRESSION, `JSON ${jsonBytes} bytes for ${n} expressions`);
    // every expression's figures are in it, and it reads back
    const loaded = loadReport(json, 'big.json');
    assert.ok(loaded.command === 'analyze-cel');
    assert.equal(loaded.celAnalysis.index.rows.length, n);
    assert.equal(loaded.celAnalysis.expressions.length, 100);
    assert.equal(new Set(loaded.celAnalysis.index.rows.map((r) => r[1])).size, n);

    const md = renderReport(report, 'md', { color: false });
    assert.ok(Buffer.byteLength(md) < MARKDOWN_MAX_BYTES, `Markdown ${Buffer.byteLength(md)} bytes`);
    assert.match(md, new RegExp(`the other ${(n - 100).toLocaleString('en-US')} are left out here\\. The JSON report has every expression's figures`));
    assert.match(md, /### Cost distribution/);
    assert.match(md, /### Expressions \(worst 100 first\)/);

    const html = renderReport(report, 'html', { color: false });
    assert.ok(Buffer.byteLength(html) < HTML_MAX_BYTES, `HTML ${Buffer.byteLength(html)} bytes`);
    assert.match(html, /id="analyze-cel-max-cost-histogram"/);
    assert.match(html, /too large to embed here/);
    // the worst 100 in full: each listed expression's location is on the page
    for (const e of s.expressions) assert.ok(html.includes(`>${e.id}<`), `${e.id} listed`);

    const terminal = renderReport(report, 'terminal', { color: false });
    t.diagnostic(`${n} expressions: JSON ${jsonBytes} B (${Math.round(jsonBytes / n)} B each), Markdown ${Buffer.byteLength(md)} B, HTML ${Buffer.byteLength(html)} B, terminal ${terminal.length} characters`);
    assert.ok(terminal.length < 64 * 1024, `terminal ${terminal.length} characters`);
  });
}

function fixture<T extends Report>(name: string): T {
  return loadReport(readFileSync(new URL(name, FIXTURES), 'utf8'), name) as T;
}

/** Markdown and HTML of `report` are within the bounds; returns them for further checks. */
function assertBounded(t: TestContext, name: string, report: Report): { md: string; html: string } {
  const md = renderReport(report, 'md', { color: false });
  const html = renderReport(report, 'html', { color: false });
  t.diagnostic(`${name}: Markdown ${Buffer.byteLength(md)} B, HTML ${Buffer.byteLength(html)} B`);
  assert.ok(Buffer.byteLength(md) < MARKDOWN_MAX_BYTES, `${name}: Markdown ${Buffer.byteLength(md)} bytes`);
  assert.ok(Buffer.byteLength(html) < HTML_MAX_BYTES, `${name}: HTML ${Buffer.byteLength(html)} bytes`);
  return { md, html };
}

test('bench with 3,000 cel:<id> tasks per scenario: the 40 slowest listed, the rest counted, pages bounded', (t) => {
  const report = structuredClone(fixture<BenchReport>('bench-report.json'));
  for (const s of report.bench.scenarios) {
    const template = s.tasks.find((x) => x.id.startsWith('cel:'))!;
    const fixed = s.tasks.filter((x) => !x.id.startsWith('cel:'));
    const cel = Array.from({ length: 3_000 }, (_, i) => ({ ...template, id: `cel:c${i}`, name: `CEL c${i}`, opsPerSec: 1_000 + i }));
    s.tasks = [...fixed, ...cel];
    if (s.celEngines) {
      const c0 = s.celEngines.conditions[0]!;
      s.celEngines.conditions = Array.from({ length: 3_000 }, (_, i) => ({ ...c0, conditionId: `c${i}`, marcbachmannNs: 100 + i }));
    }
  }
  const { md } = assertBounded(t, 'bench', report);
  // the slowest cel task is listed, a fast one is not, and the page says how many were left out
  assert.match(md, /\| CEL c0 \|/);
  assert.doesNotMatch(md, /\| CEL c2999 \|/);
  assert.match(md, /2,960 faster cel: tasks left out \(the 40 slowest are listed\)/);
  const headlines = reportHeadlines(report).filter((h) => h.key.includes('/cel:'));
  assert.equal(headlines.length, 40 * report.bench.scenarios.length);
});

test('loadtest over 24 hours: charts merge the per-second series into at most 600 windows, pages bounded', (t) => {
  const report = structuredClone(fixture<LoadtestReport>('loadtest-report.json'));
  const base = report.loadtest.series[0]!;
  report.loadtest.series = Array.from({ length: 86_400 }, (_, i) => ({ ...base, second: i, p99Ms: i === 50_000 ? 900 : 5, errors: i % 1000 === 0 ? 1 : 0 }));
  const { html } = assertBounded(t, 'loadtest', report);
  const spec = (JSON.parse(/<script type="application\/json" id="authz-perf-charts">([\s\S]*?)<\/script>/.exec(html)![1]!) as Array<{ id: string; config: { data: { labels: unknown[] } } }>).find((c) => c.id === 'loadtest-latency-over-time')!;
  assert.ok(spec.config.data.labels.length <= 600, `${spec.config.data.labels.length} points`);
  const { width, points } = windowedSeries(report.loadtest.series, 600);
  assert.equal(width, 144);
  assert.equal(points.length, 600);
  // a one-second spike stays visible and errors are summed, not averaged away
  assert.equal(Math.max(...points.map((p) => p.p99Ms ?? 0)), 900);
  assert.equal(points.reduce((sum, p) => sum + p.errors, 0), 87);
});

test('explain with 2,000 queries: the 50 worst in the table, 30 in detail, pages bounded', (t) => {
  const report = structuredClone(fixture<ExplainReport>('explain-report.json'));
  const q0 = report.explain.queries.find((q) => q.findings.length > 0)!;
  report.explain.queries = Array.from({ length: 2_000 }, (_, i) => ({ ...q0, id: `q${i}`, executionTimeMs: i }));
  const { md } = assertBounded(t, 'explain', report);
  assert.match(md, /1,950 more queries in the JSON report/);
  assert.match(md, /1,970 more queries with findings in the JSON report/);
  assert.equal(reportHeadlines(report).filter((h) => /^explain\/q\d+\//.test(h.key)).length, 50);
});

test('analyze-cel at its worst: long texts of characters that all need escaping, thousands of files, policies and errors — pages stay bounded', { timeout: 60_000 }, async (t) => {
  const report = await largeCelReport(4_000);
  const s = report.celAnalysis;
  const nasty = (n: number): string => '"<&>\'|`*'.repeat(Math.ceil(n / 8)).slice(0, n);
  const longName = `${'deep/'.repeat(100)}file.cel`;
  for (const e of s.expressions) {
    e.expression = nasty(5_000);
    e.origin = { kind: 'policy', file: longName, policy: nasty(300), rule: nasty(300), role: 'condition' };
    e.recommendations = Array.from({ length: 10 }, () => ({ ...e.recommendations[0]!, rule: 'constant-fold' as const, message: nasty(2_000), suggestion: nasty(2_000), text: nasty(2_000) }));
    e.cost.unboundedBy = [nasty(500)];
  }
  s.totals.recommendations = s.expressions.length * 10;
  const file = s.files[0]!;
  s.files = Array.from({ length: 5_000 }, (_, i) => ({ ...file, file: `${longName}${i}`, worst: nasty(300) }));
  s.policies = Array.from({ length: 5_000 }, (_, i) => ({ ...file, file: `${longName}${i}`, policy: nasty(300), worst: nasty(300) }));
  s.errors = Array.from({ length: 5_000 }, (_, i) => ({ origin: { kind: 'text' as const, file: longName }, expression: nasty(1_000), span: { line: i + 1, column: 1, endLine: i + 1, endColumn: 2 }, message: nasty(2_000) }));
  s.skipped = Array.from({ length: 100 }, () => ({ file: longName, reason: nasty(100) }));
  assertBounded(t, 'analyze-cel worst case', report);
});
