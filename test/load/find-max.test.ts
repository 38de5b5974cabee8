/** --find-max search logic with simulated steps (no network): growth, bisection, figures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roundRate, searchMaxRate } from '../../src/load/find-max.js';
import { Recorder } from '../../src/load/recorder.js';
import { LoadShape } from '../../src/load/schedule.js';
import type { RunOutcome } from '../../src/load/run-types.js';

/** A target with capacity `cap` req/s: latency 1 ms below it, seconds above it. */
function simulate(cap: number): (rps: number) => Promise<RunOutcome> {
  return async (rps) => {
    const shape = new LoadShape([{ durationS: 1, target: rps }], rps);
    const rec = new Recorder('open', shape, 10, () => 1);
    const n = shape.expectedCount;
    const ok = Math.min(n, cap);
    for (let i = 0; i < ok; i++) {
      const intended = shape.timeOfMs(i);
      const latency = rps <= cap ? 1 : 1 + (i / ok) * 2000;
      rec.onSent(intended, intended);
      rec.onSuccess(intended + latency, intended, intended + latency - 1);
    }
    rec.counts.scheduled = n;
    rec.counts.dropped = n - ok;
    rec.finish(1000);
    return {
      recorder: rec,
      durationS: 1,
      activeS: 1,
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
