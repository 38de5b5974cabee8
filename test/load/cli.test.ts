/** `authz-perf loadtest` end to end against loopback test servers (bounded: ~1 s runs). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import type { LoadtestReport } from '../../src/report/types.js';
import { startTestServer } from './servers.js';
import { climbFrom } from '../../src/load/find-max.js';
import { renderReport } from '../../src/report/render.js';
import { DEFAULTS } from '../../src/load/options.js';

const quiet = ['--no-report', '--json', '--no-metrics', '--scenario', 'rbac-simple', '--request-pool', '200', '--warmup', '0'];

test('a threshold that must fail exits 99 and the JSON report marks it failed', async () => {
  const server = await startTestServer();
  try {
    const r = await runCli(['loadtest', '--target', server.url, '--rps', '200', '--duration', '1s', '--no-verify', '--threshold', 'p99<0.001ms', '--threshold', 'error_rate<1%', ...quiet]);
    assert.equal(r.code, 99, r.stderr);
    const report = JSON.parse(r.stdout) as LoadtestReport;
    const s = report.loadtest;
    assert.equal(report.command, 'loadtest');
    assert.equal(s.config.model, 'open');
    assert.equal(s.counts.succeeded, 200);
    assert.equal(s.thresholdsPassed, false);
    const byExpr = Object.fromEntries(s.thresholds.map((t) => [t.expression, t]));
    assert.equal(byExpr['p99<0.001ms']!.passed, false);
    assert.equal(byExpr['error_rate<1%']!.passed, true);
    assert.ok(s.thresholds.some((t) => t.source === 'scenario-slo'), 'the scenario SLO applies too');
    assert.ok(s.latency.corrected && s.spectrum.length > 5 && s.series.length === 1);
    assert.match(r.stderr, /thresholds? crossed: p99<0\.001ms/);
  } finally {
    await server.close();
  }
});

test('a typo in a metric name exits 2 with one line, before anything runs', async () => {
  const r = await runCli(['loadtest', '--target', 'http://127.0.0.1:9', '--rps', '10', '--threshold', 'p99<5ms', '--threshold', 'latncy<5ms', ...quiet]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^authz-perf: --threshold 'latncy<5ms': unknown metric 'latncy'; known metrics: /);
  for (const [args, message] of [
    [['--rps', '10', '--vus', '2'], /exclude each other/],
    [[], /give a load shape/],
    [['--rps', 'fast'], /--rps: "fast" must be a positive number/],
    [['--vus', '2', '--think-time', '5ms..1ms'], /--think-time: expected/],
    [['--profile', 'nope'], /scenario rbac-simple has no load profile 'nope'; it has normal, peak, smoke, soak, spike, stress/],
    [['--rps', '10', '--cache-size', '1e3'], /^authz-perf: --cache-size: expected an integer between 1 and 1000000, got "1e3"\n$/],
  ] as const) {
    const e = await runCli(['loadtest', '--target', 'http://127.0.0.1:9', ...args, ...quiet]);
    assert.equal(e.code, 2, `${args.join(' ')}: ${e.stderr}`);
    assert.match(e.stderr, message);
  }
});

test('closed model: VUs with think time report service time only', async () => {
  const server = await startTestServer();
  try {
    const r = await runCli(['loadtest', '--target', server.url, '--vus', '4', '--think-time', '10ms..30ms', '--duration', '1s', '--no-verify', '--no-slo', ...quiet]);
    assert.equal(r.code, 0, r.stderr);
    const s = (JSON.parse(r.stdout) as LoadtestReport).loadtest;
    assert.equal(s.config.model, 'closed');
    assert.deepEqual(s.config.thinkTimeMs, [10, 30]);
    assert.equal(s.latency.corrected, null);
    // the exact request count of VUs with think time is asserted on a fake clock (closed-model.test.ts)
    assert.ok(s.counts.succeeded > 0 && s.counts.succeeded === s.counts.sent - s.counts.abandoned, JSON.stringify(s.counts));
    assert.equal(s.connections.opened, 4);
  } finally {
    await server.close();
  }
});

test('wrong decisions are counted as mismatches, not successes', async () => {
  const server = await startTestServer();
  try {
    const r = await runCli(['loadtest', '--target', server.url, '--rps', '100', '--duration', '1s', '--no-slo', ...quiet]);
    assert.equal(r.code, 0, r.stderr);
    const s = (JSON.parse(r.stdout) as LoadtestReport).loadtest;
    // the test server allows everything; rbac-simple denies some of the requests
    assert.ok(s.errors.mismatch > 0, JSON.stringify(s.errors));
    assert.equal(s.errors.mismatch + s.counts.succeeded, 100);
    assert.match(s.errors.samples[0]!, /^mismatch: decision mismatch: .* expected EFFECT_DENY, got EFFECT_ALLOW/);
  } finally {
    await server.close();
  }
});

test('--find-max: autocannon runs first, and the climb approaches its rate instead of doubling past it', async () => {
  // one request at a time, 6 ms each (more with timer slack): capacity at most 166 req/s
  let free = 0;
  const server = await startTestServer({
    delayMs: (t) => {
      free = Math.max(free, t) + 6;
      return free - t;
    },
  });
  try {
    const r = await runCli(
      ['loadtest', '--target', server.url, '--find-max', '--start-rps', '50', '--step-duration', '700ms', '--max-steps', '3', '--slo-p99', '100ms', '--min-samples', '30', '--autocannon-connections', '2', '--no-verify', ...quiet],
      {},
    );
    assert.equal(r.code, 0, r.stderr);
    const f = (JSON.parse(r.stdout) as LoadtestReport).loadtest.findMax!;
    const steps = f.steps.map((s) => [s.targetRps, s.passed]);
    assert.deepEqual(steps[0], [50, true]);
    assert.ok(f.autocannon && f.autocannon.rps > 0 && f.autocannon.connections === 2, JSON.stringify(f.autocannon));
    assert.equal(f.ceilingRps, f.autocannon.rps);
    assert.match(renderReport(JSON.parse(r.stdout) as LoadtestReport, 'terminal', { color: false }), /run before the search, capped its climb: a doubling that would pass this rate went half way to it/);
    // until a step breaks, each next rate is the climb from the last one towards autocannon's rate
    // (50 → 100 → 130 with autocannon near 160 req/s, where doubling would ask 200)
    for (let i = 1; i < f.steps.length && f.steps[i - 1]!.passed; i++)
      assert.equal(f.steps[i]!.targetRps, climbFrom(f.steps[i - 1]!.targetRps, DEFAULTS.findMaxGrowth, f.autocannon.rps, f.resolution ?? DEFAULTS.findMaxResolution), JSON.stringify(steps));
    assert.equal(f.highestPassingRps, Math.max(...f.steps.filter((s) => s.passed).map((s) => s.targetRps)));
    assert.equal(f.sloP99Ms, 100);
    // rates against a known capacity are asserted on a fake clock (find-max.test.ts)
    assert.equal(f.generatorToAutocannonRatio, Math.round((f.generatorMaxRps / f.autocannon.rps) * 1000) / 1000);
    if (f.steps.some((s) => !s.passed)) assert.ok(f.limit === 'slo' || f.limit === 'errors' || f.limit === 'dropped' || f.limit === 'generator', String(f.limit));
    else assert.equal(f.limit, null);
  } finally {
    await server.close();
  }
});

test('SIGINT halfway writes a partial report marked interrupted and exits 130', async () => {
  const server = await startTestServer();
  const out = await mkdtemp(path.join(os.tmpdir(), 'authz-perf-load-'));
  try {
    const running = runCli(['loadtest', '--target', server.url, '--rps', '200', '--duration', '20s', '--no-verify', '--no-metrics', '--scenario', 'rbac-simple', '--request-pool', '100', '--warmup', '0', '--out', out]);
    // a real SIGINT to this process once measured requests flow (after the 200 warm-up requests)
    const deadline = Date.now() + 10_000;
    while (server.arrivals.length < 400 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    process.kill(process.pid, 'SIGINT');
    const r = await running;
    assert.equal(r.code, 130, r.stderr);
    assert.equal(process.listenerCount('SIGINT'), 0, 'the handler is removed again');
    const files = await readdir(out);
    const json = files.find((f) => f.endsWith('.json'));
    assert.ok(json, `report files: ${files.join(', ')}`);
    const report = JSON.parse(await readFile(path.join(out, json), 'utf8')) as LoadtestReport;
    assert.equal(report.interrupted, true);
    assert.ok(report.loadtest.durationS > 0.3 && report.loadtest.durationS < 10, `measured ${report.loadtest.durationS} s`);
    assert.ok(report.loadtest.counts.succeeded >= 50);
    assert.equal(report.loadtest.config.plannedDurationS, 20);
    assert.match(r.stderr, /stopping/);
    assert.match(r.stdout, /INTERRUPTED/);
  } finally {
    await server.close();
    await rm(out, { recursive: true, force: true });
  }
});

test('default target: the bundled engine in a child process answers with the expected decisions', async () => {
  for (const extra of [[], ['--in-process']]) {
    const r = await runCli(['loadtest', '--rps', '100', '--duration', '1s', '--warmup', '300ms', '--no-slo', '--no-report', '--json', '--scenario', 'rbac-simple', '--request-pool', '100', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as LoadtestReport;
    const s = report.loadtest;
    assert.equal(s.config.bundledTarget, true);
    assert.match(s.config.targetUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(s.counts.succeeded, 100, JSON.stringify(s.errors));
    assert.match(r.stderr, /warm-up: ramp to 100 req\/s over 0.3 s/);
    assert.equal(s.errors.mismatch, 0);
    assert.equal(report.environment.loadGeneratorSharedHost, true);
    const v = s.server!;
    assert.ok(v.rssBytes! > 1e6 && v.cpuSeconds! > 0, JSON.stringify(v));
    assert.ok(v.cacheHits! + v.cacheMisses! >= 100, JSON.stringify(v));
    assert.ok(v.cacheHitRate !== null && v.cacheHitRate >= 0 && v.cacheHitRate <= 1);
  }
});

test('--export-k6 writes a script without running; --import-k6 turns a k6 summary into a report', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'authz-perf-k6-'));
  try {
    const e = await runCli(['loadtest', '--rps', '300', '--duration', '10s', '--threshold', 'p99<20ms', '--scenario', 'rbac-simple', '--request-pool', '50', '--export-k6', 'load.js'], { cwd: dir });
    assert.equal(e.code, 0, e.stderr);
    const script = await readFile(path.join(dir, 'load.js'), 'utf8');
    assert.match(script, /"executor": "constant-arrival-rate"/);
    assert.match(script, /"p\(99\)<20"/);
    assert.deepEqual(await readdir(dir), ['load.js'], 'no report: nothing ran');
    const fixture = new URL('../../../test/fixtures/k6-summary.json', import.meta.url).pathname;
    const i = await runCli(['loadtest', '--import-k6', fixture, '--json', '--no-report']);
    assert.equal(i.code, 0, i.stderr);
    const report = JSON.parse(i.stdout) as LoadtestReport;
    assert.equal(report.loadtest.importedFrom, 'k6');
    assert.equal(report.loadtest.counts.sent, 59000);
    const missing = await runCli(['loadtest', '--import-k6', 'nope.json', '--no-report'], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^authz-perf: nope\.json: --import-k6: cannot read \(no such file\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
