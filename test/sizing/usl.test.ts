import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fitUsl, solve3, uslMaxThroughput, uslPeakConcurrency, uslRelativeCapacity, uslThroughput, type UslParams } from '../../src/sizing/usl.js';

const within = (actual: number, expected: number, relTol: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= relTol * Math.abs(expected), `${what}: ${actual} not within ${relTol * 100}% of ${expected}`);
};

const points = (p: UslParams, ns: number[], noise: number[] = []) =>
  ns.map((n, i) => ({ n, x: uslThroughput(p, n) * (1 + (noise[i] ?? 0)) }));

test('X(N) and N* by hand: σ 0.05, κ 0.0002, λ 1000', () => {
  const p = { sigma: 0.05, kappa: 0.0002, lambda: 1000 };
  // X(10) = 1000·10 / (1 + 0.05·9 + 0.0002·10·9) = 10000 / 1.468
  within(uslThroughput(p, 10), 10000 / 1.468, 1e-12, 'X(10)');
  within(uslPeakConcurrency(p), Math.sqrt(0.95 / 0.0002), 1e-12, 'N*');
  within(uslRelativeCapacity(p, 2), 2 / (1 + 0.05 + 0.0004), 1e-12, 'C(2)');
  assert.equal(uslPeakConcurrency({ sigma: 0.1, kappa: 0 }), Infinity);
  within(uslMaxThroughput({ sigma: 0.1, kappa: 0, lambda: 500 }), 5000, 1e-12, 'Amdahl asymptote λ/σ');
});

test('recovers σ, κ, λ exactly from noiseless points', () => {
  const truth = { sigma: 0.05, kappa: 0.0002, lambda: 1000 };
  const fit = fitUsl(points(truth, [1, 2, 4, 8, 16, 32, 64, 128]));
  within(fit.sigma, truth.sigma, 1e-4, 'σ');
  within(fit.kappa, truth.kappa, 1e-4, 'κ');
  within(fit.lambda, truth.lambda, 1e-6, 'λ');
  assert.ok(fit.rSquared > 0.999999);
  assert.equal(fit.converged, true);
});

test('recovers σ, κ, λ within a few percent from points with ±1.5% noise', () => {
  const truth = { sigma: 0.08, kappa: 0.0005, lambda: 1200 };
  const noise = [0.012, -0.009, 0.015, -0.013, 0.004, -0.006, 0.01, -0.011];
  const fit = fitUsl(points(truth, [1, 2, 4, 8, 16, 24, 32, 48], noise));
  within(fit.lambda, truth.lambda, 0.03, 'λ');
  within(fit.sigma, truth.sigma, 0.05, 'σ');
  within(fit.kappa, truth.kappa, 0.10, 'κ');
  within(uslPeakConcurrency(fit), uslPeakConcurrency(truth), 0.05, 'N*');
  within(uslMaxThroughput(fit), uslMaxThroughput(truth), 0.02, 'X(N*)');
});

test('no coherency (Amdahl): κ is fitted at the bound 0, not negative', () => {
  const truth = { sigma: 0.1, kappa: 0, lambda: 800 };
  const fit = fitUsl(points(truth, [1, 2, 3, 5, 8, 13]));
  assert.ok(fit.kappa >= 0 && fit.kappa < 1e-6, `κ ${fit.kappa}`);
  within(fit.sigma, 0.1, 1e-3, 'σ');
});

test('linear scaling: σ and κ stay at the bound 0', () => {
  const fit = fitUsl([1, 2, 4, 8].map((n) => ({ n, x: 250 * n })));
  assert.ok(fit.sigma >= 0 && fit.sigma < 1e-6, `σ ${fit.sigma}`);
  assert.ok(fit.kappa >= 0 && fit.kappa < 1e-8, `κ ${fit.kappa}`);
  within(fit.lambda, 250, 1e-6, 'λ');
});

test('refuses fewer than 4 distinct concurrency levels', () => {
  assert.throws(() => fitUsl([{ n: 1, x: 10 }, { n: 2, x: 19 }, { n: 2, x: 18 }, { n: 4, x: 30 }]), /at least 4 distinct/);
});

test('property: the fit reproduces noiseless throughput curves within 1%', () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      fc.double({ min: 0, max: 0.01, noNaN: true }),
      fc.double({ min: 10, max: 1e5, noNaN: true }),
      (sigma, kappa, lambda) => {
        const truth = { sigma, kappa, lambda };
        const ns = [1, 2, 4, 8, 16, 32];
        const fit = fitUsl(points(truth, ns));
        for (const n of ns) within(uslThroughput(fit, n), uslThroughput(truth, n), 0.01, `X(${n})`);
        assert.ok(fit.sigma >= 0 && fit.kappa >= 0);
      },
    ),
    { numRuns: 60, seed: 42 },
  );
});

test('solve3 solves a 3×3 system and reports a singular one', () => {
  const x = solve3([[2, 1, 0], [1, 3, 1], [0, 1, 4]], [3, 5, 5]);
  assert.deepEqual(x?.map((v) => Math.round(v * 1e9) / 1e9), [1, 1, 1]);
  assert.equal(solve3([[1, 2, 3], [2, 4, 6], [1, 1, 1]], [1, 2, 3]), null);
});
