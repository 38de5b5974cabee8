import { test } from 'node:test';
import { SCHEMA_VERSION } from '../../src/report/types.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { loadReport } from '../../src/report/load.js';
import { validateReportShape } from '../../src/report/schema.js';
import type { ReportComparison } from '../../src/report/compare.js';
import { FIXTURES } from '../report/synthetic-section.js';
import { fixtureReports } from '../report/fixture-checks.js';
import { readReportInputs } from '../../src/cli/report.js';

const ANSI = /\u001b\[/;
const dir = mkdtempSync(path.join(os.tmpdir(), 'authz-perf-report-cli-'));
const envelope = readFileSync(new URL('report-shell-envelope.json', FIXTURES), 'utf8');

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Two real size reports (a fast, deterministic command) to re-render and compare. */
async function sizeReports(): Promise<[string, string]> {
  const a = await runCli(['size', '--rps', '50k', '--json', '--no-report']);
  const b = await runCli(['size', '--rps', '80k', '--ha', '--json', '--no-report']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  return [write('size-a.json', a.stdout), write('size-b.json', b.stdout)];
}

test('usage errors are one line and exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['report'], /^authz-perf: give a report file to render/],
    [['report', 'a.json', 'b.json', 'c.json'], /^authz-perf: give one report file, or two to compare \(got 3\)/],
    [['report', 'a.json', '--format', 'pdf'], /^authz-perf: --format must be one of terminal, md, html, json \(got 'pdf'\)/],
    [['report', 'a.json', '--threshold', 'lots'], /^authz-perf: --threshold: expected a percentage/],
    [['report', 'a.json', '--json', '--format', 'md'], /^authz-perf: --json conflicts with --format md/],
  ];
  for (const [args, message] of cases) {
    const run = await runCli(args);
    assert.equal(run.code, 2, args.join(' '));
    assert.match(run.stderr, message);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.equal(run.stdout, '');
  }
});

