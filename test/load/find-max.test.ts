/** --find-max search logic with simulated steps (no network): growth, bisection, figures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roundRate, searchMaxRate } from '../../src/load/find-max.js';
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
    startRps: 100,
    growth: 2,
    maxSteps: 20,
    resolution: 0.05,
    sloP99Ms: 50,
    maxErrorRate: 0.001,
    runStep: (rps) => {
      targets.push(rps);
      return simulate(1000)(rps);
    },
    pauseMs: 0,
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
