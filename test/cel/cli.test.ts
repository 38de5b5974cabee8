import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { analyzeCelCommand } from '../../src/cli/analyze-cel.js';
import type { CliContext } from '../../src/cli/context.js';
import type { CelAnalysisReport } from '../../src/report/types.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

async function json(args: string[]): Promise<{ code: number; report: CelAnalysisReport; stderr: string }> {
  const run = await runCli(['analyze-cel', '--no-report', '--json', ...args], { cwd: ROOT });
  return { code: run.code, report: JSON.parse(run.stdout) as CelAnalysisReport, stderr: run.stderr };
}

test('--expr: one expression, terminal table and exit 0', async () => {
  const run = await runCli(['analyze-cel', '--no-report', '--expr', 'R.attr.owner == P.id', '--expr', 'R.attr.tags.exists(t, t == "x")', '--size-hint', 'R.attr.tags=10'], { cwd: ROOT });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /CEL cost analysis/);
  assert.match(run.stdout, /2 expressions/);
  assert.match(run.stdout, /--expr:1:1/);
});

test('policy directory: every condition and variable with file, rule and line; the nested comprehension is the worst', async () => {
  const { code, report } = await json(['test/fixtures/cel-policies']);
  assert.equal(code, 0);
  const s = report.celAnalysis;
  assert.equal(report.command, 'analyze-cel');
  assert.equal(s.totals.expressions, 10);
  assert.equal(s.totals.parseErrors, 0);
  const worst = s.expressions[0]!;
  assert.equal(worst.origin.rule, 'edit-member');
  assert.equal(worst.id, 'test/fixtures/cel-policies/album.yaml:29:19');
  assert.ok(worst.recommendations.some((r) => r.rule === 'nested-comprehension'));
  assert.deepEqual(
    s.files.map((f) => [f.file, f.expressions]),
    [
      ['test/fixtures/cel-policies/album.yaml', 8],
      ['test/fixtures/cel-policies/nested/roles.yaml', 2],
    ],
  );
  // sorted worst first by the expression's own cost: unbounded before bounded, bounded by max cost
  const maxes = s.expressions.map((e) => e.cost.maxCostUnits ?? Infinity);
  assert.deepEqual(maxes, [...maxes].sort((a, b) => b - a));
});

test('policy variables: a condition reading V.x carries the cost including the variables it reads', async () => {
  const { report } = await json(['test/fixtures/cel-policies', '--size-hint', 'R.attr.groups=10', '--size-hint', 'P.attr.groups=5']);
  const share = report.celAnalysis.expressions.find((e) => e.origin.rule === 'share')!;
  const isOwner = report.celAnalysis.expressions.find((e) => e.origin.rule === 'is_owner')!;
  const shared = report.celAnalysis.expressions.find((e) => e.origin.rule === 'shared_groups')!;
  assert.deepEqual(share.costWithVariables?.variables, ['is_owner', 'shared_groups']);
  assert.equal(
    share.costWithVariables?.maxCostUnits,
    share.cost.maxCostUnits! + isOwner.cost.maxCostUnits! + shared.cost.maxCostUnits!,
  );
  assert.equal(isOwner.costWithVariables, undefined);
});

test('JSON policies importing exportVariables: the condition carries the exported variable\'s cost', async () => {
  const { code, report } = await json(['test/fixtures/cel-export', '--size-hint', 'R.attr.teams=10', '--size-hint', 'P.attr.teams=5']);
  assert.equal(code, 0);
  const byRule = new Map(report.celAnalysis.expressions.map((e) => [e.origin.rule, e]));
  const exported = byRule.get('member_of_team')!;
  const condition = byRule.get('team-edit')!;
  assert.equal(exported.id, 'test/fixtures/cel-export/shared.yaml:5:21');
  assert.equal(condition.id, 'test/fixtures/cel-export/doc.json:5:47');
  assert.deepEqual(condition.costWithVariables?.variables, ['member_of_team']);
  assert.equal(condition.costWithVariables?.maxCostUnits, condition.cost.maxCostUnits! + exported.cost.maxCostUnits!);
});

test('policy-level order: an expensive all.of / any.of item before a cheap one is flagged with the reordered list', async () => {
  const { report } = await json(['test/fixtures/cel-order']);
  const advice = report.celAnalysis.expressions.flatMap((e) =>
    e.recommendations.filter((r) => r.rule === 'cheaper-operand-first').map((r) => ({ rule: e.origin.rule, id: e.id, r })),
  );
  assert.deepEqual(advice.map((a) => [a.rule, a.id]), [['expensive-first', 'test/fixtures/cel-order/report.yaml:18:23']]);
  const { r } = advice[0]!;
  assert.equal(r.severity, 'warning');
  assert.match(r.message, /`all\.of` evaluates item 1 `V\.in_acl` \(cost [\d,]+ with the variables it reads\) before item 2/);
  assert.equal(r.suggestion, 'all.of: [R.attr.status == "published"], [V.in_acl]');
  assert.deepEqual([r.span.line, r.span.column], [18, 23]);
});

