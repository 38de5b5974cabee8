/**
 * Calibration of the static cost model against measurement: a least-squares line of measured ns
 * per evaluation over static cost units, its R², and the expressions far off the line — where the
 * static model misleads about time.
 */
import type { CalibrationFit, CalibrationOutlier } from './types.js';

export interface CalibrationPoint {
  id: string;
  costUnits: number;
  nsPerEval: number;
}

/** measured ÷ predicted at or beyond this (or at or below its inverse) is an outlier */
export const OUTLIER_FACTOR = 3;
/** outliers listed (the count covers all) */
const OUTLIERS_LISTED = 20;
/** predictions are floored here so a fit whose intercept is negative still gives a ratio */
const MIN_PREDICTED_NS = 1;

interface Line {
  slope: number;
  intercept: number;
  r2: number;
}

const weight = (p: CalibrationPoint): number => 1 / Math.max(p.nsPerEval, MIN_PREDICTED_NS) ** 2;

/** Weighted least squares (weights 1/ns²) and its weighted R²; null when the costs do not differ. */
function weightedLine(points: readonly CalibrationPoint[]): Line | null {
  const first = points[0]?.costUnits;
  if (points.length < 3 || points.every((p) => p.costUnits === first)) return null;
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    const w = weight(p);
    sw += w;
    sx += w * p.costUnits;
    sy += w * p.nsPerEval;
  }
  const mx = sx / sw;
  const my = sy / sw;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of points) {
    const w = weight(p);
    const dx = p.costUnits - mx;
    const dy = p.nsPerEval - my;
    sxx += w * dx * dx;
    sxy += w * dx * dy;
    syy += w * dy * dy;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (const p of points) {
    const residual = p.nsPerEval - (intercept + slope * p.costUnits);
    sse += weight(p) * residual * residual;
  }
  // every y equal: the line explains all there is to explain
  return { slope, intercept, r2: syy === 0 ? 1 : 1 - sse / syy };
}

/** measured ÷ predicted, the prediction floored at MIN_PREDICTED_NS */
function ratioTo(line: Line, p: CalibrationPoint): { predicted: number; ratio: number } {
  const predicted = line.intercept + line.slope * p.costUnits;
  return { predicted, ratio: Math.max(p.nsPerEval, 1e-9) / Math.max(MIN_PREDICTED_NS, predicted) };
}

const isOutlier = (ratio: number, factor: number): boolean => ratio >= factor || ratio <= 1 / factor;

/**
 * A line of nsPerEval over costUnits by least squares weighted 1/nsPerEval²: each point counts by
 * its relative error, so expressions of a few hundred ns and of a few ms weigh alike (plain least
 * squares lets the few costliest expressions set the line and calls every cheap one an outlier).
 * The line is fitted once more without the points off by `outlierFactor` or more, so a few
 * misleading expressions do not bend it; R² is of that final weighted fit. Outliers are every
 * point that far off the final line. Null with fewer than 3 points or when every point has the
 * same cost (no slope to fit).
 */
export function fitCalibration(points: readonly CalibrationPoint[], outlierFactor = OUTLIER_FACTOR): CalibrationFit | null {
  let line = weightedLine(points);
  if (!line) return null;
  const first = line;
  const inliers = points.filter((p) => !isOutlier(ratioTo(first, p).ratio, outlierFactor));
  if (inliers.length < points.length) line = weightedLine(inliers) ?? line;
  const outliers: CalibrationOutlier[] = [];
  for (const p of points) {
    const { predicted, ratio } = ratioTo(line, p);
    if (isOutlier(ratio, outlierFactor)) outliers.push({ id: p.id, costUnits: p.costUnits, nsPerEval: p.nsPerEval, predictedNs: predicted, ratio });
  }
  // furthest off the line first, whichever side
  outliers.sort((a, b) => Math.abs(Math.log(b.ratio)) - Math.abs(Math.log(a.ratio)) || (a.id < b.id ? -1 : 1));
  return {
    nsPerCostUnit: line.slope,
    interceptNs: line.intercept,
    r2: line.r2,
    points: points.length,
    outlierFactor,
    outliers: outliers.slice(0, OUTLIERS_LISTED),
    outlierCount: outliers.length,
  };
}
