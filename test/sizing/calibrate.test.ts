/** Calibration from saved bench and loadtest --find-max reports (synthetic fixtures with known figures). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { calibrationFromReport, defaultCalibration, DEFAULT_SOURCE } from '../../src/sizing/index.js';
import { InputError } from '../../src/util/errors.js';
import { concurrencyLevels } from '../../src/sizing/calibrate-loadtest.js';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const close = (actual: number, expected: number, relTol: number, what = ''): void =>
  assert.ok(Math.abs(actual - expected) <= relTol * Math.abs(expected), `${what} ${actual} not within ${relTol * 100}% of ${expected}`);

test('default calibration says it is not measured, everywhere a figure could be mistaken for one', () => {
  const c = defaultCalibration();
  assert.equal(c.kind, 'default');
  assert.equal(c.source, DEFAULT_SOURCE);
  assert.match(c.source, /not measured/);
  assert.equal(c.perCoreRps.source, 'default');
  assert.equal(c.perCoreRps.value, 4_000); // reference: 250m per 1,000 RPS
  for (const figure of Object.values(c.memory)) assert.equal(figure.source, 'default');
  assert.ok(c.notes.some((n) => /not measurements of this engine/.test(n)));
});

test('bench: per-core = 1e9 ÷ (blended check + HTTP work); the round trip sets the base latency', () => {
  const report = fixture('size-bench-synthetic.json');
  // rbac-simple: 50% × 1,000 ns + 50% × 8,000 ns = 4,500 ns, + 100,000 ns HTTP (default constant)
  const rbac = calibrationFromReport(report, 'b.json', { scenario: 'rbac-simple' });
  assert.equal(rbac.kind, 'bench');
  close(rbac.perCoreRps.value, 1e9 / 104_500, 1e-12, 'rbac per-core');
  assert.equal(rbac.perCoreRps.source, 'measured');
  close(rbac.serviceTimeMs, 0.1045, 1e-12);
  assert.equal(rbac.baseLatencyMs.value, 0);
  assert.ok(rbac.notes.some((n) => /no http-roundtrip task/.test(n)));
  // abac-cel at 80% hits: 0.8 × 2,000 + 0.2 × 20,000 = 5,600 ns; base latency = 80,000 − 105,600 → 0
  const abac = calibrationFromReport(report, 'b.json', { scenario: 'abac-cel', cacheHitRate: 0.8 });
  close(abac.perCoreRps.value, 1e9 / 105_600, 1e-12, 'abac per-core');
  assert.equal(abac.baseLatencyMs.value, 0);
  assert.equal(abac.baseLatencyMs.source, 'measured');
  assert.equal(abac.capacityModel, 'linear');
  assert.equal(abac.usl, null);
  assert.equal(abac.measuredOn?.cores, 8);
});

test('bench memory: retained heap ÷ policy count when the scenario is known, else added to base RSS', () => {
  const report = fixture('size-bench-synthetic.json');
  const withCount = calibrationFromReport(report, 'b.json', { scenario: 'abac-cel', policyCounts: { 'abac-cel': 4 } });
  assert.equal(withCount.memory.bytesPerPolicy.value, 8 * 1024 * 1024 / 4);
  assert.equal(withCount.memory.bytesPerPolicy.source, 'measured');
  assert.equal(withCount.memory.baseRssBytes.source, 'default');
  assert.equal(withCount.memory.bytesPerCacheEntry.value, 3_000);
  const without = calibrationFromReport(report, 'b.json', { scenario: 'abac-cel' });
  assert.equal(without.memory.bytesPerPolicy.source, 'default');
  assert.equal(without.memory.baseRssBytes.value, 64 * 1024 * 1024 + 8 * 1024 * 1024);
});

test('bench: noisy figures, a cached check slower than an uncached one and a waiting round trip are called out', () => {
  const report = fixture('size-bench-synthetic.json');
  const abac = (report.bench as { scenarios: Array<{ scenario: string; tasks: Array<{ id: string; meanNs: number; rmePercent: number }> }> }).scenarios[1]!;
  const task = (id: string) => abac.tasks.find((t) => t.id === id)!;
  const quiet = calibrationFromReport(report, 'b.json', { scenario: 'abac-cel' });
  assert.ok(!quiet.notes.some((n) => /noisy|slower than|waiting/.test(n)), quiet.notes.join('; '));
  task('check-uncached').rmePercent = 35;
  task('check-cached').meanNs = 30_000;
  task('http-roundtrip').meanNs = 2_000_000; // 1.9 ms of waiting around 122 µs of work
  const noisy = calibrationFromReport(report, 'b.json', { scenario: 'abac-cel' });
  assert.ok(noisy.notes.some((n) => /noisy bench figures \(check-uncached ±35%\)/.test(n)), noisy.notes.join('; '));
  assert.ok(noisy.notes.some((n) => /check-cached \(30,000 ns\) is slower than check-uncached/.test(n)));
  assert.ok(noisy.notes.some((n) => /mostly waiting for a CPU, so the base latency is overstated/.test(n)));
  close(noisy.baseLatencyMs.value, (2_000_000 - (0.5 * 30_000 + 0.5 * 20_000 + 100_000)) / 1e6, 1e-12, 'base latency');
});

test('bench: an unknown --scenario names the ones the report has', () => {
  assert.throws(
    () => calibrationFromReport(fixture('size-bench-synthetic.json'), 'b.json', { scenario: 'nope' }),
    (err: unknown) => err instanceof InputError && /no scenario 'nope' \(it has: rbac-simple, abac-cel\)/.test(err.message),
  );
});

test('loadtest --find-max: USL fit recovers the σ 0.08, κ 0.0005, λ 1,200 the fixture was generated from (±1.5% noise)', () => {
  const c = calibrationFromReport(fixture('size-loadtest-synthetic.json'), 'l.json');
  assert.equal(c.kind, 'loadtest');
  assert.equal(c.capacityModel, 'usl');
  assert.equal(c.scenario, 'abac-cel'); // from loadtest.config.scenario
  const u = c.usl!;
  close(u.sigma, 0.08, 0.05, 'σ');
  close(u.kappa, 0.0005, 0.12, 'κ');
  close(u.lambdaRps, 1_200, 0.02, 'λ');
  assert.equal(u.points.length, 8, 'the step with 40% errors is left out');
  assert.ok(u.relativeRmse < 0.03, `relative RMS error ${u.relativeRmse}`);
  assert.ok(c.notes.some((n) => /1 find-max step\(s\) left out/.test(n)));
  // N* ≈ √(0.92/0.0005) ≈ 42.9 lies below the highest measured concurrency 48: capacity is X(N*)
  assert.ok(u.peakConcurrency! < u.maxMeasuredConcurrency);
  close(c.perCoreRps.value, u.peakRps!, 1e-12, 'capacity = X(N*)');
  close(c.perCoreRps.value, 9_800, 0.02, 'near the measured plateau');
  assert.equal(c.sloP99Ms, 25);
  assert.equal(c.measuredCacheHitRate, 0.72);
  assert.equal(c.memory.baseRssBytes.value, 157_286_400);
  assert.equal(c.memory.baseRssBytes.source, 'measured');
  close(c.baseLatencyMs.value, 0.659 - 1000 / c.perCoreRps.value, 1e-9, 'base latency');
  assert.equal(c.maxObservedRps, 9_755);
});

test('loadtest: a utilisation-law cross-check from server CPU seconds', () => {
  const c = calibrationFromReport(fixture('size-loadtest-synthetic.json'), 'l.json');
  // Σ achieved × 30 s step ÷ 148 CPU-seconds (all 9 steps were served)
  const served = [1214, 2200, 3910, 5967, 8309, 9187, 9755, 9675, 4000].reduce((a, b) => a + b, 0) * 30;
  close(c.serverCpuPerCoreRps!, served / 148, 1e-12, 'requests per CPU-second');
  assert.ok(c.notes.some((n) => /utilisation law: the server spent its CPU at 10,990 requests per CPU-second/.test(n)), c.notes.join('; '));
});

test('a real find-max from a busy shared host (cold first step): the USL fit is rejected, capacity is the highest passing rate', () => {
  const c = calibrationFromReport(fixture('size-loadtest-noisy-host.json'), 'n.json');
  assert.equal(c.capacityModel, 'linear');
  assert.ok(c.usl && c.usl.rSquared < 0.8, 'the rejected fit is still reported');
  assert.equal(c.perCoreRps.value, 460);
  assert.ok(c.notes.some((n) => /USL fit was rejected/.test(n)));
  assert.ok(c.notes.some((n) => /latency, not CPU, ended the find-max/.test(n)));
  assert.ok(c.notes.some((n) => /shared one host/.test(n)));
});

test('a real find-max whose open-model steps broke on latency outliers: autocannon met the SLO, so its rate is the capacity', () => {
  const c = calibrationFromReport(fixture('size-loadtest-find-max-busy-host.json'), 'r.json');
  assert.equal(c.capacityModel, 'linear');
  assert.ok(c.usl && c.usl.rSquared >= 0.8 && c.usl.relativeRmse > 0.15, 'R² passes, the relative error does not');
  assert.equal(c.usl.points.length, 9, '8 steps + the autocannon run');
  assert.equal(c.perCoreRps.value, 4621.8);
  assert.match(c.perCoreRps.detail, /autocannon 16 connections: 4,622 RPS at p99 9\.00 ms ≤ SLO 50\.0 ms/);
  assert.ok(c.notes.some((n) => /where the find-max held only 94 RPS/.test(n)));
  // utilisation law: (Σ steps × 5 s + 4,621.8 × 5.27 s) ÷ 6.754 CPU-s
  const served = (498.7 + 249.9 + 130 + 65 + 98 + 82 + 90 + 94) * 5 + 4621.8 * 5.27;
  close(c.serverCpuPerCoreRps!, served / 6.754, 1e-9, 'requests per CPU-second');
});

test('a fitted USL hump between distant points is not capacity: capped at the highest measured throughput', () => {
  // a real --measure run on a busy host: the open-model steps sit near N = 1, autocannon at N = 16
  const report = fixture('size-loadtest-synthetic.json');
  const findMax = (report.loadtest as { findMax: Record<string, unknown> }).findMax;
  const step = (targetRps: number, achievedRps: number, meanConcurrency: number, passed: boolean) =>
    ({ targetRps, achievedRps, p50Ms: 1, p99Ms: passed ? 20 : 80, errorRate: 0, meanConcurrency, droppedRate: 0, passed });
  findMax.steps = [step(500, 499.2, 20.18, false), step(250, 250, 0.65, true), step(380, 380, 0.8, true), step(440, 440, 0.81, true), step(470, 470, 0.81, true), step(490, 490, 0.99, true)];
  findMax.highestPassingRps = 490;
  findMax.sloP99Ms = 50;
  findMax.autocannon = { connections: 16, durationS: 2.1, rps: 701.4, p50Ms: 20, p99Ms: 60, errors: 0, non2xx: 0 };
  const c = calibrationFromReport(report, 'm.json');
  assert.equal(c.capacityModel, 'usl');
  assert.ok(c.usl!.peakRps! > 1_000, `X(N*) ${c.usl!.peakRps}`);
  assert.equal(c.perCoreRps.value, 701.4);
  assert.ok(c.notes.some((n) => /exceeds every measured throughput: capacity capped at the highest measured 701 RPS/.test(n)), c.notes.join('; '));
});

test('concurrency levels must be 20% apart to count', () => {
  assert.equal(concurrencyLevels([0.83, 0.88, 0.91, 0.98]), 1);
  assert.equal(concurrencyLevels([1, 2, 4, 8]), 4);
  assert.equal(concurrencyLevels([1, 1.19, 1.2, 1.45, 0]), 2);
  assert.equal(concurrencyLevels([]), 0);
});

test('loadtest with fewer than 4 concurrency levels: linear capacity from the highest passing rate', () => {
  const report = fixture('size-loadtest-synthetic.json');
  const loadtest = report.loadtest as { findMax: { steps: unknown[] } };
  loadtest.findMax.steps = loadtest.findMax.steps.slice(0, 3);
  const c = calibrationFromReport(report, 'l.json');
  assert.equal(c.capacityModel, 'linear');
  assert.equal(c.usl, null);
  assert.equal(c.perCoreRps.value, 9_800);
  assert.ok(c.notes.some((n) => /only 3 distinct concurrency levels \(USL needs ≥ 4, at least 20% apart\)/.test(n)));
});

test('loadtest against serve --workers 2: the worker count in the server view divides the capacity into per-core figures', () => {
  const report = fixture('size-loadtest-synthetic.json');
  const loadtest = report.loadtest as { findMax: { steps: unknown[] }; server?: Record<string, unknown> | null };
  loadtest.findMax.steps = loadtest.findMax.steps.slice(0, 3);
  loadtest.server = { ...(loadtest.server ?? {}), workers: 2 };
  const c = calibrationFromReport(report, 'l.json');
  assert.equal(c.perCoreRps.value, 4_900);
  assert.equal(c.measuredUnitCores, 2);
  assert.match(c.perCoreRps.detail, /÷ 2 worker processes/);
  assert.ok(c.notes.some((n) => /ran 2 worker processes: its measured capacity is taken as 2 cores/.test(n)));
});

test('loadtest notes a saturated generator and a shared host (capacity is a lower bound)', () => {
  const report = fixture('size-loadtest-synthetic.json');
  (report.loadtest as { generator: { saturated: boolean } }).generator.saturated = true;
  (report.environment as { loadGeneratorSharedHost: boolean }).loadGeneratorSharedHost = true;
  const c = calibrationFromReport(report, 'l.json', { scenario: 'rbac-simple' });
  assert.ok(c.notes.some((n) => /generator saturated/.test(n)));
  assert.ok(c.notes.some((n) => /shared one host/.test(n)));
  assert.ok(c.notes.some((n) => /--scenario rbac-simple differs/.test(n)));
});

test('reports that cannot calibrate are InputErrors naming the file', () => {
  const bad = (report: unknown, pattern: RegExp): void =>
    assert.throws(() => calibrationFromReport(report, 'x.json'), (err: unknown) => err instanceof InputError && pattern.test(err.message) && err.location.file === 'x.json');
  bad({ command: 'explain', explain: {} }, /cannot calibrate from a 'explain' report/);
  bad({ command: 'loadtest', loadtest: {} }, /no findMax results/);
  bad({ command: 'loadtest', loadtest: { findMax: { steps: [{ targetRps: 1 }] } } }, /steps\[0\] lacks a number in achievedRps/);
  bad({ command: 'bench', bench: { scenarios: [] } }, /no scenario with check-uncached or check-cached/);
  bad([], /expected a JSON object/);
});
