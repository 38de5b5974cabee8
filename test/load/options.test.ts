/** Flag parsing and plan resolution: shapes, profiles, SLO defaults, conflicts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolvePlan, type ScenarioPlanInfo } from '../../src/load/options.js';
import { parseLoadtestFlags } from '../../src/cli/loadtest-flags.js';
import { UsageError } from '../../src/util/errors.js';

const scenario: ScenarioPlanInfo = {
  name: 's',
  seed: 42,
  slo: { p50Ms: 5, p95Ms: 15, p99Ms: 50, errorRate: 0.001 },
  load: {
    steady: { executor: 'arrival-rate', stages: [{ durationS: 30, target: 300 }, { durationS: 60, target: 300 }] },
    ramp: { executor: 'vus', thinkTimeMs: [50, 200], stages: [{ durationS: 30, target: 50 }] },
  },
};

test('--rps with --ramp-up: a ramp from 0, then the rate held for --duration; SLO thresholds added', () => {
  const plan = resolvePlan(parseLoadtestFlags({ rps: '2k', rampUp: '10s', duration: '30s', threshold: ['p99<20ms'] }), scenario);
  assert.deepEqual(plan.shape, {
    model: 'open',
    stages: [
      { durationS: 10, target: 2000 },
      { durationS: 30, target: 2000 },
    ],
    startTarget: 0,
    thinkTimeMs: null,
    profile: null,
  });
  assert.equal(plan.seed, 42);
  assert.deepEqual(
    plan.thresholds.map((t) => [t.expression, t.source]),
    [
      ['p99<20ms', 'flag'],
      ['p50<=5ms', 'scenario-slo'],
      ['p95<=15ms', 'scenario-slo'],
      ['p99<=50ms', 'scenario-slo'],
      ['error_rate<=0.1%', 'scenario-slo'],
      ['dropped_rate<=0.1%', 'scenario-slo'],
    ],
  );
  assert.equal(resolvePlan(parseLoadtestFlags({ rps: '10', slo: false }), scenario).thresholds.length, 0);
});

test('profiles pick the model and think time; --find-max takes the SLO as its limits', () => {
  const ramp = resolvePlan(parseLoadtestFlags({ profile: 'ramp' }), scenario).shape!;
  assert.equal(ramp.model, 'closed');
  assert.deepEqual(ramp.thinkTimeMs, [50, 200]);
  assert.equal(resolvePlan(parseLoadtestFlags({ profile: 'steady' }), scenario).shape!.model, 'open');
  const fm = resolvePlan(parseLoadtestFlags({ findMax: true, seed: '7' }), scenario);
  assert.equal(fm.shape, null);
  assert.equal(fm.seed, 7);
  assert.deepEqual([fm.findMax!.sloP99Ms, fm.findMax!.maxErrorRate, fm.findMax!.startRps, fm.findMax!.autocannon, fm.findMax!.minSamples], [50, 0.001, 500, true, 1000]);
  const custom = resolvePlan(parseLoadtestFlags({ findMax: true, sloP99: '10ms', maxErrorRate: '1%', autocannon: false, minSamples: '200' }), scenario).findMax!;
  assert.deepEqual([custom.sloP99Ms, custom.maxErrorRate, custom.autocannon, custom.minSamples], [10, 0.01, false, 200]);
});

test('conflicting or misplaced flags are usage errors naming the flag', () => {
  const cases: Array<[Parameters<typeof parseLoadtestFlags>[0], RegExp]> = [
    [{ rps: '10', stages: '1s:5' }, /--rps and --stages exclude each other/],
    [{ rps: '10', model: 'closed' }, /--model closed conflicts with --rps/],
    [{ rps: '10', thinkTime: '10ms' }, /--think-time applies to the closed model/],
    [{ rps: '10', minSamples: '100' }, /--min-samples applies to --find-max only/],
    [{ profile: 'steady', duration: '5s' }, /--profile sets its own durations/],
    [{ rps: '10', sloP99: '5ms' }, /--slo-p99 applies to --find-max only/],
    [{ rps: '10', target: 'ftp://x' }, /--target: only http/],
    [{ rps: '10', target: 'not a url' }, /--target: 'not a url' is not a URL/],
    [{ rps: '10', duration: '0s' }, /--duration: must be longer than 0/],
    [{ rps: '10', warmup: 'soon' }, /--warmup: "soon" is not a duration/],
  ];
  for (const [flags, message] of cases) assert.throws(() => parseLoadtestFlags(flags), (e: unknown) => e instanceof UsageError && message.test(e.message), JSON.stringify(flags));
  assert.throws(() => resolvePlan(parseLoadtestFlags({ profile: 'spike' }), scenario), /no load profile 'spike'; it has ramp, steady/);
  assert.equal(parseLoadtestFlags({ rps: '10', target: 'http://h:1/base/' }).targetUrl, 'http://h:1/base');
});
