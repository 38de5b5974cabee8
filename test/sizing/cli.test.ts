/** `authz-perf size` through the CLI, in-process: output, report files, k8s YAML and bad input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../helpers/cli.js';
import type { SizeReport } from '../../src/report/types.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
const LOADTEST = path.join(fixtures, 'size-loadtest-synthetic.json');
const BENCH = path.join(fixtures, 'size-bench-synthetic.json');

async function sizeJson(args: string[]): Promise<SizeReport> {
  const run = await runCli(['size', ...args, '--json', '--no-report']);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as SizeReport;
}

test('size --rps 50000 prints CPU, memory, replicas and HPA, and says the figures are defaults', async () => {
  const run = await runCli(['size', '--rps', '50000', '--no-report']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
  for (const text of ['source: default constants (not measured)', 'replicas', 'CPU per replica', 'memory per replica', 'HPA', 'What if']) {
    assert.ok(run.stdout.includes(text), `missing ${text}`);
  }
  assert.match(run.stdout, /request 2000m · limit 2900m/);
  assert.match(run.stdout, /min 1 · max 14 · target 70% CPU/);
});

test('--json: the report envelope with the size section; defaults labelled', async () => {
  const report = await sizeJson(['--rps', '50k']);
  assert.equal(report.command, 'size');
  assert.equal(report.size.inputs.peakRps, 50_000);
  assert.equal(report.size.calibration.kind, 'default');
  assert.equal(report.size.calibration.perCoreRps.source, 'default');
  assert.equal(report.size.result.replicas, 9);
  assert.ok(report.size.whatIf.some((w) => w.peakRps === 50_000));
  assert.deepEqual(report.args, ['--rps', '50k', '--json', '--no-report']);
});

test('--from a loadtest --find-max report changes the result and carries the fitted USL', async () => {
  const byDefault = await sizeJson(['--rps', '50000']);
  const measured = await sizeJson(['--rps', '50000', '--from', LOADTEST]);
  const c = measured.size.calibration;
  assert.equal(c.kind, 'loadtest');
  assert.equal(c.capacityModel, 'usl');
  assert.ok(c.usl && c.usl.points.length === 8);
  assert.equal(measured.size.inputs.p99TargetMs, 25, "the report's SLO is the default target");
  assert.notEqual(measured.size.result.replicas, byDefault.size.result.replicas);
  assert.equal(measured.size.result.replicas, Math.ceil(50_000 / (measured.size.result.perReplicaCapacityRps * 0.7)));
  const terminal = await runCli(['size', '--rps', '50000', '--from', LOADTEST, '--no-report']);
  assert.match(terminal.stdout, /source: loadtest report .*size-loadtest-synthetic\.json · scenario abac-cel/);
  assert.match(terminal.stdout, /σ \(contention\)/);
});

test('--from a bench report, relative to the working directory', async () => {
  const ok = await runCli(['size', '--rps', '20k', '--from', 'size-bench-synthetic.json', '--json', '--no-report'], { cwd: fixtures });
  assert.equal(ok.code, 0, ok.stderr);
  const report = JSON.parse(ok.stdout) as SizeReport;
  assert.equal(report.size.calibration.kind, 'bench');
  assert.equal(report.size.calibration.file, 'size-bench-synthetic.json');
  assert.equal(report.size.calibration.scenario, 'rbac-simple');
  const abac = await sizeJson(['--rps', '20k', '--from', BENCH, '--cache-hit-rate', '80%', '--scenario-in-report', 'abac-cel']).catch(() => null);
  assert.equal(abac, null, 'unknown flags are refused');
});

test('--scenario: its SLO is the p99 target, its policies and repeat share the defaults; flags still win', async () => {
  const report = await sizeJson(['--rps', '20k', '--scenario', 'abac-cel']);
  const i = report.size.inputs;
  assert.equal(i.scenario, 'abac-cel');
  assert.equal(i.p99TargetSource, 'scenario abac-cel SLO');
  assert.ok(i.policies > 0 && i.policiesSource === 'policies in scenario abac-cel', `${i.policies} ${i.policiesSource}`);
  assert.match(i.cacheHitRateSource, /repeat share of scenario abac-cel/);
  const flagged = await sizeJson(['--rps', '20k', '--scenario', 'abac-cel', '--p99', '7ms', '--policies', '40']);
  assert.deepEqual([flagged.size.inputs.p99TargetMs, flagged.size.inputs.policies], [7, 40]);
});

test('--format k8s prints a valid Deployment resources block and an autoscaling/v2 HPA', async () => {
  const run = await runCli(['size', '--rps', '50000', '--ha', '--format', 'k8s', '--name', 'pdp', '--namespace', 'authz', '--no-report']);
  assert.equal(run.code, 0, run.stderr);
  const docs = parseAllDocuments(run.stdout);
  assert.ok(Array.isArray(docs) && docs.length === 2);
  for (const d of docs) assert.deepEqual(d.errors, []);
  const [deployment, hpa] = docs.map((d) => d.toJS()) as [Record<string, any>, Record<string, any>];
  assert.equal(deployment.kind, 'Deployment');
  assert.equal(deployment.metadata.namespace, 'authz');
  assert.deepEqual(deployment.spec.template.spec.containers[0].resources, {
    requests: { cpu: '2', memory: '72Mi' },
    limits: { cpu: '2900m', memory: '103Mi' },
  });
  assert.equal(hpa.apiVersion, 'autoscaling/v2');
  assert.equal(hpa.spec.scaleTargetRef.name, 'pdp');
  assert.equal(hpa.spec.minReplicas, 3);
  assert.equal(hpa.spec.maxReplicas, 14);
  assert.equal(hpa.spec.metrics[0].resource.target.averageUtilization, 70);
  assert.match(run.stdout, /calibration: default constants \(not measured\)/);
});

test('writes JSON, Markdown and HTML reports into --out', async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'authz-perf-size-'));
  const run = await runCli(['size', '--rps', '1M', '--out', out]);
  assert.equal(run.code, 0, run.stderr);
  const files = readdirSync(out).sort();
  assert.deepEqual(files.map((f) => path.extname(f)), ['.html', '.json', '.md']);
  const k8s = await runCli(['size', '--rps', '1M', '--out', out, '--format', 'k8s']);
  assert.equal(k8s.code, 0, k8s.stderr);
  assert.equal(readdirSync(out).length, 6, 'k8s output still saves the report');
  assert.doesNotMatch(k8s.stdout, /Sizing for/);
  rmSync(out, { recursive: true, force: true });
});

test('--what-if levels are the rows of the what-if table (plus the peak)', async () => {
  const report = await sizeJson(['--rps', '3000', '--what-if', '2k,1k,1k']);
  assert.deepEqual(report.size.whatIf.map((w) => w.peakRps), [1_000, 2_000, 3_000]);
});

const BAD: Array<[string[], RegExp]> = [
  [[], /^authz-perf: --rps is required/],
  [['--rps', '0'], /^authz-perf: --rps: "0" must be a positive number .*\(e\.g\. 50000, 50k, 1M\)/],
  [['--rps', '-5'], /^authz-perf: --rps: "-5" must be a positive number/],
  [['--rps', 'lots'], /^authz-perf: --rps: "lots" must be a positive number/],
  [['--rps', '5', '--headroom', '1'], /^authz-perf: --headroom: "1" must be between 0 and 1 exclusive \(e\.g\. 0\.7 or 70%\)/],
  [['--rps', '5', '--headroom', '0%'], /^authz-perf: --headroom: "0%" must be between 0 and 1 exclusive/],
  [['--rps', '5', '--cache-hit-rate', '120%'], /^authz-perf: --cache-hit-rate: "120%" must be between 0 and 1/],
  [['--rps', '5', '--p99', 'fast'], /^authz-perf: --p99: "fast" must be a positive latency \(e\.g\. 10ms/],
  [['--rps', '5', '--cpu-per-replica', '0'], /^authz-perf: --cpu-per-replica: "0" must be a positive number of cores \(e\.g\. 2, 1\.5, 500m\)/],
  [['--rps', '5', '--policies', '1.5'], /^authz-perf: --policies: "1\.5" must be a whole number/],
  [['--rps', '5', '--db-max-connections', '0'], /^authz-perf: --db-max-connections: "0" must be a whole number ≥ 1/],
  [['--rps', '5', '--what-if', ','], /^authz-perf: --what-if: give comma-separated rates/],
  [['--rps', '5', '--format', 'xml'], /^authz-perf: option '--format <format>' argument 'xml' is invalid\. Allowed choices are terminal, k8s/],
  [['--rps', '5', '--from', 'no-such-report.json'], /^authz-perf: --from no-such-report\.json: cannot read the report \(no such file\)/],
  [['--rps', '5', '--measure', '--from', 'x.json'], /^authz-perf: --measure and --from are alternatives/],
  [['--rps', '5', '--measure-step', '1s'], /^authz-perf: --measure-step applies only with --measure/],
  [['--rps', '5', '--measure', '--measure-step', 'soon'], /^authz-perf: --measure-step: "soon" must be a positive duration \(e\.g\. 2s, 500ms\)/],
  [['--rps', '5', '--format', 'k8s', '--name', 'Authz_Engine'], /^authz-perf: --name: "Authz_Engine" must be a Kubernetes name: lowercase letters, digits and '-'/],
  [['--rps', '5', '--namespace', '-x'], /^authz-perf: --namespace: "-x" must be a Kubernetes name/],
  [['--rps', '5', '--scenario', 'nope'], /^authz-perf: --scenario: unknown scenario 'nope' \(accepted: abac-cel, heavy-cel, multi-tenant, outputs-schemas, rbac-simple/],
  // outside what the model can answer
  [['--rps', '1e30'], /^authz-perf: --rps: "1e30" must be a positive number of requests per second up to 100M /],
  [['--rps', '5', '--what-if', '1e300'], /^authz-perf: --what-if: "1e300" must be a positive number of requests per second up to 100M /],
  [['--rps', '100M', '--cpu-per-replica', '100m'], /^authz-perf: --rps: 100M req\/s needs 535,715 replicas at this calibration; the model answers up to 150,000 /],
  [['--rps', '5', '--cpu-per-replica', '100m', '--what-if', '90M'], /^authz-perf: --what-if: 90M req\/s needs [\d,]+ replicas/],
  [['--rps', '5', '--db-max-connections', '1M'], /^authz-perf: --db-max-connections: "1M" must be a whole number ≥ 1 and ≤ 262143 /],
  [['--rps', '5', '--p99', '2m'], /^authz-perf: --p99: "2m" must be a positive latency .*at most 1m$/m],
];

test('bad flags exit 2 with one line naming the flag and what it accepts', async () => {
  for (const [args, pattern] of BAD) {
    const run = await runCli(['size', ...args, '--no-report']);
    assert.equal(run.code, 2, `${args.join(' ')}: exit ${run.code}`);
    assert.match(run.stderr, pattern, args.join(' '));
    assert.equal(run.stderr.trimEnd().split('\n').length, 1, `${args.join(' ')}: ${run.stderr}`);
    assert.equal(run.stdout, '');
  }
});

test('unusable report files exit 2 with file:line:column', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'authz-perf-size-bad-'));
  writeFileSync(path.join(dir, 'broken.json'), '{\n  "schemaVersion": 1,\n  "tool": \n}\n');
  writeFileSync(path.join(dir, 'other.json'), JSON.stringify({ name: 'not a report' }));
  const cases: Array<[string, RegExp]> = [
    ['broken.json', /^authz-perf: broken\.json:4:1: not valid JSON/],
    ['other.json', /^authz-perf: other\.json(:\d+:\d+)?: not an authz-perf report/],
    [path.join(fixtures, 'explain-report.json'), /cannot calibrate from a 'explain' report: --from takes a bench or loadtest --find-max report/],
  ];
  for (const [file, pattern] of cases) {
    const run = await runCli(['size', '--rps', '5', '--from', file, '--no-report'], { cwd: dir });
    assert.equal(run.code, 2, file);
    assert.match(run.stderr, pattern);
    assert.equal(run.stderr.trimEnd().split('\n').length, 1);
  }
  rmSync(dir, { recursive: true, force: true });
});
