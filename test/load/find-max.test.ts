/** --find-max search logic with simulated steps (no network): growth, bisection, figures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { climbFrom, roundRate, searchMaxRate, slowerSpells, type FindMaxProgress } from '../../src/load/find-max.js';
import type { FindMaxStep } from '../../src/load/types.js';
import { runOpenModel } from '../../src/load/open-model.js';
import { buildRequestSource } from '../../src/load/request-source.js';
import { FakeClock } from './fake-clock.js';
import { SIMULATED_SEARCH } from './search-options.js';
import { fakeTarget } from './fake-senders.js';
import { checkRequest } from './servers.js';
import { Recorder } from '../../src/load/recorder.js';
import { LoadShape } from '../../src/load/schedule.js';
import type { RunOutcome } from '../../src/load/run-types.js';

/** A target with capacity `cap` req/s: latency 1 ms below it, seconds above it. */
function simulate(cap: number, opts: { stallOnce?: number } = {}): (rps: number, durationS?: number) => Promise<RunOutcome> {
  let stalls = opts.stallOnce !== undefined ? 1 : 0;
  return async (rps, durationS = 1) => {
    const shape = new LoadShape([{ durationS, target: rps }], rps);
    const rec = new Recorder('open', shape, 10, () => 1);
    const n = shape.expectedCount;
    const ok = Math.min(n, Math.round(cap * durationS));
    // one 500 ms stall in the first step at rate `stallOnce`: every request intended during it waits
    const stall = stalls > 0 && rps === opts.stallOnce ? (stalls--, { from: 200, to: 700 }) : null;
    for (let i = 0; i < ok; i++) {
      const intended = shape.timeOfMs(i);
      const stalled = stall && intended >= stall.from && intended < stall.to ? stall.to - intended : 0;
      const latency = (rps <= cap ? 1 : 1 + (i / ok) * 2000) + stalled;
      rec.onSent(intended, intended);
      rec.onSuccess(intended + latency, intended, intended + latency - 1);
    }
    rec.counts.scheduled = n;
    rec.counts.dropped = n - ok;
    rec.finish(durationS * 1000);
    return {
      recorder: rec,
      durationS,
      activeS: durationS,
      interrupted: false,
      connections: { max: 100, opened: 1, peakInFlight: 1, exhaustedCount: 0 },
      generator: { cpuSeconds: 0, cpuUtilization: 0, saturated: false },
      warnings: [],
    };
  };
}


test('steps up by the growth factor, then bisects to the highest rate that holds', async () => {
  const targets: number[] = [];
  const r = await searchMaxRate({
    ...SIMULATED_SEARCH,
    startRps: 100,
    runStep: (rps) => {
      targets.push(rps);
      return simulate(1000)(rps);
    },
  });
  assert.deepEqual(targets.slice(0, 5), [100, 200, 400, 800, 1600]);
  assert.ok(r.highestPassingRps! >= 950 && r.highestPassingRps! <= 1000, `highest ${r.highestPassingRps}`);
  assert.ok(r.steps.every((s) => s.passed === s.targetRps <= 1000));
  const broke = r.steps.find((s) => !s.passed)!;
  assert.ok(broke.p99Ms > 50 && broke.errorRate > 0);
  const held = r.steps.find((s) => s.targetRps === 800)!;
  assert.equal(held.achievedRps, 800);
  assert.equal(held.p99Ms, 1);
  assert.ok(Math.abs(held.meanConcurrency - 0.8) < 0.01, `Little's law: ${held.meanConcurrency}`);
  assert.equal(r.best?.recorder.counts.succeeded, r.highestPassingRps);
});

test('a first step that already breaks halves the rate; none passing gives null', async () => {
  const r = await searchMaxRate({ startRps: 100, growth: 2, maxSteps: 4, resolution: 0.05, sloP99Ms: 50, maxErrorRate: 0, runStep: simulate(0), pauseMs: 0 });
  assert.deepEqual(
    r.steps.map((s) => s.targetRps),
    [100, 50, 25, 13],
  );
  assert.equal(r.highestPassingRps, null);
});

