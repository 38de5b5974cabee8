import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { benchRenderer } from '../../src/report/sections/bench.js';
import { renderReport } from '../../src/report/render.js';
import type { BenchReport } from '../../src/report/types.js';
import type { Headline } from '../../src/report/render-types.js';
import { formatBytes, formatDurationNs, formatNumber, formatSi } from '../../src/util/format.js';
import { compareWithBaseline } from '../../src/bench/baseline.js';

// A real run, saved: `authz-perf bench --quick --cel-engines --memory --http --scenario abac-cel,heavy-cel --json`.
const fixture = JSON.parse(readFileSync(new URL('../../../test/fixtures/bench-report.json', import.meta.url), 'utf8')) as BenchReport;
const ANSI = /\u001b\[/;

/** How a headline's value is written in the rendered tables and lines. */
function shown(h: Headline): string {
  if (h.unit === 'ops/s') return formatSi(h.value);
  if (h.unit === 'ns') return formatDurationNs(h.value);
  if (h.unit === 'bytes') return formatBytes(h.value);
  return `${formatNumber(h.value, 3)}×`;
}

test('the fixture is a real multi-scenario run with the contract fields', () => {
  assert.equal(fixture.command, 'bench');
  assert.ok(fixture.bench.scenarios.length >= 2);
  for (const s of fixture.bench.scenarios) {
    const ids = s.tasks.map((t) => t.id);
    for (const id of ['check-uncached', 'check-cached', 'load-compile']) assert.ok(ids.includes(id), `${s.scenario} lacks ${id}`);
    assert.ok(ids.some((id) => id.startsWith('cel:')), `${s.scenario} has no per-condition task`);
    for (const t of s.tasks) assert.ok(t.opsPerSec > 0 && t.p99Ns > 0 && t.samples > 0 && Number.isFinite(t.rmePercent));
    assert.ok(s.overheadRatio && s.overheadRatio.ratio > 0);
    assert.ok(s.stageBreakdown && s.stageBreakdown.stages.length === 5);
  }
});

test('headlines: unique keys, each figure appears in terminal, Markdown and HTML output', () => {
  const headlines = benchRenderer.headlines(fixture);
  assert.ok(headlines.length > 0);
  assert.equal(new Set(headlines.map((h) => h.key)).size, headlines.length);
  const terminal = benchRenderer.terminal(fixture, { color: false });
  const markdown = benchRenderer.markdown(fixture);
  const html = benchRenderer.html(fixture).body;
  for (const h of headlines) {
    const text = shown(h);
    assert.ok(terminal.includes(text), `terminal lacks ${h.key} = ${text}`);
    assert.ok(markdown.includes(text), `markdown lacks ${h.key} = ${text}`);
    assert.ok(html.includes(text.replace(/&/g, '&amp;')), `html lacks ${h.key} = ${text}`);
  }
  const abac = headlines.find((h) => h.key === 'abac-cel/overheadRatio');
  assert.equal(abac?.better, 'lower');
  assert.equal(headlines.find((h) => h.key === 'abac-cel/check-uncached/opsPerSec')?.better, 'higher');
});

test('terminal: per-scenario table, overhead with its source figures, stages beside the budget; colour only when asked', () => {
  const plain = benchRenderer.terminal(fixture, { color: false });
  assert.doesNotMatch(plain, ANSI);
  for (const head of ['task', 'ops/s', 'mean', 'p50', 'p99', 'p99.9', 'rme', 'samples']) assert.ok(plain.includes(head));
  const abac = fixture.bench.scenarios.find((s) => s.scenario === 'abac-cel')!;
  assert.ok(plain.includes(formatDurationNs(abac.overheadRatio!.checkMeanNs)));
  assert.ok(plain.includes(formatDurationNs(abac.overheadRatio!.celSumMeanNs)));
  assert.match(plain, /CEL evaluation\s*│\s*15 ms/);
  assert.match(plain, /of 50 ms/);
  assert.match(plain, /memory: heap delta/);
  assert.match(benchRenderer.terminal(fixture, { color: true }), ANSI);
});

test('Markdown: GitHub tables that fit a PR comment (details for the long parts)', () => {
  const md = benchRenderer.markdown(fixture);
  assert.match(md, /^\| task \| ops\/s \| mean \|/m);
  assert.match(md, /^\| --- \| ---: \|/m);
  assert.match(md, /<details><summary>Stage breakdown/);
  assert.ok(md.length < 65_536, 'GitHub comments are limited to 65,536 characters');
});

test('HTML: escaped body, one chart per referenced canvas, ops/s charts carry error bars', () => {
  const evil: BenchReport = structuredClone(fixture);
  evil.bench.scenarios[0]!.tasks[0]!.name = '<script>alert(1)</script>';
  const { body, charts } = benchRenderer.html(evil);
  assert.doesNotMatch(body, /<script>/);
  assert.match(body, /&lt;script&gt;/);
  const canvasIds = [...body.matchAll(/<canvas id="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(canvasIds.sort(), charts.map((c) => c.id).sort());
  const ops = charts.find((c) => c.id.endsWith('-ops'))!;
  assert.ok(ops.series[0]!.errors!.every((e) => e !== null && e >= 0));
  assert.ok(charts.some((c) => c.id.endsWith('-stages')));
});

test('baseline verdicts render in all formats; a regression is named', () => {
  const slowed: BenchReport = structuredClone(fixture);
  const t = slowed.bench.scenarios[0]!.tasks.find((x) => x.id === 'check-uncached')!;
  t.meanNs *= 3;
  t.rmePercent = 1;
  slowed.bench.baseline = compareWithBaseline(slowed.bench, fixture, 10, 'baseline.json');
  assert.equal(slowed.bench.baseline.regressions, 1);
  assert.match(benchRenderer.terminal(slowed, { color: false }), /REGRESSION/);
  assert.match(benchRenderer.markdown(slowed), /❌ baseline baseline\.json .*1 regression/);
  assert.match(benchRenderer.html(slowed).body, /badge-bad/);
});

test('the full page renders in every format without throwing', () => {
  for (const format of ['terminal', 'md', 'html', 'json'] as const) {
    const text = renderReport(fixture, format, { color: false });
    assert.ok(text.includes('abac-cel'), format);
  }
});

test('a figure with rme above 5% is marked noisy in terminal, Markdown and HTML, with its repeats', () => {
  const report = structuredClone(fixture);
  const tasks = report.bench.scenarios[0]!.tasks;
  const quiet = tasks.find((t) => t.id === 'check-uncached')!;
  const noisy = tasks.find((t) => t.id === 'check-cached')!;
  quiet.rmePercent = 1.25;
  quiet.repeats = 1;
  noisy.rmePercent = 31.5;
  noisy.repeats = 3;
  for (const text of [benchRenderer.terminal(report, { color: false }), benchRenderer.markdown(report), renderReport(report, 'html', { color: false })]) {
    assert.match(text, /±31\.5\d*% ⚠ noisy after 3 repeats/);
    assert.match(text, /±1\.25% \(1 repeat\)/);
  }
});

test('the serve ÷ bare and cache on ÷ off lines: in every rendering, a missed goal marked as missed', () => {
  const report = structuredClone(fixture);
  const s = report.bench.scenarios[0]!;
  s.httpBaseline = {
    serveRps: [9000, 9500, 9100], bareRps: [10000, 10000, 10000], ratios: [0.9, 0.95, 0.91], min: 0.9, median: 0.91, max: 0.95, connections: 10, roundMs: 2000, goal: 0.85,
    cacheOnOff: { onRps: [9000, 8000, 9100], offRps: [10000, 10000, 9000], ratios: [0.9, 0.8, 1.0111], min: 0.8, median: 0.9, max: 1.0111, connections: 10, roundMs: 2000, goal: 1 },
  };
  const terminal = benchRenderer.terminal(report, { color: false });
  const markdown = benchRenderer.markdown(report);
  const html = benchRenderer.html(report).body;
  for (const out of [terminal, markdown, html]) {
    assert.match(out, /serve ÷ bare node:http 0\.91 \(min 0\.9, max 0\.95; goal ≥ 0\.85\) met/);
    assert.match(out, /serve cache on ÷ off 0\.9 \(min 0\.8, max 1; goal ≥ 1\) MISSED: cache on 9,000\/8,000\/9,100 req\/s vs --no-cache 10,000\/10,000\/9,000 req\/s, 3 alternating rounds of 2 s, 10 connections/);
  }
  assert.doesNotMatch(benchRenderer.terminal(fixture, { color: false }), /cache on ÷ off/);
});
