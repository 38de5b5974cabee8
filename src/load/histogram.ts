/**
 * Latency histograms. We use hdr-histogram-js's pure-JS build (Int32 buckets), not the WASM one:
 * recording is a handful of array operations either way, the JS build needs no async
 * initialisation and no manual destroy() (WASM memory is not garbage collected), and a call into
 * WASM per record would cost more than the work it saves. Values are recorded in microseconds.
 */
import * as hdr from 'hdr-histogram-js';
import type { LatencySummary } from './types.js';

export type Histogram = hdr.Histogram;

/** 1 µs … 1 h at 3 significant digits (the histogram auto-resizes beyond that). */
export function createHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

/** Records a latency given in milliseconds (hot path: no allocation). */
export function recordMs(h: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  h.recordValue(us < 1 ? 1 : us);
}

export function percentileMs(h: Histogram, percentile: number): number {
  return h.totalCount === 0 ? 0 : h.getValueAtPercentile(percentile) / 1000;
}

export function summarize(h: Histogram): LatencySummary {
  const p = (q: number): number => round3(percentileMs(h, q));
  const empty = h.totalCount === 0;
  return {
    count: h.totalCount,
    minMs: empty ? 0 : round3(h.minNonZeroValue / 1000),
    meanMs: empty ? 0 : round3(h.mean / 1000),
    stdevMs: empty ? 0 : round3(h.stdDeviation / 1000),
    p50Ms: p(50),
    p75Ms: p(75),
    p90Ms: p(90),
    p95Ms: p(95),
    p99Ms: p(99),
    p999Ms: p(99.9),
    p9999Ms: p(99.99),
    maxMs: empty ? 0 : round3(h.maxValue / 1000),
  };
}

/** The percentiles of the report's spectrum (p50 … p99.99, then max as 100). */
export const SPECTRUM_PERCENTILES: readonly number[] = [50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100];

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