test('rates are rounded to two significant digits', () => {
  assert.deepEqual([roundRate(2250), roundRate(97.4), roundRate(5.4), roundRate(0.2), roundRate(12_345)], [2300, 97, 5, 1, 12_000]);
});

test('a low-rate step is extended to the minimum sample count, and inconclusive when the cap is too short', async () => {
  const calls: Array<[number, number]> = [];
  const run = simulate(1000);
  const r = await searchMaxRate({
    startRps: 10,
    growth: 4,
    maxSteps: 3,
    resolution: 0.05,
    sloP99Ms: 50,
    maxErrorRate: 0.001,
    stepDurationS: 1,
    maxStepDurationS: 4,
    minSamples: 100,
    runStep: (rps, d) => {
      calls.push([rps, d]);
      return run(rps, d);
    },
    pauseMs: 0,
  });
  // 10 req/s needs 10 s: capped at 4 s (40 requests) → inconclusive, and the search keeps growing
  assert.deepEqual(calls, [
    [10, 4],
    [40, 2.5],
    [160, 1],
  ]);
  assert.deepEqual(
    r.steps.map((s) => [s.verdict, s.passed, s.samples, s.durationS]),
    [
      ['inconclusive', false, 40, 4],
      ['passed', true, 100, 2.5],
      ['passed', true, 160, 1],
    ],
  );
  assert.equal(r.highestPassingRps, 160);
});

test('a step broken by one stall is re-run once and holds; the retry is reported with the first figures', async () => {
  const r = await searchMaxRate({
    startRps: 100,
    growth: 2,
    maxSteps: 2,
    resolution: 0.05,
    sloP99Ms: 50,
    maxErrorRate: 0.001,
    minSamples: 100,
    runStep: simulate(1000, { stallOnce: 100 }),
    pauseMs: 0,
  });
  const first = r.steps[0]!;
  assert.equal(first.targetRps, 100);
  assert.equal(first.retries, 1);
  assert.equal(first.passed, true);
  assert.equal(first.verdict, 'passed');
  assert.ok(first.firstAttempt && first.firstAttempt.p99Ms >= 300, JSON.stringify(first.firstAttempt));
  assert.equal(first.p99Ms, 1, 'the row holds the re-run figures');
  assert.equal(r.steps[1]!.retries, 0);
  assert.equal(r.highestPassingRps, 200);
});

test('after a plainly overloaded step the search pauses settleMs, after the others pauseMs', async () => {
  const clock = new FakeClock();
  const sim = simulate(150);
  const startedAt: number[] = [];
  await searchMaxRate({
    ...SIMULATED_SEARCH,
    startRps: 100,
    maxSteps: 3,
    resolution: 0.3,
    pauseMs: 500,
    settleMs: 2000,
    clock,
    runStep: (rps, d) => {
      startedAt.push(clock.now());
      return sim(rps, d);
    },
  });
  // the simulated steps take no clock time: the gaps are the pauses (200 req/s reached only 150)
  assert.deepEqual(startedAt, [0, 500, 2500]);
});

test('a step that fails again is concluded broken; a plainly overloaded step is not re-run', async () => {
  const targets: number[] = [];
  const sim = simulate(150);
  const r = await searchMaxRate({
    startRps: 100,
    growth: 2,
    maxSteps: 3,
    resolution: 0.3,
    sloP99Ms: 50,
    maxErrorRate: 0.001,
    runStep: (rps, d) => {
      targets.push(rps);
      return sim(rps, d);
    },
    pauseMs: 0,
  });
  // 200 reaches 150 (< 90%): broken without a re-run; 150 holds; bisection stops at 30% resolution
  assert.deepEqual(targets, [100, 200, 150]);
  assert.deepEqual(
    r.steps.map((s) => [s.targetRps, s.verdict, s.retries]),
    [
      [100, 'passed', 0],
      [200, 'failed', 0],
      [150, 'passed', 0],
    ],
  );
  const stalled = await searchMaxRate({
    startRps: 100,
    growth: 2,
    maxSteps: 1,
    resolution: 0.05,
    sloP99Ms: 50,
    maxErrorRate: 0.001,
    runStep: async (rps, d) => simulate(1000, { stallOnce: 100 })(rps, d),
    pauseMs: 0,
  });
  assert.equal(stalled.steps[0]!.retries, 1);
  assert.equal(stalled.steps[0]!.verdict, 'failed', 'stalled on both attempts');
});

