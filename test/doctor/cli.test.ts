/** `authz-perf doctor` through the CLI: usage errors (exit 2), a run against a target, --emit, exit 1 on a critical finding. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { childServe, inProcessServe } from './helpers.js';

test('usage errors name the flag and exit 2 before anything runs', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['doctor'], /--target URL .* or --scenario NAME/],
    [['doctor', '--target', 'http://127.0.0.1:9', '--load', '100'], /--load: needs --scenario/],
    [['doctor', '--target', 'http://127.0.0.1:9', '--cache-size', '10'], /--cache-size configures the bundled engine/],
    [['doctor', '--target', 'http://127.0.0.1:9', '--heap-snapshot', 'snaps'], /--heap-snapshot configures the bundled engine/],
    [['doctor', '--target', 'ftp://x'], /--target: only http/],
    [['doctor', '--target', 'http://127.0.0.1:9', '--emit', 'kibana', 'x.json'], /--emit: unknown kind 'kibana', accepted: grafana, prometheus-rules/],
    [['doctor', '--target', 'http://127.0.0.1:9', '--emit', 'grafana'], /--emit: takes KIND FILE pairs/],
    [['doctor', '--target', 'http://127.0.0.1:9', '--duration', '10'], /--duration: "10" is not a duration/],
    [['doctor', '--scenario', 'abac-cel', '--load', 'fast'], /--load/],
    [['doctor', '--target', 'http://127.0.0.1:9', '--database-url', 'mysql://db'], /--database-url: unsupported scheme "mysql:"/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli([...args, '--no-report']);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});

test('a target without metrics is one line naming both endpoints, exit 2', async () => {
  const r = await runCli(['doctor', '--target', 'http://127.0.0.1:9', '--duration', '1s', '--no-report']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no Prometheus metrics at http:\/\/127\.0\.0\.1:9\/metrics or http:\/\/127\.0\.0\.1:9\/_cerbos\/metrics/);
});

test('--target: observes a running serve, prints the JSON report, writes grafana and prometheus-rules files', async () => {
  const engine = await inProcessServe('rbac-simple');
  const dir = await mkdtemp(path.join(tmpdir(), 'doctor-cli-'));
  try {
    const grafana = path.join(dir, 'dash.json');
    const rules = path.join(dir, 'rules.yaml');
    const r = await runCli(['doctor', '--target', engine.url, '--duration', '1s', '--interval', '500ms', '--json', '--no-report', '--emit', 'grafana', grafana, '--emit', 'prometheus-rules', rules]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { command: string; doctor: { target: { flavour: string }; metrics: { scrapes: number } } };
    assert.equal(report.command, 'doctor');
    assert.equal(report.doctor.target.flavour, 'authz-perf');
    assert.ok(report.doctor.metrics.scrapes >= 2);
    assert.match(r.stderr, /no check requests in the window|observing/);
    assert.ok((JSON.parse(await readFile(grafana, 'utf8')) as { panels: unknown[] }).panels.length > 5);
    assert.ok((parse(await readFile(rules, 'utf8')) as { groups: unknown[] }).groups.length === 1);
  } finally {
    await engine.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a critical finding (load above capacity) exits 1 and names the rule', async () => {
  const engine = await childServe('heavy-cel', ['--no-cache']);
  try {
    const r = await runCli(['doctor', '--target', engine.url, '--scenario', 'heavy-cel', '--load', '12000', '--duration', '1s', '--no-cel-profile', '--no-report', '--quiet']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /authz-perf: critical finding.*saturation\.capacity/);
    assert.match(r.stdout, /CRITICAL saturation\.capacity/);
  } finally {
    await engine.stop();
  }
});

test('--heap-snapshot: the bundled engine writes a complete V8 heap snapshot at the end of the window', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'doctor-heap-'));
  try {
    const r = await runCli(['doctor', '--scenario', 'rbac-simple', '--duration', '1s', '--interval', '500ms', '--heap-snapshot', dir, '--no-cel-profile', '--json', '--no-report']);
    assert.equal(r.code, 0, r.stderr);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.heapsnapshot'));
    assert.equal(files.length, 1);
    const snapshot = JSON.parse(await readFile(path.join(dir, files[0]!), 'utf8')) as { snapshot: { node_count: number } };
    assert.ok(snapshot.snapshot.node_count > 1000, 'a whole heap, written completely');
    const report = JSON.parse(r.stdout) as { doctor: { notes: string[] } };
    assert.ok(report.doctor.notes.some((n) => n.startsWith('heap snapshot of the engine') && n.includes(files[0]!)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
