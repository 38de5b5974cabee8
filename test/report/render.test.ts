import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Report } from '../../src/report/types.js';
import { renderTerminalPage } from '../../src/report/render-terminal.js';
import { renderMarkdownPage, MARKDOWN_LIMIT_CHARS } from '../../src/report/render-markdown.js';
import { escapeInlineScript, jsonForScript, renderHtmlPage } from '../../src/report/render-html.js';
import { chartJsSource } from '../../src/report/chartjs-source.js';
import { shellFixture, syntheticRenderer, syntheticCharts } from './synthetic-section.js';

const ANSI = /\u001b\[/;
const report = shellFixture();
const interrupted: Report = { ...report, interrupted: true };

test('terminal shell: header with command, version, start, duration, environment, then the section', () => {
  const out = renderTerminalPage(report, syntheticRenderer.terminal(report, { color: false }), { color: false });
  const lines = out.split('\n');
  assert.equal(lines[0], 'authz-perf bench · Benchmark');
  assert.equal(lines[1], '2026-11-23 09:30:00 UTC · took 42.5 s · v0.1.0 · args: --scenario abac-cel --duration 30s');
  assert.equal(lines[2], 'Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz · 2 cores · 7.64 GiB · Node v20.20.0 · linux 6.1.0-27-cloud-amd64 x64 · git 519dea8f3c2b');
  assert.match(out, /check-uncached <abac>/);
  assert.doesNotMatch(out, ANSI);
  assert.ok(out.endsWith('┘\n'));
});

test('terminal shell: interrupted marker and colour only when asked', () => {
  const plain = renderTerminalPage(interrupted, 'body', { color: false });
  assert.match(plain.split('\n')[0]!, / INTERRUPTED $/);
  assert.match(plain, /Interrupted: the run was stopped early/);
  const coloured = renderTerminalPage(interrupted, 'body', { color: true });
  assert.match(coloured, ANSI);
  assert.equal(coloured.replace(/\u001b\[[0-9;]*m/g, ''), plain);
});

test('markdown shell: title, run line, environment in <details>, then the section', () => {
  const md = renderMarkdownPage(report, syntheticRenderer.markdown(report));
  assert.match(md, /^## authz-perf bench · Benchmark\n\n\*\*2026-11-23 09:30:00 UTC\*\* · took 42\.5 s · authz-perf 0\.1\.0 · `authz-perf bench --scenario abac-cel --duration 30s`\n/);
  assert.ok(md.indexOf('<details><summary>Environment</summary>') < md.indexOf('| task |'));
  assert.match(md, /\| Cores \| 2 \|/);
  assert.match(md, /\| cel:owner \\\| admin \|/);
  assert.doesNotMatch(md, /WARNING/);
  assert.match(renderMarkdownPage(interrupted, 'x'), /> \[!WARNING\]\n> Interrupted/);
});

test('markdown shell: a section too long for a PR comment is cut at a line with a note', () => {
  const long = Array.from({ length: 5000 }, (_, i) => `| row ${i} | ${'x'.repeat(20)} |`).join('\n');
  const md = renderMarkdownPage(report, long);
  assert.ok(md.length <= MARKDOWN_LIMIT_CHARS, `${md.length}`);
  assert.match(md, /\|\n\n_…truncated to fit a pull-request comment/);
});

test('html shell: one self-contained page with Chart.js inlined and charts embedded as data', () => {
  const section = syntheticRenderer.html(report);
  const html = renderHtmlPage(interrupted, section);
  assert.match(html, /^<!doctype html>\n<html lang="en">/);
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\/cdn/i);
  assert.ok(html.includes(chartJsSource().code.slice(0, 200)), 'Chart.js UMD code inlined');
  assert.match(html, new RegExp(`Chart\\.js ${chartJsSource().version.replace(/\./g, '\\.')} \\(inlined`));
  assert.match(html, /<strong>Interrupted\.<\/strong>/);
  // every script closes exactly once: no </script> inside inlined code or data
  assert.equal(html.match(/<script/g)?.length, html.match(/<\/script>/g)?.length);
  const data = /<script type="application\/json" id="authz-perf-charts">([\s\S]*?)<\/script>/.exec(html)?.[1];
  const charts = JSON.parse(data ?? '[]') as Array<{ id: string }>;
  assert.deepEqual(charts.map((c) => c.id), syntheticCharts.map((c) => c.id));
  // the chart the section placed is drawn in place; the others get figures in a Charts block
  assert.equal(html.match(/<canvas id="ops-per-task"/g)?.length, 1);
  assert.match(html, /<h2>Charts<\/h2>[\s\S]*<canvas id="latency-over-time"[\s\S]*<canvas id="cost-per-expression"/);
  assert.match(html, /aria-label="Throughput per task \(± margin of error\): ops\/s by task"/);
  // the environment table and the raw JSON block
  assert.match(html, /<tr><th>Cores<\/th><td>2<\/td><\/tr>/);
  const raw = /<pre id="authz-perf-report">([\s\S]*?)<\/pre>/.exec(html)?.[1] ?? '';
  const decoded = raw.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  assert.deepEqual(JSON.parse(decoded), interrupted);
});

test('html shell: text from the report is escaped and duplicate chart ids get their own canvas', () => {
  const evil: Report = { ...report, args: ['</script><script>alert(1)</script>'] };
  const html = renderHtmlPage(evil, { body: '<p>x</p>', charts: [syntheticCharts[0]!, { ...syntheticCharts[0]!, title: 'again' }] });
  assert.doesNotMatch(html, /<script>alert/);
  assert.match(html, /&lt;\/script&gt;&lt;script&gt;alert\(1\)/);
  assert.match(html, /<canvas id="ops-per-task"/);
  assert.match(html, /<canvas id="ops-per-task-2"/);
  assert.equal(html.match(/<script/g)?.length, html.match(/<\/script>/g)?.length);
});

test('a page without charts does not inline Chart.js', () => {
  const html = renderHtmlPage(report, { body: '<p>no charts</p>', charts: [] });
  assert.ok(!html.includes(chartJsSource().code.slice(0, 200)));
  assert.ok(html.length < 30_000);
});

test('script and JSON escaping', () => {
  assert.equal(escapeInlineScript('a="</script>";b="<!--"'), 'a="<\\/script>";b="<\\!--"');
  const json = jsonForScript({ s: '</script><b>', line: '\u2028' });
  assert.doesNotMatch(json, /</);
  assert.deepEqual(JSON.parse(json), { s: '</script><b>', line: '\u2028' });
});