test('unreadable, malformed and too-new report files exit 2 naming the file', async () => {
  const missing = await runCli(['report', path.join(dir, 'nope.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.json: cannot read report: no such file/);

  const bad = await runCli(['report', write('bad.json', '{\n  "schemaVersion": 1,\n  oops\n}')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bad\.json:3:3: not valid JSON: expected a double-quoted property name/);

  const newer = await runCli(['report', write('newer.json', envelope.replace('"schemaVersion": 1', `"schemaVersion": ${SCHEMA_VERSION + 1}`))]);
  assert.equal(newer.code, 2);
  assert.match(newer.stderr, new RegExp(`has schemaVersion ${SCHEMA_VERSION + 1}; this authz-perf reads up to ${SCHEMA_VERSION}`));
});

test('two reports of different commands exit 2 with a clear message', async () => {
  const bench = write('bench.json', envelope);
  const size = write('size.json', envelope.replace('"command": "bench"', '"command": "size"').replace('"bench": {', '"size": {'));
  const run = await runCli(['report', bench, size]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /cannot compare a bench report with a size report \(.*size\.json\); give two reports of the same command/);
});

test('a saved report re-renders in every format; JSON parses and validates', async () => {
  const [a] = await sizeReports();
  const terminal = await runCli(['report', a], { env: { NO_COLOR: '' } });
  assert.equal(terminal.code, 0, terminal.stderr);
  assert.match(terminal.stdout, /^authz-perf size · Capacity sizing/);
  assert.doesNotMatch(terminal.stdout, ANSI, 'stdout is not a TTY: plain output');

  const md = await runCli(['report', a, '--format', 'md']);
  assert.match(md.stdout, /^## authz-perf size/);
  assert.match(md.stdout, /<details><summary>Environment<\/summary>/);

  const out = path.join(dir, 'out', 'size.html');
  const html = await runCli(['report', a, '--format', 'html', '--out', out]);
  assert.equal(html.code, 0, html.stderr);
  assert.equal(html.stdout, '');
  assert.match(html.stderr, /report: wrote .*size\.html/);
  const page = readFileSync(out, 'utf8');
  assert.match(page, /^<!doctype html>/);
  assert.doesNotMatch(page, /<script[^>]+src=|<link[^>]+href=/, 'self-contained: no external scripts or stylesheets');

  const json = await runCli(['report', a, '--json']);
  const parsed: unknown = JSON.parse(json.stdout);
  assert.deepEqual(validateReportShape(parsed), []);
  assert.deepEqual(parsed, loadReport(readFileSync(a, 'utf8'), a));
});

test('two reports of the same command print a headline comparison in every format', async () => {
  const [a, b] = await sizeReports();
  const terminal = await runCli(['report', a, b]);
  assert.equal(terminal.code, 0, terminal.stderr);
  assert.match(terminal.stdout, /authz-perf size · comparison/);
  assert.match(terminal.stdout, /A \(baseline\): .*size-a\.json/);
  assert.match(terminal.stdout, /│ replicas at peak\s+│\s+9 replicas │\s+15 replicas │ \+66\.7% │ ↓ lower\s+│ worse/);

  const json = await runCli(['report', a, b, '--format', 'json']);
  const comparison = JSON.parse(json.stdout) as ReportComparison;
  assert.equal(comparison.kind, 'comparison');
  assert.equal(comparison.command, 'size');
  const replicas = comparison.rows.find((r) => r.label === 'replicas at peak');
  assert.deepEqual(
    replicas && { a: replicas.a, b: replicas.b, verdict: replicas.verdict, better: replicas.better },
    { a: 9, b: 15, verdict: 'worse', better: 'lower' },
  );
  assert.equal(comparison.summary.better + comparison.summary.worse + comparison.summary.unchanged, comparison.rows.length);

  const md = await runCli(['report', a, b, '--format', 'md']);
  assert.match(md.stdout, /\| replicas at peak \| 9 replicas \| 15 replicas \| \+66\.7% \| ↓ lower \| ❌ worse \|/);

  const html = await runCli(['report', a, b, '--format', 'html']);
  assert.match(html.stdout, /<td class="num">\+66\.7%<\/td>/);
  assert.match(html.stdout, /id="comparison-change"/);

  const loose = await runCli(['report', a, b, '--format', 'json', '--threshold', '100']);
  assert.equal((JSON.parse(loose.stdout) as ReportComparison).summary.worse, 0, 'a wide threshold makes every change unchanged');
});

test('every fixture report compares with itself as unchanged', async () => {
  for (const { name, report } of fixtureReports(FIXTURES.pathname)) {
    const file = path.join(FIXTURES.pathname, name);
    const run = await runCli(['report', file, file, '--format', 'json']);
    assert.equal(run.code, 0, `${name}: ${run.stderr}`);
    const c = JSON.parse(run.stdout) as ReportComparison;
    assert.equal(c.command, report.command);
    assert.ok(c.rows.length > 0, `${name}: no headlines to compare`);
    assert.equal(c.summary.unchanged, c.rows.length, name);
  }
});

test('--schema prints the JSON Schema', async () => {
  const run = await runCli(['report', '--schema']);
  assert.equal(run.code, 0);
  const schema = JSON.parse(run.stdout) as { title: string; required: string[] };
  assert.equal(schema.title, 'authz-perf report');
  assert.ok(schema.required.includes('schemaVersion'));
});

test('- reads a report from stdin, once', async () => {
  const [a] = await sizeReports();
  const ctx = { stdout: process.stdout, stderr: process.stderr, cwd: dir, env: {}, debug: false, exitCode: 0 };
  const inputs = await readReportInputs(ctx, ['-', a], async () => readFileSync(a, 'utf8'));
  assert.deepEqual(inputs.map((i) => [i.file, i.report.command]), [['(stdin)', 'size'], [a, 'size']]);
  await assert.rejects(readReportInputs(ctx, ['-', '-'], async () => '{}'), /stdin \(-\) can be given only once/);
  await assert.rejects(readReportInputs(ctx, ['-'], async () => 'nope'), /not valid JSON/);
});

test('--import-k6 renders a k6 summary as a loadtest report and compares it with a saved one', async () => {
  const k6 = new URL('k6-summary.json', FIXTURES).pathname;
  const alone = await runCli(['report', '--import-k6', k6, '--format', 'json']);
  assert.equal(alone.code, 0, alone.stderr);
  const report = JSON.parse(alone.stdout) as { command: string };
  assert.equal(report.command, 'loadtest');
  const md = await runCli(['report', '--import-k6', k6, '--format', 'md']);
  assert.match(md.stdout, /8\.8/, 'the k6 p99 (8.8 ms) is shown');

  const saved = write('k6-as-loadtest.json', alone.stdout);
  const cmp = await runCli(['report', saved, '--import-k6', k6, '--format', 'json']);
  assert.equal(cmp.code, 0, cmp.stderr);
  const comparison = JSON.parse(cmp.stdout) as ReportComparison;
  assert.equal(comparison.command, 'loadtest');
  assert.ok(comparison.rows.length > 0);
  assert.equal(comparison.summary.better + comparison.summary.worse, 0, 'the same figures on both sides');

  const missing = await runCli(['report', '--import-k6', path.join(dir, 'nope.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.json.*--import-k6: cannot read \(no such file\)/);
});

test('--out that cannot be written (a folder) is one usage line and exit 2', async () => {
  const [a] = await sizeReports();
  const run = await runCli(['report', a, '--format', 'md', '--out', dir]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /^authz-perf: --out: cannot write .* \(EISDIR\)\n$/);
});