/** A target serving one request at a time, `1000 / capacity` ms each, on a fake clock. */
function cappedTarget(clock: FakeClock, capacity: number) {
  let free = 0;
  return fakeTarget(clock, {
    serviceMs: (t) => {
      free = Math.max(free, t) + 1000 / capacity;
      return free - t;
    },
  });
}

/** The searches on the fake clock: from 100 req/s, doubling, 1 s steps, p99 ≤ 50 ms, errors ≤ 0.1%. */
const FAKE_CLOCK_SEARCH = { startRps: 100, growth: 2, maxSteps: 30, sloP99Ms: 50, maxErrorRate: 0.001, stepDurationS: 1 } as const;

/** find-max steps as open-model runs on the fake clock against a fake target. */
function openModelSteps(clock: FakeClock, target: ReturnType<typeof fakeTarget>): (rps: number, durationS: number) => Promise<RunOutcome> {
  const source = buildRequestSource([checkRequest(0)], null);
  return (rps, durationS) =>
    runOpenModel({ origin: 'http://x', timeoutMs: 2000, source, shape: new LoadShape([{ durationS, target: rps }], rps), maxConnections: 256, lateThresholdMs: 10, clock, senders: target.senders });
}

test('find-max on a target with a known capacity finds it within 10%, inside its budget, confirmed twice', async () => {
  for (const capacity of [700, 2600]) {
    const clock = new FakeClock();
    const target = cappedTarget(clock, capacity);
    const progress: FindMaxProgress[] = [];
    const r = await searchMaxRate({
      ...FAKE_CLOCK_SEARCH,
      resolution: 0.05,
      pauseMs: 500,
      budgetMs: 30_000,
      clock,
      onSearch: (p) => progress.push(p),
      runStep: openModelSteps(clock, target),
    });
    const found = r.highestPassingRps!;
    assert.ok(Math.abs(found - capacity) / capacity <= 0.1, `capacity ${capacity}: found ${found} (${r.steps.map((s) => `${s.targetRps}:${s.verdict}`).join(' ')})`);
    assert.ok(r.elapsedMs <= 30_000, `${r.elapsedMs} ms`);
    assert.equal(r.confirmed, true);
    assert.equal(r.budgetExhausted, false);
    assert.ok(r.gap! <= 0.05, `gap ${r.gap}`);
    assert.equal(r.steps.filter((s) => s.targetRps === found && s.verdict === 'passed').length, 2, 'the result held twice');
    assert.equal(r.limit, 'slo');
    // progress after every step but the last, with an estimate that reaches 0 steps left at the end
    assert.equal(progress.length, r.steps.length - 1);
    assert.ok(progress.every((p, i) => p.stepsDone === i + 1 && p.remainingS >= 0 && p.budgetS === 30));
  }
});

test('the budget stops the search before a step that would overrun it, and says so', async () => {
  const clock = new FakeClock();
  const target = cappedTarget(clock, 5000);
  const r = await searchMaxRate({
    ...FAKE_CLOCK_SEARCH,
    resolution: 0.01,
    pauseMs: 500,
    budgetMs: 6_000,
    clock,
    runStep: openModelSteps(clock, target),
  });
  assert.equal(r.budgetExhausted, true);
  assert.ok(r.elapsedMs <= 6_000, `${r.elapsedMs} ms`);
  assert.ok(r.steps.length >= 2 && r.steps.length <= 4, r.steps.map((s) => s.targetRps).join(' '));
  assert.equal(r.confirmed, false);
});

