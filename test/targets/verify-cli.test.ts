/**
 * `authz-perf verify`: exit 0 when every action agrees, 1 with the first differences on any
 * difference, 2 for bad flags or no Cerbos binary. The runs against Cerbos skip (one line) where
 * the binary cannot run; the usage errors run everywhere.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUNDLED_SCENARIOS_DIR } from '../../src/scenario/index.js';
import { loadReport } from '../../src/report/load.js';
import { renderReport } from '../../src/report/render.js';
import type { VerifyReport } from '../../src/report/types.js';
import { findCerbos } from '../../src/targets/cerbos.js';
import { runCli } from '../helpers/cli.js';

const lookup = await findCerbos();
const skip = lookup.found ? false : `Cerbos binary not available (${lookup.reason})`;

test('bad flags: one line naming the flag, exit 2, before Cerbos is looked for', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--scenario', 'rbac-simple', '--policies', '.'], /^authz-perf: --policies: use either --scenario or --policies, not both\n$/],
    [[], /^authz-perf: --scenario or --policies is required/],
    [['--policies', '.', '--seed', '3'], /^authz-perf: --seed applies only with --scenario/],
    [['--scenario', 'rbac-simple', '--requests', '0'], /^authz-perf: --requests: expected an integer between 1 and 1000000, got "0"\n$/],
    [['--scenario', 'rbac-simple', '--engine', 'opa'], /--engine.*opa.*cerbos/],
  ];
  for (const [args, expected] of cases) {
    const run = await runCli(['verify', ...args, '--no-report'], { env: { CERBOS_BINARY: '/nonexistent/cerbos' } });
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, expected);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  }
});

test('no runnable Cerbos: one line saying what was tried and how to get it, exit 2', async () => {
  const run = await runCli(['verify', '--scenario', 'rbac-simple', '--no-report'], { env: { CERBOS_BINARY: '/nonexistent/cerbos' } });
  assert.equal(run.code, 2);
  assert.equal(run.stderr, `authz-perf: CERBOS_BINARY=/nonexistent/cerbos cannot run: no such file (point it at a cerbos binary, or unset it to use @cerbos/cerbos-${process.platform}-${process.arch} from npm)\n`);
});

describe('verify against the Cerbos PDP', { skip }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'authz-perf-verify-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a bundled scenario agrees: exit 0, a verify report with every action compared', async () => {
    const run = await runCli(['verify', '--scenario', 'abac-cel', '--requests', '400', '--seed', '7', '--json', '--no-report']);
    assert.equal(run.code, 0, run.stderr);
    const report = loadReport(run.stdout, 'stdout') as VerifyReport;
    assert.equal(report.command, 'verify');
    const s = report.verify;
    assert.equal(s.passed, true);
    assert.equal(s.requests, 400);
    assert.deepEqual(s.source, { kind: 'scenario', scenario: 'abac-cel', seed: 7 });
    assert.equal(s.differingActions, 0);
    assert.equal(s.agreement, 1);
    assert.equal(s.perAction.reduce((n, a) => n + a.actions, 0), s.actions);
    assert.match(s.cerbos.version, /^\d+\.\d+\.\d+/);
    assert.match(run.stderr, /^verify: reference engine vs Cerbos \S+ \(.+\) on scenario abac-cel, 400 requests \(seed 7\)\n$/);
    for (const format of ['terminal', 'md', 'html'] as const) {
      assert.match(renderReport(report, format, { color: false }), /all [\d,]+ actions agree/);
    }
  });

  test('requests Cerbos refuses count as differences: exit 1, named in full in the report and its renderings', async () => {
    // Cerbos answers 400 to more than 50 resources in one request (its default
    // server.requestLimits.maxResourcesPerRequest); our engine decides them
    const scenarioDir = join(dir, 'big-batches');
    await cp(join(BUNDLED_SCENARIOS_DIR, 'rbac-simple'), scenarioDir, { recursive: true });
    const file = join(scenarioDir, 'scenario.yaml');
    const text = await readFile(file, 'utf8');
    const big = text.replace(/resourcesPerRequest: \{ min: 1, max: 3 \}/, 'resourcesPerRequest: { min: 51, max: 51 }');
    assert.notEqual(big, text);
    await writeFile(file, big);

    const run = await runCli(['verify', '--scenario', scenarioDir, '--requests', '3', '--show', '4', '--json', '--no-report']);
    assert.equal(run.code, 1, run.stderr);
    const s = (loadReport(run.stdout, 'stdout') as VerifyReport).verify;
    assert.equal(s.passed, false);
    assert.equal(s.cerbosErrors, 3);
    assert.equal(s.differingActions, s.actions);
    assert.equal(s.differences.length, 4);
    const first = s.differences[0]!;
    assert.equal(first.requestIndex, 0);
    assert.match(first.principal.id, /^user-\d+$/);
    assert.match(first.resource.id, new RegExp(`^${first.resource.kind}-\\d+$`));
    assert.ok(first.reference === 'EFFECT_ALLOW' || first.reference === 'EFFECT_DENY');
    assert.equal(first.cerbos, null);
    assert.match(first.cerbosError ?? '', /^HTTP 400: .*exceeds configured limit \(50\)/);
    assert.equal(run.stderr.split('\n').filter(Boolean).pop(), `authz-perf: ${s.actions} of ${s.actions} actions differ between the reference engine and Cerbos ${s.cerbos.version}`);

    const report = loadReport(run.stdout, 'stdout') as VerifyReport;
    const terminal = renderReport(report, 'terminal', { color: false });
    assert.match(terminal, new RegExp(`First 4 of ${s.actions.toLocaleString('en-US')} differences`));
    assert.ok(terminal.includes(`${first.principal.id}`) && terminal.includes(`${first.resource.kind}/${first.resource.id}`));
    assert.match(renderReport(report, 'md', { color: false }), /\| request \| principal \| roles \| resource \| action \| reference \| cerbos \|/);
    assert.match(renderReport(report, 'html', { color: false }), /differ<\/span>/);
  });

  test('--policies DIR: requests from the Cerbos test suites in the folder, each principal × resource pair once', async () => {
    const repo = join(dir, 'repo');
    await cp(join(BUNDLED_SCENARIOS_DIR, 'abac-cel', 'policies'), repo, { recursive: true });
    await cp(join(BUNDLED_SCENARIOS_DIR, 'abac-cel', 'tests'), join(repo, 'tests'), { recursive: true });
    const run = await runCli(['verify', '--policies', repo, '--json', '--no-report']);
    assert.equal(run.code, 0, run.stderr);
    const s = (loadReport(run.stdout, 'stdout') as VerifyReport).verify;
    assert.equal(s.source.kind, 'test-suites');
    assert.ok(s.source.kind === 'test-suites' && s.source.suites === 3 && s.source.pairs === s.requests, JSON.stringify(s.source));
    assert.ok(s.requests > 10, `${s.requests} requests`);
    assert.equal(s.differingActions, 0);
    assert.deepEqual(new Set(s.perAction.map((a) => a.kind)), new Set(['document', 'expense']));

    const capped = await runCli(['verify', '--policies', repo, '--requests', '5', '--json', '--no-report']);
    assert.equal(capped.code, 0, capped.stderr);
    assert.equal((loadReport(capped.stdout, 'stdout') as VerifyReport).verify.requests, 5);
  });

  test('a policy error stops verify before Cerbos starts: file:line:column, exit 2', async () => {
    const scenarioDir = join(dir, 'broken');
    await cp(join(BUNDLED_SCENARIOS_DIR, 'abac-cel'), scenarioDir, { recursive: true });
    const policy = join(scenarioDir, 'policies', 'expense.yaml');
    await writeFile(policy, (await readFile(policy, 'utf8')).replace(/EFFECT_ALLOW/, 'EFFECT_MAYBE'));
    const run = await runCli(['verify', '--scenario', scenarioDir, '--requests', '10', '--no-report']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^authz-perf: \S*expense\.yaml:\d+:\d+: .*EFFECT_MAYBE/m);
  });
});