test('syntax errors: listed with file:line:column, the rest still analysed, exit 2', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cel-'));
  try {
    const file = path.join(dir, 'x.cel');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'a == 1\n  b &&& c\nd\n');
    const run = await runCli(['analyze-cel', '--no-report', '--json', 'x.cel'], { cwd: dir });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /x\.cel:2:7: Unexpected character/);
    const report = JSON.parse(run.stdout) as CelAnalysisReport;
    assert.equal(report.celAnalysis.totals.expressions, 2);
    assert.equal(report.celAnalysis.errors[0]!.span.line, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an invalid policy file is reported with its position and exit 2', async () => {
  const run = await runCli(['analyze-cel', '--no-report', 'test/fixtures/cel-broken', 'test/fixtures/cel-expressions.cel'], { cwd: ROOT });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /test\/fixtures\/cel-broken\/bad\.yaml:9:\d+: /);
  assert.match(run.stdout, /3 expressions/);
});

test('directories: non-policy YAML/JSON files are skipped and listed; named explicitly they are an error', async () => {
  const { code, report } = await json(['test/fixtures/cel-policies-mixed']);
  assert.equal(code, 0);
  assert.equal(report.celAnalysis.totals.expressions, 2);
  assert.deepEqual(report.celAnalysis.skipped.map((f) => f.file), [
    'test/fixtures/cel-policies-mixed/requests.json',
    'test/fixtures/cel-policies-mixed/scenario.yaml',
  ]);
  const run = await runCli(['analyze-cel', '--no-report', 'test/fixtures/cel-policies-mixed/scenario.yaml'], { cwd: ROOT });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /scenario\.yaml:\d+:\d+: not a Cerbos policy/);
});

test('--fail-over: exit 1 when a max cost exceeds it or is unbounded, 0 otherwise', async () => {
  const over = await runCli(['analyze-cel', '--no-report', '--expr', 'R.attr.tags.exists(t, t == "x")', '--fail-over', '1000'], { cwd: ROOT });
  assert.equal(over.code, 1);
  assert.match(over.stdout, /FAIL: 1 expression/);
  const ok = await runCli(['analyze-cel', '--no-report', '--expr', 'R.attr.tags.exists(t, t == "x")', '--fail-over', '1000', '--size-hint', 'R.attr.tags=10'], { cwd: ROOT });
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /PASS/);
});

test('--budget: expressions over it are flagged with the factor; given explicitly it gates with exit 1', async () => {
  const { code, report, stderr } = await json(['--expr', 'R.attr.tags.exists(t, t == "x")', '--size-hint', 'R.attr.tags=100', '--budget', '100']);
  assert.equal(code, 1);
  assert.match(stderr, /1 expression\(s\) over --budget 100/);
  const e = report.celAnalysis.expressions[0]!;
  assert.equal(e.cost.maxCostUnits, 3 + 1 + 100 * 6);
  assert.deepEqual(e.budget, { status: 'exceeds', factor: 6.04 });
  const [advice] = e.recommendations.filter((r) => r.rule === 'exceeds-budget');
  assert.match(advice!.message, /exceeds budget 100 by factor 6\.0/);

  // unbounded counts as over an explicit budget; within it exits 0
  const unbounded = await json(['--expr', 'R.attr.tags.exists(t, t == "x")', '--budget', '1000000']);
  assert.equal(unbounded.code, 1);
  assert.match(unbounded.stderr, /1 unbounded: bound them with --size-hint/);
  const within = await json(['--expr', 'R.attr.tags.exists(t, t == "x")', '--size-hint', 'R.attr.tags=100', '--budget', '1000']);
  assert.equal(within.code, 0);
  // the default budget flags but never gates
  const byDefault = await json(['--expr', 'R.attr.tags.exists(t, t == "x")']);
  assert.equal(byDefault.code, 0);
  assert.equal(byDefault.report.celAnalysis.totals.overBudget, 1);
});