test('a rate that holds once and breaks on the repeat does not count', async () => {
  const seen = new Map<number, number>();
  const base = simulate(1000);
  const r = await searchMaxRate({
    ...SIMULATED_SEARCH,
    startRps: 250,
    retryFailed: false,
    // 1,000 holds the first time only
    runStep: (rps) => {
      const n = (seen.get(rps) ?? 0) + 1;
      seen.set(rps, n);
      // the repeat is run as a 5,000 req/s step: far over capacity, it breaks
      return base(rps === 1000 && n > 1 ? 5000 : rps);
    },
  });
  assert.ok(r.highestPassingRps! < 1000 && r.confirmed, JSON.stringify(r.steps.map((s) => [s.targetRps, s.verdict, s.confirmation ?? false])));
  const repeat = r.steps.find((s) => s.targetRps === 1000 && s.confirmation);
  assert.ok(repeat && repeat.verdict === 'failed');
});

test('when rounding cannot split the last gap (12,000 held, 13,000 broke), the highest rate that held is repeated before the search ends', async () => {
  const targets: number[] = [];
  const r = await searchMaxRate({
    ...SIMULATED_SEARCH,
    startRps: 1000,
    runStep: (rps) => {
      targets.push(rps);
      return simulate(12_400)(rps, 0.2);
    },
  });
  // 13,000 serves 95 % of its rate, so its failure is re-run once before it counts; once 12,000
  // is confirmed, 13,000 is re-checked (and re-run) and breaks again, which ends the search
  assert.deepEqual(targets, [1000, 2000, 4000, 8000, 16_000, 12_000, 14_000, 13_000, 13_000, 12_000, 13_000, 13_000]);
  assert.equal(r.highestPassingRps, 12_000);
  assert.equal(r.confirmed, true);
  assert.equal(r.steps.at(-2)!.confirmation, true);
  assert.deepEqual([r.steps.at(-1)!.targetRps, r.steps.at(-1)!.recheck, r.steps.at(-1)!.verdict], [13_000, true, 'failed']);
  assert.equal(r.limit, 'dropped');
});

test('a rate that broke in a burst early in the search holds on its re-check, and the search goes on above it', async () => {
  const targets: number[] = [];
  const base = simulate(1000);
  let burst = true;
  const r = await searchMaxRate({
    ...SIMULATED_SEARCH,
    startRps: 100,
    runStep: (rps) => {
      targets.push(rps);
      // the first two attempts at 400 req/s run while another process takes the host: as over capacity
      if (rps === 400 && burst) {
        if (targets.filter((t) => t === 400).length === 2) burst = false;
        return base(5000);
      }
      return base(rps);
    },
  });
  // 400 broke twice (first attempt and re-run); 300, 350, 380 and 390 held, 390 twice; then 400 is
  // re-checked, holds, and the search climbs by half (600, 900, 1,400) and bisects up to the capacity, 1,000
  assert.deepEqual(targets.slice(targets.indexOf(400, targets.indexOf(390)) + 1, targets.indexOf(400, targets.indexOf(390)) + 4), [600, 900, 1400]);
  const recheck = r.steps.find((s) => s.recheck)!;
  assert.equal(recheck.targetRps, 400);
  assert.equal(recheck.verdict, 'passed');
  assert.ok(r.highestPassingRps! >= 950 && r.highestPassingRps! <= 1000, `highest ${r.highestPassingRps}: ${targets.join(' ')}`);
  assert.equal(r.confirmed, true);
  // without the re-check the search ends below the rate that broke in the burst
  const once = await searchMaxRate({ ...SIMULATED_SEARCH, startRps: 100, recheck: false, runStep: (rps) => (rps === 400 ? base(5000) : base(rps)) });
  assert.ok(once.highestPassingRps! < 400, `without re-check ${once.highestPassingRps}`);
});

