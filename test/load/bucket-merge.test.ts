/** Exact merge of bucket histograms: properties against HdrHistogram, and the Python / k6 copies of the bucket function. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import {
  BUCKET_LOW_JS,
  BUCKET_LOW_PY,
  bucketLowUs,
  bucketProblem,
  bucketsOfHistogram,
  bucketsOfValues,
  histogramOfBuckets,
  mergeBuckets,
  percentileOfBucketsUs,
  totalCount,
  type BucketHistogram,
} from '../../src/load/bucket-merge.js';
import { createHistogram, summarize } from '../../src/load/histogram.js';

/** Latencies in µs from 1 µs to ~1 h, weighted towards authz-like milliseconds. */
const latencyUs = fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 200_000 }), fc.integer({ min: 1, max: 3_600_000_000 }));
const runnerValues = fc.array(latencyUs, { maxLength: 300 });
const PERCENTILES = [0.1, 1, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

function unionHistogram(values: readonly number[]) {
  const h = createHistogram();
  for (const v of values) h.recordValue(v);
  return h;
}

test('merged buckets of any split give the summary of all values recorded into one HdrHistogram', () => {
  fc.assert(
    fc.property(fc.array(runnerValues, { minLength: 1, maxLength: 5 }), (runners) => {
      const merged = histogramOfBuckets(mergeBuckets(runners.map(bucketsOfValues)));
      assert.deepEqual(summarize(merged), summarize(unionHistogram(runners.flat())));
    }),
    { numRuns: 100 },
  );
});

test('merge is commutative and associative, and the empty histogram is neutral', () => {
  const hist = runnerValues.map(bucketsOfValues);
  fc.assert(
    fc.property(hist, hist, hist, (a, b, c) => {
      assert.deepEqual(mergeBuckets([a, b]), mergeBuckets([b, a]));
      assert.deepEqual(mergeBuckets([a, mergeBuckets([b, c])]), mergeBuckets([mergeBuckets([a, b]), c]));
      assert.deepEqual(mergeBuckets([a, b, c]), mergeBuckets([mergeBuckets([a, b]), c]));
      assert.deepEqual(mergeBuckets([a, { minUs: 0, maxUs: 0, buckets: [] }]), mergeBuckets([a]));
    }),
  );
});

test('percentiles read straight from the counts equal HdrHistogram percentiles of the union', () => {
  fc.assert(
    fc.property(fc.array(runnerValues, { minLength: 1, maxLength: 4 }), (runners) => {
      const values = runners.flat();
      fc.pre(values.length > 0);
      const merged = mergeBuckets(runners.map(bucketsOfValues));
      const union = unionHistogram(values);
      assert.equal(totalCount(merged), values.length);
      for (const p of PERCENTILES.filter((x) => x < 100)) assert.equal(percentileOfBucketsUs(merged, p), union.getValueAtPercentile(p), `p${p}`);
    }),
    { numRuns: 100 },
  );
});

test('bucket boundaries: exact below 2048 µs, then 1024 buckets per power of two', () => {
  assert.equal(bucketLowUs(1), 1);
  assert.equal(bucketLowUs(2047), 2047);
  assert.equal(bucketLowUs(2048), 2048);
  assert.equal(bucketLowUs(2049), 2048);
  assert.equal(bucketLowUs(4095), 4094);
  assert.equal(bucketLowUs(4096), 4096);
  assert.equal(bucketLowUs(4099), 4096);
  assert.equal(bucketLowUs(1_000_000), 999_936);
  fc.assert(
    fc.property(latencyUs, (us) => {
      const low = bucketLowUs(us);
      assert.ok(low <= us && bucketLowUs(low) === low);
      // 3 significant digits: a bucket is narrower than 1/1000 of its values
      assert.ok(us - low < Math.max(1, us / 1000));
    }),
  );
});

test('the k6 script copy of the bucket function agrees with ours', () => {
  const jsLow = new Function(`${BUCKET_LOW_JS}; return bucketLowUs;`)() as (us: number) => number;
  fc.assert(fc.property(latencyUs, (us) => jsLow(us) === bucketLowUs(us)));
  for (const us of [1, 2047, 2048, 4095, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 3_600_000_000]) assert.equal(jsLow(us), bucketLowUs(us), String(us));
});

test('the Locust file copy of the bucket function agrees with ours', (t) => {
  const probe = spawnSync('python3', ['-c', 'print(1)'], { encoding: 'utf8' });
  if (probe.status !== 0) return t.skip('python3 is not installed');
  const values = fc.sample(latencyUs, { numRuns: 2000, seed: 7 }).concat([1, 2047, 2048, 2049, 4095, 4096, 2 ** 31, 2 ** 32 + 5, 3_600_000_000]);
  const script = `${BUCKET_LOW_PY}\nimport json, sys\nprint(json.dumps([bucket_low_us(v) for v in json.load(sys.stdin)]))\n`;
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(values), encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout) as number[], values.map(bucketLowUs));
});

test('bucketProblem accepts what the runners write and names what is wrong otherwise', () => {
  fc.assert(fc.property(runnerValues, (values) => bucketProblem(bucketsOfValues(values)) === null));
  fc.assert(fc.property(fc.anything(), (x) => typeof (bucketProblem(x) ?? '') === 'string'));
  const ok: BucketHistogram = { minUs: 5, maxUs: 2999, buckets: [[5, 1], [2998, 2]] };
  assert.equal(bucketProblem(ok), null);
  assert.match(bucketProblem({ ...ok, buckets: [[2999, 1]] }) ?? '', /not a bucket boundary/);
  assert.match(bucketProblem({ ...ok, buckets: [[2998, 1], [5, 1]] }) ?? '', /sorted/);
  assert.match(bucketProblem({ ...ok, minUs: 7 }) ?? '', /minUs/);
  assert.match(bucketProblem({ ...ok, buckets: [[5, -1]] }) ?? '', /bad bucket/);
  assert.match(bucketProblem('x') ?? '', /not an object/);
});

test('property: a histogram read back as buckets (a generator thread hands these over) equals the buckets of its values, and rebuilds and adds exactly', () => {
  fc.assert(
    fc.property(fc.array(runnerValues, { minLength: 1, maxLength: 4 }), (threads) => {
      const merged = createHistogram();
      for (const values of threads) {
        const b = bucketsOfHistogram(unionHistogram(values));
        assert.deepEqual(b, bucketsOfValues(values));
        if (b.buckets.length > 0) merged.add(histogramOfBuckets(b));
      }
      assert.deepEqual(summarize(merged), summarize(unionHistogram(threads.flat())));
    }),
    { numRuns: 200 },
  );
});
