/** `loadtest --export locust|k6`, `--runner locust`, `report --import-locust / --import-k6 FILE...` end to end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.js';
import type { LoadtestReport } from '../../src/report/types.js';
import { RUNNER_RESULT_FORMAT, runPlanOf } from '../../src/load/runner-results.js';
import { K6_RUNNER_FORMAT, K6_SUMMARY_BEGIN, K6_SUMMARY_END } from '../../src/load/k6-operator.js';
import { parseThreshold } from '../../src/load/thresholds.js';
import { CONFIG } from './runner-fixtures.js';
import { startTestServer } from './servers.js';
import { NO_LOCUST } from './locust-available.js';

const common = ['--scenario', 'rbac-simple', '--request-pool', '100', '--no-report'];

test('usage errors name the flag and exit 2 before anything starts', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--rps', '10', '--workers', '2'], /--workers applies to --runner locust only/],
    [['--rps', '10', '--export', 'gatling', 'out'], /--export takes a runner and a folder: --export locust DIR or --export k6 DIR/],
    [['--rps', '10', '--export', 'locust'], /--export takes a runner and a folder/],
    [['--rps', '10', '--export', 'locust', 'out', '--parallelism', '3'], /--parallelism applies to --export k6 only/],
    [['--vus', '3', '--export', 'locust', 'out'], /--export locust runs the open model/],
    [['--find-max', '--runner', 'locust'], /--find-max runs in this process only/],
    [['--rps', '10', '--runner', 'locust', '--workers', '0'], /--workers/],
    [['--rps', '10', '--runner', 'k6'], /--runner/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['loadtest', ...args, ...common]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
  const noLocust = await runCli(['loadtest', '--rps', '10', '--runner', 'locust', ...common], { env: { PATH: '/nonexistent' } });
  assert.equal(noLocust.code, 2);
  assert.match(noLocust.stderr, /^authz-perf: --runner locust: Locust is not installed .*apt-get install -y python3-locust/);
});

test('--export locust DIR and --export k6 DIR --parallelism N write their files and run nothing', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'authz-perf-export-'));
  try {
    const l = await runCli(['loadtest', '--rps', '300', '--duration', '20s', '--export', 'locust', path.join(dir, 'locust'), '--threshold', 'p99<25ms', ...common]);
    assert.equal(l.code, 0, l.stderr);
    assert.deepEqual((await readdir(path.join(dir, 'locust'))).sort(), ['authz-perf-plan.json', 'locustfile.py', 'requirements.txt']);
    const plan = JSON.parse(await readFile(path.join(dir, 'locust', 'authz-perf-plan.json'), 'utf8')) as { plan: { config: { stages: unknown }; thresholds: Array<{ expression: string }> }; requests: string[]; expected: unknown[] };
    assert.deepEqual(plan.plan.config.stages, [{ durationS: 20, target: 300 }]);
    assert.ok(plan.plan.thresholds.some((t) => t.expression === 'p99<25ms'));
    assert.equal(plan.requests.length, 100);
    assert.equal(plan.expected.length, 100, 'the expected decisions travel with the requests');
    assert.match(l.stderr, /locust -f locustfile\.py --headless --master --expect-workers N/);

    const k = await runCli(['loadtest', '--rps', '5k', '--duration', '1m', '--export', 'k6', path.join(dir, 'k6'), '--parallelism', '4', ...common]);
    assert.equal(k.code, 0, k.stderr);
    assert.deepEqual((await readdir(path.join(dir, 'k6'))).sort(), ['configmap.yaml', 'script.js', 'testrun.yaml']);
    const tr = parse(await readFile(path.join(dir, 'k6', 'testrun.yaml'), 'utf8')) as { kind: string; spec: { parallelism: number } };
    assert.equal(tr.kind, 'TestRun');
    assert.equal(tr.spec.parallelism, 4);
    assert.match(await readFile(path.join(dir, 'k6', 'script.js'), 'utf8'), /"rate": 5000/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('report --import-locust DIR and --import-k6 FILE... merge runners into one report', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'authz-perf-import-'));
  try {
    const plan = runPlanOf(CONFIG, 5, [parseThreshold('p99<=1ms')], new Date('2026-12-06T00:00:00Z'));
    const worker = (index: number, low: number, n: number) => ({
      format: RUNNER_RESULT_FORMAT,
      scheme: 'hdr-us-3sd',
      runner: `locust worker ${index}`,
      runnerIndex: index,
      runners: 2,
      plan,
      durationS: 4,
      activeS: 4,
      interrupted: false,
      counts: { scheduled: n, sent: n, completed: n, succeeded: n, failed: 0, dropped: 0, late: 0, abandoned: 0 },
      errors: { connect: 0, timeout: 0, byStatus: {}, mismatch: 0, other: 0, samples: [] },
      corrected: { minUs: low, maxUs: low, buckets: [[low, n]] },
      service: { minUs: low, maxUs: low, buckets: [[low, n]] },
      lag: null,
      seconds: [],
      connectionsOpened: 0,
      peakInFlight: 1,
      exhaustedCount: 0,
      cpuSeconds: 0.2,
    });
    await writeFile(path.join(dir, 'worker-0.json'), JSON.stringify(worker(0, 500, 99)));
    await writeFile(path.join(dir, 'worker-1.json'), JSON.stringify(worker(1, 1500, 2)));
    const l = await runCli(['report', '--import-locust', dir, '--json']);
    assert.equal(l.code, 0, l.stderr);
    const ls = (JSON.parse(l.stdout) as LoadtestReport).loadtest;
    assert.equal(ls.counts.succeeded, 101);
    assert.equal(ls.latency.corrected!.p99Ms, 1.5, 'the slow worker decides the merged p99');
    assert.equal(ls.thresholds[0]!.passed, false);
    assert.equal(ls.runners!.length, 2);

    const summary = (low: number, n: number, dropped: number) => ({
      authzPerf: { format: K6_RUNNER_FORMAT, scheme: 'hdr-us-3sd', plan, segment: null },
      metrics: {
        [`authz_perf_us_${low}`]: { type: 'counter', values: { count: n, rate: n / 4 } },
        authz_perf_sent: { type: 'counter', values: { count: n, rate: n / 4 } },
        authz_perf_ok_ms: { type: 'trend', values: { min: low / 1000, max: low / 1000 } },
        ...(dropped ? { dropped_iterations: { type: 'counter', values: { count: dropped, rate: 0 } } } : {}),
      },
      state: { testRunDurationMs: 4000 },
    });
    await writeFile(path.join(dir, 'runner-1.json'), JSON.stringify(summary(500, 99, 0)));
    await writeFile(path.join(dir, 'runners.log'), `k6 output\n${K6_SUMMARY_BEGIN}\n${JSON.stringify(summary(1500, 2, 3))}\n${K6_SUMMARY_END}\n`);
    const k = await runCli(['report', '--import-k6', path.join(dir, 'runner-1.json'), path.join(dir, 'runners.log'), '--json']);
    assert.equal(k.code, 0, k.stderr);
    const ks = (JSON.parse(k.stdout) as LoadtestReport).loadtest;
    assert.equal(ks.importedFrom, 'k6');
    assert.equal(ks.counts.succeeded, 101);
    assert.equal(ks.counts.dropped, 3);
    assert.equal(ks.latency.service.p99Ms, 1.5);
    const md = await runCli(['report', '--import-k6', path.join(dir, 'runner-1.json'), path.join(dir, 'runners.log'), '--format', 'md']);
    assert.match(md.stdout, /### Runners/);
    assert.match(md.stdout, /dropped\\?_iterations/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('loadtest --runner locust judges thresholds on the merged result: exit 99', { skip: NO_LOCUST, timeout: 90_000 }, async () => {
  const server = await startTestServer();
  try {
    const r = await runCli(['loadtest', '--target', server.url, '--runner', 'locust', '--workers', '2', '--rps', '100', '--duration', '2s', '--no-verify', '--warmup', '0', '--no-slo', '--threshold', 'p99<0.001ms', '--threshold', 'error_rate<1%', '--json', ...common]);
    assert.equal(r.code, 99, r.stderr);
    const s = (JSON.parse(r.stdout) as LoadtestReport).loadtest;
    assert.equal(s.counts.succeeded, 200);
    assert.equal(s.runners!.length, 2);
    assert.deepEqual(s.thresholds.map((t) => [t.expression, t.passed]), [['p99<0.001ms', false], ['error_rate<1%', true]]);
    assert.match(r.stderr, /threshold crossed: p99<0\.001ms/);
  } finally {
    await server.close();
  }
});