test('climbFrom: doubling below the ceiling, half way to it when doubling would pass it, small steps once there', () => {
  assert.equal(climbFrom(1000, 2, undefined, 0.05), 2000);
  assert.equal(climbFrom(1000, 2, 15_000, 0.05), 2000);
  assert.equal(climbFrom(8000, 2, 15_000, 0.05), 12_000);
  assert.equal(climbFrom(12_000, 2, 15_000, 0.05), 14_000);
  // half way rounds back to the rate: the next step is the ceiling itself
  assert.equal(climbFrom(10_000, 2, 10_600, 0.05), 11_000);
  // at or past the ceiling (it was measured low): climb by a fifth, not by doubling
  assert.equal(climbFrom(12_000, 2, 12_500, 0.05), 14_000);
  assert.equal(climbFrom(20_000, 2, 15_000, 0.05), 24_000);
  assert.equal(climbFrom(20_000, 1.1, 15_000, 0.05), 22_000);
});

test('a target left slower by an overloaded step: the closed-loop ceiling keeps the climb off it, and the result is the capacity', async () => {
  // capacity 1,000 req/s until a step asks for 1.5× that or more; from then on it holds only 700
  const hungOver = () => {
    let capacity = 1000;
    const targets: number[] = [];
    return {
      targets,
      runStep: (rps: number, d?: number) => {
        targets.push(rps);
        const run = simulate(capacity)(rps, d);
        if (rps >= 1500) capacity = 700;
        return run;
      },
    };
  };
  const doubling = hungOver();
  const without = await searchMaxRate({ ...SIMULATED_SEARCH, startRps: 125, runStep: doubling.runStep });
  assert.ok(doubling.targets.includes(2000), doubling.targets.join(' '));
  assert.ok(without.highestPassingRps! <= 700, `without a ceiling: ${without.highestPassingRps}`);
  // a closed-loop run at full speed reaches a little above what holds the SLO
  const capped = hungOver();
  const r = await searchMaxRate({ ...SIMULATED_SEARCH, startRps: 125, ceilingRps: 1100, runStep: capped.runStep });
  assert.ok(Math.max(...capped.targets) < 1500, capped.targets.join(' '));
  assert.ok(r.highestPassingRps! >= 950 && r.highestPassingRps! <= 1000, `with the ceiling: ${r.highestPassingRps} (${capped.targets.join(' ')})`);
  assert.equal(r.confirmed, true);
});

test('slowerSpells: a rate that broke and a rate at least as high that held, before or after it, are named; a bracket that only narrows is not', () => {
  const step = (targetRps: number, verdict: 'passed' | 'failed'): FindMaxStep =>
    ({ targetRps, verdict, passed: verdict === 'passed', achievedRps: targetRps, p50Ms: 1, p99Ms: 1, errorRate: 0, meanConcurrency: 1, droppedRate: 0 }) as FindMaxStep;
  // 8,000 broke early, then 8,000 and 10,000 held: one spell, up to the highest that held
  assert.deepEqual(slowerSpells([step(4000, 'passed'), step(8000, 'failed'), step(6000, 'passed'), step(8000, 'passed'), step(10000, 'passed'), step(12000, 'failed')]), [[8000, 10000]]);
  // 12,000 held, then 13,000, 12,000 and 11,000 broke: the target got slower after it held
  assert.deepEqual(slowerSpells([step(8000, 'passed'), step(12000, 'passed'), step(13000, 'failed'), step(12000, 'failed'), step(11000, 'failed'), step(11000, 'failed'), step(8000, 'passed')]), [
    [12000, 12000],
    [11000, 12000],
  ]);
  // an ordinary search: what broke stays above everything that held
  assert.deepEqual(slowerSpells([step(8000, 'passed'), step(16000, 'failed'), step(12000, 'passed'), step(14000, 'failed'), step(13000, 'passed')]), []);
});
