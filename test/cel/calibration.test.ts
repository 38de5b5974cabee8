import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fitCalibration, OUTLIER_FACTOR, type CalibrationPoint } from '../../src/cel/calibration.js';
import { mulberry32 } from '../../src/util/random.js';

const line = (costs: number[], intercept: number, slope: number): CalibrationPoint[] =>
  costs.map((c, i) => ({ id: `f.cel:${i + 1}:1`, costUnits: c, nsPerEval: intercept + slope * c }));

test('points on a line: the fit recovers its slope and intercept, R² = 1, no outliers', () => {
  const fit = fitCalibration(line([1, 4, 10, 40, 100, 1_000, 12_000], 150, 2.5))!;
  assert.ok(Math.abs(fit.nsPerCostUnit - 2.5) < 1e-9);
  assert.ok(Math.abs(fit.interceptNs - 150) < 1e-6);
  assert.ok(Math.abs(fit.r2 - 1) < 1e-12);
  assert.equal(fit.points, 7);
  assert.deepEqual(fit.outliers, []);
  assert.equal(fit.outlierCount, 0);
});

test('property: any line through positive values is recovered exactly', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 3, maxLength: 40 }),
      fc.double({ min: 1, max: 10_000, noNaN: true }),
      fc.double({ min: 0.01, max: 100, noNaN: true }),
      (costs, intercept, slope) => {
        const fit = fitCalibration(line(costs, intercept, slope))!;
        assert.ok(Math.abs(fit.nsPerCostUnit - slope) <= 1e-6 * slope, `slope ${fit.nsPerCostUnit} vs ${slope}`);
        assert.ok(Math.abs(fit.interceptNs - intercept) <= 1e-6 * (intercept + slope * Math.max(...costs)));
        assert.ok(fit.r2 > 1 - 1e-9);
        assert.equal(fit.outlierCount, 0);
      },
    ),
  );
});

test('noisy points around a line: slope and intercept near the truth, R² high; planted outliers are flagged, worst first', () => {
  const rnd = mulberry32(7);
  const points: CalibrationPoint[] = [];
  for (let i = 0; i < 200; i++) {
    const cost = Math.round(10 ** (rnd() * 5));
    // ±20% multiplicative noise: relative error, as timing noise is
    points.push({ id: `f.cel:${i + 1}:1`, costUnits: cost, nsPerEval: (200 + 3 * cost) * (0.8 + 0.4 * rnd()) });
  }
  // the static model misleads here: cheap by cost, slow in time (a regex), and the reverse
  points.push({ id: 'slow.cel:1:1', costUnits: 5, nsPerEval: 50_000 });
  points.push({ id: 'fast.cel:1:1', costUnits: 100_000, nsPerEval: 30_000 });
  const fit = fitCalibration(points)!;
  assert.ok(Math.abs(fit.nsPerCostUnit - 3) < 0.3, `slope ${fit.nsPerCostUnit}`);
  assert.ok(Math.abs(fit.interceptNs - 200) < 40, `intercept ${fit.interceptNs}`);
  assert.ok(fit.r2 > 0.5 && fit.r2 < 1, `R² ${fit.r2}`);
  assert.deepEqual(fit.outliers.map((o) => o.id), ['slow.cel:1:1', 'fast.cel:1:1']);
  assert.equal(fit.outlierCount, 2);
  const slow = fit.outliers[0]!;
  assert.ok(slow.ratio >= OUTLIER_FACTOR && Math.abs(slow.predictedNs - (fit.interceptNs + fit.nsPerCostUnit * 5)) < 1e-9);
  assert.ok(fit.outliers[1]!.ratio <= 1 / OUTLIER_FACTOR);
});

test('too few points, or one cost for all, give no fit', () => {
  assert.equal(fitCalibration(line([1, 2], 10, 1)), null);
  assert.equal(fitCalibration([5, 5, 5].map((c, i) => ({ id: String(i), costUnits: c, nsPerEval: 100 + i }))), null);
});
