/**
 * Exact merging of latency distributions recorded on several load generators (Locust workers,
 * k6-operator runners). Percentiles cannot be averaged; bucket counts can be added.
 *
 * Every runner records integer microseconds into the same log-linear buckets as our
 * HdrHistogram (src/load/histogram.ts: 1 µs resolution, 3 significant digits): values below 2048
 * have a bucket each; above, each power-of-two range [2^k, 2^(k+1)) is cut into 1024 equal
 * buckets of width 2^(k-10). A bucket is named by its lowest value. Because these are exactly
 * HdrHistogram's buckets, adding the runners' counts gives the histogram that recording every
 * runner's values into one HdrHistogram would give, so the merged percentiles are the union's.
 * Runners also carry their exact minimum and maximum, which buckets alone would round.
 *
 * The same bucket function is written in Python (the Locust file) and JavaScript (the k6 script);
 * BUCKET_LOW_PY and BUCKET_LOW_JS below are those sources, tested against bucketLowUs.
 */
import type { JsHistogram } from 'hdr-histogram-js';
import { createHistogram, type Histogram } from './histogram.js';

/** Name of the bucket layout in runner result files. */
export const BUCKET_SCHEME = 'hdr-us-3sd';

/** Values below this have a bucket of their own (HdrHistogram's sub-bucket count at 3 digits). */
const SUB_BUCKET_COUNT = 2048;

/** A latency distribution as runners write it: sparse [lowestValueUs, count] pairs. */
export interface BucketHistogram {
  /** exact smallest and largest recorded value (µs); 0 when empty */
  minUs: number;
  maxUs: number;
  /** sorted by lowest value, counts > 0 */
  buckets: Array<[number, number]>;
}

export const EMPTY_BUCKETS: BucketHistogram = Object.freeze({ minUs: 0, maxUs: 0, buckets: [] }) as BucketHistogram;

/** Lowest value of the bucket holding `us` (an integer ≥ 1). */
export function bucketLowUs(us: number): number {
  if (us < SUB_BUCKET_COUNT) return us;
  let width = 1;
  while (us / width >= SUB_BUCKET_COUNT) width *= 2;
  return Math.floor(us / width) * width;
}

/** Microseconds as recorded: rounded, at least 1 (histogram.ts's recordMs does the same). */
export function toRecordedUs(ms: number): number {
  const us = Math.round(ms * 1000);
  return us < 1 ? 1 : us;
}

/** Builds a bucket histogram from raw microsecond values (tests and small tools). */
export function bucketsOfValues(values: readonly number[]): BucketHistogram {
  const counts = new Map<number, number>();
  let minUs = 0;
  let maxUs = 0;
  for (const v of values) {
    const us = v < 1 ? 1 : Math.round(v);
    counts.set(bucketLowUs(us), (counts.get(bucketLowUs(us)) ?? 0) + 1);
    if (minUs === 0 || us < minUs) minUs = us;
    if (us > maxUs) maxUs = us;
  }
  return { minUs, maxUs, buckets: sortedPairs(counts) };
}

/**
 * The bucket counts of one of our HdrHistograms with its exact min and max: how a generator thread
 * hands its histograms to the main thread (plain data; histogramOfBuckets rebuilds it exactly).
 */
export function bucketsOfHistogram(h: Histogram): BucketHistogram {
  if (h.totalCount === 0) return { minUs: 0, maxUs: 0, buckets: [] };
  // our histograms are the pure-JS build (histogram.ts), which has the iterator
  const js = h as unknown as JsHistogram;
  const it = js.recordedValuesIterator;
  it.reset();
  const buckets: Array<[number, number]> = [];
  while (it.hasNext()) {
    const v = it.next();
    buckets.push([js.lowestEquivalentValue(v.valueIteratedTo), v.countAddedInThisIterationStep]);
  }
  return { minUs: h.minNonZeroValue, maxUs: h.maxValue, buckets };
}

/** Adds any number of bucket histograms (associative and commutative; the empty one is neutral). */
export function mergeBuckets(parts: readonly BucketHistogram[]): BucketHistogram {
  const counts = new Map<number, number>();
  let minUs = 0;
  let maxUs = 0;
  for (const p of parts) {
    for (const [low, n] of p.buckets) if (n > 0) counts.set(low, (counts.get(low) ?? 0) + n);
    if (p.buckets.length > 0) {
      if (minUs === 0 || (p.minUs > 0 && p.minUs < minUs)) minUs = p.minUs;
      if (p.maxUs > maxUs) maxUs = p.maxUs;
    }
  }
  return { minUs, maxUs, buckets: sortedPairs(counts) };
}