test('--corpus: the throughput benchmark analyses N generated expressions and lists the worst', async () => {
  const { code, report } = await json(['--corpus', '300', '--seed', '4']);
  assert.equal(code, 0);
  const s = report.celAnalysis;
  assert.equal(s.totals.expressions, 300);
  assert.equal(s.totals.parseErrors, 0);
  assert.equal(s.expressions.length, 100);
  assert.deepEqual(s.corpus, { seed: 4, expressions: 300, listed: 100 });
  assert.ok(s.totals.expressionsPerSecond > 0);
  assert.ok((s.totals.expressionsPerCpuSecond ?? 0) > 0 && (s.totals.analysisCpuMs ?? 0) > 0);
  const again = await json(['--corpus', '300', '--seed', '4']);
  assert.deepEqual(again.report.celAnalysis.expressions.map((e) => e.expression), s.expressions.map((e) => e.expression));
  const bad = await runCli(['analyze-cel', '--no-report', '--corpus', '10', '--expr', 'a'], { cwd: ROOT });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--corpus: analyses a generated corpus on its own/);
});

test('usage errors name the flag and exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--expr', 'a', '--size-hint', 'R.attr.tags'], /--size-hint: expected PATH=N/],
    [['--expr', 'a', '--budget', '-5'], /--budget: expected an integer ≥ 1/],
    [['--expr', 'a', '--fail-over', 'lots'], /--fail-over/],
    [['--expr', 'a', '--input', 'x.json'], /--input: only used with --measure/],
    [['--corpus', '0'], /--corpus: expected an integer between 1 and 1000000/],
    [[], /give at least one FILE/],
    [['no/such/file.cel'], /no\/such\/file\.cel: no such file or directory/],
  ];
  for (const [args, pattern] of cases) {
    const run = await runCli(['analyze-cel', '--no-report', ...args], { cwd: ROOT });
    assert.equal(run.code, 2, args.join(' '));
    assert.match(run.stderr, pattern);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  }
});

test('report files: JSON, Markdown and HTML are written to --out', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cel-out-'));
  try {
    const run = await runCli(['analyze-cel', '--out', dir, '--expr', 'a && b'], { cwd: ROOT });
    assert.equal(run.code, 0);
    assert.deepEqual(readdirSync(dir).map((f) => path.extname(f)).sort(), ['.html', '.json', '.md']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stdin (-): expressions are read from the injected reader', async () => {
  let out = '';
  const ctx: CliContext = {
    stdout: { write: (s: string) => ((out += s), true) },
    stderr: { write: () => true },
    cwd: ROOT,
    env: { NO_COLOR: '1' },
    debug: false,
    exitCode: 0,
  };
  const code = await analyzeCelCommand(ctx, ['-'], { expr: [], sizeHint: [], json: true, report: false }, { readStdin: async () => '# from stdin\nx == 1\ny.z \\\n  == 2\n' });
  assert.equal(code, 0);
  const report = JSON.parse(out) as CelAnalysisReport;
  assert.deepEqual(report.celAnalysis.expressions.map((e) => [e.id, e.expression]).sort(), [
    ['-:2:1', 'x == 1'],
    ['-:3:1', 'y.z \n  == 2'],
  ]);
});

test('--measure: ns/eval beside the static cost and a Spearman figure', async () => {
  const { code, report } = await json([
    '--measure',
    '--list-size', '5',
    '--expr', 'R.attr.owner == P.id',
    '--expr', 'R.attr.tags.exists(t, t == "x")',
    '--expr', 'R.attr.groups.exists(g, g.members.exists(m, m == P.id))',
  ]);
  assert.equal(code, 0);
  const s = report.celAnalysis;
  for (const e of s.expressions) {
    assert.ok(e.measured, e.id);
    assert.equal(e.measured.error, null, e.measured.error ?? '');
    assert.ok(e.measured.nsPerEval > 0);
    assert.ok(e.measured.evaluations > 0);
  }
  assert.equal(s.measure?.points, 3);
  assert.equal(typeof s.measure?.spearman, 'number');
});

test('--measure: operand order advice uses measured operand costs', async () => {
  const { report } = await json(['--measure', '--list-size', '30', '--expr', 'R.attr.groups.exists(g, g.members.exists(m, m == P.id)) && R.attr.owner == P.id']);
  const [advice] = report.celAnalysis.expressions[0]!.recommendations.filter((r) => r.rule === 'cheaper-operand-first');
  assert.ok(advice);
  assert.match(advice.message, /\(ns [\d,.]+\)/);
  assert.equal(advice.suggestion, 'R.attr.owner == P.id && R.attr.groups.exists(g, g.members.exists(m, m == P.id))');
});

test('an unreadable file found in a folder (a broken link) is one input-error line and exit 2', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'authz-perf-cel-broken-'));
  try {
    symlinkSync(path.join(dir, 'missing.yaml'), path.join(dir, 'policy.yaml'));
    const run = await runCli(['analyze-cel', '--no-report', dir], { cwd: ROOT });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^authz-perf: .*policy\.yaml: file not found\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
