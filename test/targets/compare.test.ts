/**
 * `compare`: the front door with injected engines and load runner (the common rate is half the
 * lowest highest-passing rate, every engine is stopped), and the CLI against the real Cerbos
 * binary (skipped with one line where it cannot run): a report with both engines, a server view
 * for each, decisions compared per action, no Cerbos left running.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCompare, type RunningEngine } from '../../src/compare/run.js';
import type { LoadtestRunInput, LoadtestRunResult } from '../../src/load/run.js';
import type { LoadtestSection } from '../../src/load/types.js';
import type { CompareReport } from '../../src/report/types.js';
import { renderReport } from '../../src/report/render.js';
import { findCerbos } from '../../src/targets/cerbos.js';
import { runCli } from '../helpers/cli.js';
import { isRunning } from './processes.js';

const lookup = await findCerbos();
const skip = lookup.found ? false : `Cerbos binary not available (${lookup.reason})`;

function fakeSection(over: Partial<LoadtestSection>): LoadtestSection {
  return {
    counts: { scheduled: 100, sent: 100, completed: 100, succeeded: 100, failed: 0, dropped: 0, late: 0 },
    rates: { targetRps: 100, sentRps: 100, completedRps: 100, achievedRps: 99 },
    latency: { corrected: { count: 100, minMs: 1, meanMs: 2, stdevMs: 1, p50Ms: 2, p75Ms: 3, p90Ms: 4, p95Ms: 5, p99Ms: 7, p999Ms: 8, p9999Ms: 8, maxMs: 9 }, service: { count: 100, minMs: 1, meanMs: 2, stdevMs: 1, p50Ms: 2, p75Ms: 3, p90Ms: 4, p95Ms: 5, p99Ms: 6, p999Ms: 8, p9999Ms: 8, maxMs: 9 } },
    errors: { total: 0, rate: 0, connect: 0, timeout: 0, byStatus: {}, mismatch: 0, other: 0 },
    warnings: [],
    ...over,
  } as unknown as LoadtestSection;
}

test('runCompare: find-max per engine, then every engine at half the lowest highest-passing rate; engines stopped', async () => {
  const stopped: string[] = [];
  const calls: Array<{ url: string; kind: 'find-max' | 'fixed'; rps?: number }> = [];
  const held: Record<string, number> = { 'http://ref': 8000, 'http://cerbos': 1500 };
  const engine = (name: string, version: string): RunningEngine => ({ version, httpUrl: `http://${name}`, grpcAddress: null, metricsUrl: `http://${name}/metrics`, pid: 1, stop: async () => void stopped.push(name) });
  const warmups: Array<number | null> = [];
  const runLoad = async (input: LoadtestRunInput): Promise<LoadtestRunResult> => {
    warmups.push(input.warmup ? input.warmup.durationS : null);
    if (input.findMax) {
      calls.push({ url: input.origin, kind: 'find-max' });
      const highest = held[input.origin]!;
      return { interrupted: false, section: fakeSection({ findMax: { sloP99Ms: 50, maxErrorRate: 0.001, highestPassingRps: highest, steps: [{ targetRps: highest, p99Ms: 10 } as never], generatorMaxRps: 20000, autocannon: null, generatorToAutocannonRatio: null } }) };
    }
    const rps = input.shape!.stages[0]!.target;
    calls.push({ url: input.origin, kind: 'fixed', rps });
    const cpuSeconds = input.origin === 'http://ref' ? 0.5 : 2;
    return { interrupted: false, section: fakeSection({ server: { metricsUrl: input.metricsUrl!, rssBytes: 1e8, cpuSeconds, cpuUtilization: 0.1, cacheHitRate: null, cacheHits: null, cacheMisses: null, celEvalMeanMs: null, celEvaluations: null, serverRequestMeanMs: null, requests: 1000 } }) };
  };
  const { section } = await runCompare({
    scenario: { name: 's', seed: 1, slo: { p99Ms: 50, errorRate: 0.001 } },
    engines: ['reference', 'cerbos'],
    protocols: ['http'],
    cpuBudget: { cpuList: '1', cpus: 1, how: 'test' },
    source: { path: '/api/check/resources', bodies: [Buffer.from('{}')], verify: null },
    warmupBodies: [],
    startEngine: async (name) => (name === 'reference' ? engine('ref', '0.1.0') : engine('cerbos', '0.55.0')),
    compareDecisions: async (url) => {
      assert.equal(url, 'http://cerbos');
      return { requests: 10, actions: 20, differingActions: 0, cerbosErrors: 0, perAction: [{ kind: 'k', action: 'view', actions: 20, differing: 0 }], differences: [] };
    },
    stepDurationS: 1,
    commonDurationS: 1,
    warmupS: 0.5,
    startRps: 100,
    maxSteps: 3,
    runLoad,
  });
  assert.equal(section.commonRps, 750);
  assert.deepEqual(warmups, [0.5, 0.5, 0.5, 0.5], 'each run warms up for --warmup');
  assert.deepEqual(calls, [
    { url: 'http://ref', kind: 'find-max' },
    { url: 'http://cerbos', kind: 'find-max' },
    { url: 'http://ref', kind: 'fixed', rps: 750 },
    { url: 'http://cerbos', kind: 'fixed', rps: 750 },
  ]);
  assert.deepEqual(section.measures.map((m) => [m.engine, m.highestPassingRps, m.cpuMsPer1000Checks, m.atCommonRate?.p99Ms]), [
    ['reference', 8000, 500, 7],
    ['cerbos', 1500, 2000, 7],
  ]);
  assert.equal(section.agreement?.differingActions, 0);
  assert.deepEqual(stopped.sort(), ['cerbos', 'ref']);
});

test('compare: bad flags are one usage line, exit 2', async () => {
  for (const [args, message] of [
    [['--engines', 'reference,opa'], /^authz-perf: --engines: expected a comma-separated list of reference, cerbos, got 'reference,opa'\n$/],
    [['--protocol', 'udp'], /^authz-perf: --protocol: expected a comma-separated list of http, grpc/],
    [['--step-duration', 'soon'], /^authz-perf: --step-duration: expected a duration/],
    [['--cpus', '0'], /^authz-perf: --cpus: expected an integer/],
    [['--warmup', 'soon'], /^authz-perf: --warmup: "soon" is not a duration/],
  ] as const) {
    const run = await runCli(['compare', '--no-report', ...args]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, message);
  }
});

test('compare --engines reference,cerbos --protocol http,grpc (real binary, bounded): both engines measured on both protocols with a server view, decisions agree, renders, no Cerbos left', { skip }, async () => {
  const run = await runCli(['compare', '--scenario', 'rbac-simple', '--protocol', 'http,grpc', '--step-duration', '0.5s', '--max-steps', '2', '--start-rps', '100', '--common-duration', '1s', '--warmup', '0.2s', '--verify-requests', '300', '--requests', '2000', '--json', '--no-report']);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as CompareReport;
  assert.match(run.stderr, /warm-up: ramp to \d+ req\/s over 0\.2 s/);
  const s = report.compare;
  assert.deepEqual(s.measures.map((m) => `${m.engine}/${m.protocol}`), ['reference/http', 'cerbos/http', 'reference/grpc', 'cerbos/grpc']);
  assert.ok(s.commonRps !== null && s.commonRps > 0);
  for (const m of s.measures) {
    assert.ok(m.findMaxSteps.length >= 1, `${m.engine}: no find-max steps`);
    assert.ok(m.atCommonRate && m.atCommonRate.achievedRps > 0, `${m.engine}: nothing at the common rate`);
    assert.equal(m.atCommonRate.mismatches, 0);
    assert.ok((m.server?.cpuSeconds ?? 0) > 0, `${m.engine}: no server CPU ${JSON.stringify(m.server)}`);
    assert.ok((m.rssBytes ?? 0) > 0);
  }
  assert.match(s.measures[1]!.server!.metricsUrl, /\/_cerbos\/metrics$/);
  assert.ok((s.measures[3]!.server?.cerbos?.grpcCalls ?? 0) > 0, 'Cerbos counted gRPC calls');
  assert.equal(s.agreement?.differingActions, 0);
  assert.ok((s.agreement?.actions ?? 0) > 300);
  for (const format of ['terminal', 'md', 'html'] as const) assert.match(renderReport(report, format, { color: false }), /cerbos 0\.55/);
  assert.match(renderReport(report, 'html', { color: false }), /compare-find-max/);
  const pids = [...run.stderr.matchAll(/started \w+ [\d.]+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
  assert.equal(pids.length, 2, run.stderr);
  for (const pid of pids) assert.equal(isRunning(pid), false, `pid ${pid} still running`);
});
