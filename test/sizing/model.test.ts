/**
 * The sizing model against figures worked out by hand (default calibration unless stated):
 * 4,000 RPS per core, 2 cores per replica, 70% target utilisation, 50,000 RPS peak.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultCalibration, planSize, resolveInputs, type SizeOptions } from '../../src/sizing/index.js';
import { effectiveCores, simulateHpa, sizeFor } from '../../src/sizing/model.js';
import { mmcResponsePercentile } from '../../src/sizing/queueing.js';
import type { Calibration } from '../../src/sizing/types.js';

const MiB = 1024 * 1024;
const close = (actual: number, expected: number, relTol = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= relTol * Math.abs(expected), `${actual} ≉ ${expected}`);

const at = (peakRps: number, extra: Partial<SizeOptions> = {}, calibration = defaultCalibration()) =>
  sizeFor(resolveInputs({ peakRps, ...extra }, calibration), calibration);

test('replicas = ceil(peak ÷ (capacity × utilisation)): ceil(50,000 ÷ (8,000 × 0.7)) = 9', () => {
  const r = at(50_000);
  assert.equal(r.perReplicaCapacityRps, 8_000);
  assert.equal(r.replicasForCapacity, 9);
  assert.equal(r.replicas, 9);
  close(r.perReplicaRps, 50_000 / 9);
  close(r.utilisation, 50_000 / 9 / 8_000);
});

test('M/M/2 latency by hand: ρ = 0.6944, C = 2ρ²/(1+ρ), W = S + C/(cμ − λ) = S/(1 − ρ²)', () => {
  const r = at(50_000);
  const lambda = 50_000 / 9;
  const rho = lambda / 8_000;
  const erlangC = (2 * rho * rho) / (1 + rho);
  const meanS = 1 / 4_000 + erlangC / (8_000 - lambda);
  close(r.latency.meanMs, meanS * 1000, 1e-9);
  // For c = 2 the S/(1−ρ^c) approximation is exact: both ≈ 483 µs
  close(r.latency.approxMeanMs, (0.25 / (1 - rho * rho)), 1e-12);
  close(r.latency.meanMs, r.latency.approxMeanMs, 1e-9);
  assert.equal(r.latency.servers, 2);
  assert.ok(r.latency.fits && r.latency.p99Ms < 10);
});

test("Little's law: in-flight = per-replica rate × mean response; keep-alive = ceil(L ÷ 0.7)", () => {
  const r = at(50_000);
  close(r.concurrency.inFlightPerReplica, (50_000 / 9) * (r.latency.meanMs / 1000));
  close(r.concurrency.inFlightPerReplica, 2.6826, 1e-4);
  assert.equal(r.concurrency.keepAliveConnectionsPerReplica, 4); // ceil(3.83)
  assert.equal(r.concurrency.totalKeepAliveConnections, 36);
});

test('CPU: request = 2000m, limit = ceil(2000 ÷ 0.7 ÷ 100) × 100 = 2900m, used = ρ × request', () => {
  const r = at(50_000);
  assert.equal(r.cpu.requestMillicores, 2_000);
  assert.equal(r.cpu.limitMillicores, 2_900);
  assert.equal(r.cpu.usedAtPeakMillicores, Math.round((50_000 / 9 / 8_000) * 2_000)); // 1389
  assert.equal(r.cpu.totalRequestMillicores, 18_000);
});

test('memory: 64 MiB + 100 × 1000 B + 10,000 × 512 B + 4 × 32 KiB + 10 × 256 KiB → 72 MiB request, 103 MiB limit', () => {
  const r = at(50_000);
  const raw = 64 * MiB + 100 * 1000 + 10_000 * 512 + 4 * 32 * 1024 + 10 * 256 * 1024;
  assert.equal(r.memory.breakdown.reduce((s, b) => s + b.bytes, 0), raw);
  assert.equal(r.memory.requestBytes, 72 * MiB); // ceil(71.6 MiB)
  assert.equal(r.memory.limitBytes, 103 * MiB); // ceil(72 ÷ 0.7)
  assert.equal(r.memory.totalRequestBytes, 9 * 72 * MiB);
});

test('HPA: ceil(current × utilisation ÷ target) from 1 replica, utilisation capped at limit ÷ request = 145%', () => {
  const r = at(50_000);
  assert.equal(r.hpa.minReplicas, 1);
  assert.equal(r.hpa.maxReplicas, 14); // ceil(9 × 1.5)
  assert.equal(r.hpa.targetCpuUtilisationPercent, 70);
  // 1 @ 145% → ceil(1 × 145/70) = 3; 3 @ 145% → ceil(6.21) = 7; 7 @ 89.3% → ceil(8.93) = 9; 9 @ 69.4% → within 10% → 9
  assert.deepEqual(r.hpa.steps.map((s) => [s.currentReplicas, s.desiredReplicas]), [[1, 3], [3, 7], [7, 9], [9, 9]]);
  close(r.hpa.steps[2]!.utilisationPercent, (50_000 / 7 / 8_000) * 100);
  assert.equal(r.hpa.replicasAtPeak, 9);
});

test('HPA tolerance: no change while |utilisation ÷ target − 1| ≤ 0.1', () => {
  const steps = simulateHpa({ peakRps: 7_600, perReplicaCapacityRps: 10_000, minReplicas: 1, maxReplicas: 10, targetPercent: 70, maxUtilisationPercent: 150 });
  assert.deepEqual(steps.map((s) => [s.currentReplicas, s.desiredReplicas]), [[1, 1]]); // 76/70 = 1.086
  const up = simulateHpa({ peakRps: 7_800, perReplicaCapacityRps: 10_000, minReplicas: 1, maxReplicas: 10, targetPercent: 70, maxUtilisationPercent: 150 });
  assert.equal(up[0]!.desiredReplicas, 2); // 78/70 = 1.114 → ceil(1.114)
});

test('DB budget: replicas × pool ≤ 80% of max_connections, checked at HPA max', () => {
  const over = at(50_000);
  assert.equal(over.db.budget, 80);
  assert.equal(over.db.connectionsAtPeak, 90);
  assert.equal(over.db.connectionsAtHpaMax, 140);
  assert.equal(over.db.fits, false);
  assert.equal(over.db.maxPoolSizeForBudget, 5); // floor(80 ÷ 14)
  assert.ok(over.warnings.some((w) => /exceed 80% of max_connections 100/.test(w)));
  const none = at(1_000_000, { dbMaxConnections: 100 });
  assert.equal(none.db.maxPoolSizeForBudget, 0);
  assert.ok(none.warnings.some((w) => /even one connection per replica is too many/.test(w)));
  const ok = at(50_000, { poolSize: 5 });
  assert.equal(ok.db.fits, true);
  assert.ok(!ok.warnings.some((w) => /max_connections/.test(w)));
});

test('--ha sets a minimum of 3 replicas; HPA min follows', () => {
  const r = at(1_000, { ha: true });
  assert.equal(r.replicasForCapacity, 1);
  assert.equal(r.replicas, 3);
  assert.equal(r.hpa.minReplicas, 3);
  assert.ok(!r.warnings.some((w) => /no redundancy/.test(w)));
  assert.ok(at(1_000).warnings.some((w) => /no redundancy/.test(w)));
});

test('latency: a tight p99 raises replicas to the fewest that fit; an impossible one warns', () => {
  const loose = at(50_000);
  assert.ok(loose.latency.p99Ms > 1.5, `p99 at 9 replicas ${loose.latency.p99Ms}`);
  const tight = at(50_000, { p99TargetMs: 1.5 });
  assert.ok(tight.replicas > 9);
  assert.equal(tight.replicasForLatency, tight.replicas);
  assert.ok(tight.latency.p99Ms <= 1.5 && tight.latency.fits);
  // one replica fewer does not fit: M/M/2, μ = 4,000/s per core
  const p99Fewer = mmcResponsePercentile({ arrivalRate: 50_000 / (tight.replicas - 1), serviceRate: 4_000, servers: 2 }, 0.99) * 1000;
  assert.ok(p99Fewer > 1.5, `p99 at ${tight.replicas - 1} replicas ${p99Fewer}`);
  // the HPA aims at the lower utilisation so it keeps the extra replicas
  assert.equal(tight.hpa.targetCpuUtilisationPercent, Math.floor(tight.utilisation * 100));
  // zero-load floor: S·ln(100) = 250 µs × 4.605 = 1.151 ms
  close(loose.latency.floorP99Ms, Math.log(100) * 0.25);
  const impossible = at(50_000, { p99TargetMs: 1 });
  assert.equal(impossible.latency.fits, false);
  assert.ok(impossible.warnings.some((w) => /below what any replica count reaches/.test(w)));
});

test('USL capacity: per-replica = per-core × n / (1 + σ(n−1) + κn(n−1)), and a warning past N*', () => {
  const usl: Calibration = {
    ...defaultCalibration(),
    capacityModel: 'usl',
    perCoreRps: { value: 10_000, source: 'measured', detail: 'test' },
    usl: {
      sigma: 0.1, kappa: 0.01, lambdaRps: 1_000, peakConcurrency: Math.sqrt(0.9 / 0.01), peakRps: null,
      rSquared: 1, rmseRps: 0, iterations: 1, converged: true, points: [], maxMeasuredConcurrency: 16, relativeRmse: 0,
    },
  };
  close(effectiveCores(usl, 4), 4 / (1 + 0.3 + 0.12));
  assert.equal(effectiveCores(usl, 0.5), 0.5);
  const r = at(20_000, { cpuPerReplica: 4 }, usl);
  close(r.perReplicaCapacityRps, 10_000 * (4 / 1.42));
  assert.equal(r.replicas, Math.ceil(20_000 / (10_000 * (4 / 1.42) * 0.7)));
  const past = at(20_000, { cpuPerReplica: 12 }, usl); // N* = 9.49
  assert.ok(past.warnings.some((w) => /past the USL peak/.test(w)));
});

test('--cache-hit-rate with the default constants is called out as having no effect', () => {
  const r = at(50_000, { cacheHitRate: 0.9 });
  assert.equal(r.replicas, at(50_000).replicas);
  assert.ok(r.warnings.some((w) => /--cache-hit-rate changes nothing with the default constants/.test(w)));
});

test('reference profile bands and side-by-side figures', () => {
  assert.equal(at(4_999).profile.name, 'small');
  assert.equal(at(5_000).profile.name, 'medium');
  assert.equal(at(25_000).profile.name, 'large');
  assert.equal(at(100_000).profile.name, 'large');
  assert.equal(at(100_001).profile.name, 'xlarge');
  const rows = Object.fromEntries(at(50_000).profile.comparison.map((c) => [c.figure, c]));
  assert.equal(rows['replicas at peak']!.sdd, 5);
  assert.equal(rows['replicas at peak']!.ours, 9);
  close(rows['replicas at peak']!.ratio!, 9 / 5);
  assert.equal(rows['CPU per 1,000 RPS (at 100%)']!.ours, 250); // the default constants reproduce the reference constants'
});

test('what-if rows match a direct sizing at each level; planSize adds the peak and sorts', () => {
  const calibration = defaultCalibration();
  const section = planSize({ peakRps: 50_000, whatIfLevels: [1_000_000, 1_000, 50_000] }, calibration);
  assert.deepEqual(section.whatIf.map((w) => w.peakRps), [1_000, 50_000, 1_000_000]);
  const million = section.whatIf[2]!;
  assert.equal(million.replicas, Math.ceil(1_000_000 / 5_600)); // 179
  assert.equal(million.profile, 'xlarge');
  assert.equal(million.sddReplicas, 100);
  assert.equal(million.sddCpuMillicoresTotal, 250_000);
  assert.equal(section.whatIf[1]!.replicas, section.result.replicas);
  assert.equal(section.calibration.kind, 'default');
  assert.ok(section.defaults.some((d) => d.name === 'perCoreRps' && d.value === 4_000));
});

test('inputs: flags beat the scenario, the scenario beats the report, the report beats defaults', () => {
  const calibration = { ...defaultCalibration(), sloP99Ms: 25, measuredCacheHitRate: 0.72 };
  const fromReport = resolveInputs({ peakRps: 1 }, calibration);
  assert.equal(fromReport.p99TargetMs, 25);
  assert.equal(fromReport.cacheHitRate, 0.72);
  const fromScenario = resolveInputs({ peakRps: 1, scenario: 'abac-cel', scenarioSloP99Ms: 8, scenarioPolicies: 12, scenarioRepeatShare: 0.3 }, calibration);
  assert.equal(fromScenario.p99TargetMs, 8);
  assert.equal(fromScenario.policies, 12);
  assert.match(fromScenario.policiesSource, /scenario abac-cel/);
  assert.equal(fromScenario.cacheHitRate, 0.72, 'a measured hit rate beats the scenario mix');
  const fromFlags = resolveInputs({ peakRps: 1, p99TargetMs: 3, policies: 7, cacheHitRate: 0.9, scenarioSloP99Ms: 8, scenarioPolicies: 12 }, calibration);
  assert.deepEqual([fromFlags.p99TargetMs, fromFlags.p99TargetSource, fromFlags.policies, fromFlags.cacheHitRate], [3, '--p99', 7, 0.9]);
  const defaults = resolveInputs({ peakRps: 1 }, defaultCalibration());
  assert.deepEqual([defaults.p99TargetMs, defaults.policies, defaults.cacheHitRate, defaults.policiesSource], [10, 100, 0.5, 'default']);
});