export function totalCount(b: BucketHistogram): number {
  let n = 0;
  for (const [, c] of b.buckets) n += c;
  return n;
}

/**
 * The HdrHistogram holding these counts, so summaries and percentiles come from the same code as
 * a single-process run. The min and max buckets' counts are recorded at the exact min and max
 * (same buckets, so the counts are unchanged) to keep those two exact.
 */
export function histogramOfBuckets(b: BucketHistogram): Histogram {
  const h = createHistogram();
  const n = b.buckets.length;
  if (n === 0) return h;
  const minLow = b.buckets[0]![0];
  const maxLow = b.buckets[n - 1]![0];
  for (const [low, count] of b.buckets) {
    if (low === minLow && low === maxLow) {
      if (count > 1) h.recordValueWithCount(b.minUs, count - 1);
      h.recordValue(b.maxUs);
    } else if (low === minLow) h.recordValueWithCount(b.minUs, count);
    else if (low === maxLow) h.recordValueWithCount(b.maxUs, count);
    else h.recordValueWithCount(low, count);
  }
  return h;
}

function bucketWidth(low: number): number {
  let width = 1;
  while (low / width >= SUB_BUCKET_COUNT) width *= 2;
  return width;
}

/**
 * Percentile straight from the counts, without HdrHistogram: the highest value of the bucket where
 * the cumulative count reaches ⌈p/100 · total⌉ (at least 1). Equals HdrHistogram's
 * getValueAtPercentile; an independent check of the merge in tests and a reader's reference.
 */
export function percentileOfBucketsUs(b: BucketHistogram, percentile: number): number {
  const total = totalCount(b);
  if (total === 0) return 0;
  const p = Math.min(percentile, 100);
  const wanted = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [low, n] of b.buckets) {
    seen += n;
    if (seen >= wanted) return low + (low < SUB_BUCKET_COUNT ? 1 : bucketWidth(low)) - 1;
  }
  return b.maxUs;
}

/** Checks a bucket histogram read from a runner's file; returns the problem or null. */
export function bucketProblem(x: unknown): string | null {
  if (typeof x !== 'object' || x === null) return 'not an object';
  const o = x as Record<string, unknown>;
  if (!isCount(o.minUs) || !isCount(o.maxUs)) return 'minUs / maxUs must be integers ≥ 0';
  if (!Array.isArray(o.buckets)) return 'buckets must be an array of [lowestUs, count] pairs';
  let prev = 0;
  for (const pair of o.buckets as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2 || !isCount(pair[0]) || !isCount(pair[1]) || pair[0] < 1)
      return `bad bucket ${JSON.stringify(pair)} (expected [lowestUs ≥ 1, count])`;
    if (bucketLowUs(pair[0]) !== pair[0]) return `bucket ${pair[0]} µs is not a bucket boundary of the ${BUCKET_SCHEME} layout`;
    if (pair[0] <= prev) return 'buckets must be sorted by lowest value, each once';
    prev = pair[0];
  }
  const buckets = o.buckets as Array<[number, number]>;
  if (buckets.length > 0) {
    if (bucketLowUs(o.minUs as number) !== buckets[0]![0]) return 'minUs is not in the lowest bucket';
    if (bucketLowUs(o.maxUs as number) !== buckets[buckets.length - 1]![0]) return 'maxUs is not in the highest bucket';
  }
  return null;
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

function sortedPairs(counts: Map<number, number>): Array<[number, number]> {
  return [...counts.entries()].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
}

/** bucketLowUs in Python (the Locust file); integers stay exact in Python. */
export const BUCKET_LOW_PY = `def bucket_low_us(us):
    """Lowest value of the HdrHistogram bucket (1 us, 3 significant digits) holding us >= 1."""
    if us < ${SUB_BUCKET_COUNT}:
        return us
    shift = us.bit_length() - ${Math.log2(SUB_BUCKET_COUNT)}
    return (us >> shift) << shift`;

/** bucketLowUs in JavaScript for k6 (no 32-bit shifts: values can exceed 2^31 µs). */
export const BUCKET_LOW_JS = `function bucketLowUs(us) {
  if (us < ${SUB_BUCKET_COUNT}) return us;
  let width = 1;
  while (us / width >= ${SUB_BUCKET_COUNT}) width *= 2;
  return Math.floor(us / width) * width;
}`;
