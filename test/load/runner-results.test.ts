/** Several runners' results → one section: 3 runners with known bucket counts give exactly the union's figures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bucketLowUs, mergeBuckets, percentileOfBucketsUs, type BucketHistogram } from '../../src/load/bucket-merge.js';
import { mergeRunnerResults, parseRunnerResult, RUNNER_RESULT_FORMAT, runPlanOf, type RunnerResult } from '../../src/load/runner-results.js';
import { mergeLocustResults } from '../../src/load/locust/merge.js';
import { LoadShape } from '../../src/load/schedule.js';
import { parseThreshold } from '../../src/load/thresholds.js';
import { InputError } from '../../src/util/errors.js';
import { CONFIG } from './runner-fixtures.js';


const B50000 = bucketLowUs(50_000);

function runner(name: string, corrected: BucketHistogram, durationS: number, extra: Partial<RunnerResult> = {}): RunnerResult {
  const n = corrected.buckets.reduce((s, [, c]) => s + c, 0);
  return {
    format: RUNNER_RESULT_FORMAT,
    scheme: 'hdr-us-3sd',
    runner: name,
    durationS,
    activeS: durationS,
    interrupted: false,
    counts: { scheduled: n, sent: n, completed: n, succeeded: n, failed: 0, dropped: 0, late: 0, abandoned: 0 },
    errors: { connect: 0, timeout: 0, byStatus: {}, mismatch: 0, other: 0, samples: [] },
    corrected,
    service: corrected,
    lag: { minUs: 1, maxUs: 1, buckets: [[1, n]] },
    seconds: [{ sent: n, completed: n, errors: 0, latency: corrected.buckets }],
    connectionsOpened: 0,
    peakInFlight: 2,
    exhaustedCount: 0,
    cpuSeconds: 0.1,
    ...extra,
  };
}

// runner A: 10 × 500 µs, 5 × 1000 µs; B: 3 × 800 µs, 2 × 2048-2049 µs; C: 1 × ~50 ms
const A: BucketHistogram = { minUs: 500, maxUs: 1000, buckets: [[500, 10], [1000, 5]] };
const B: BucketHistogram = { minUs: 800, maxUs: 2049, buckets: [[800, 3], [2048, 2]] };
const C: BucketHistogram = { minUs: 50_000, maxUs: 50_000, buckets: [[B50000, 1]] };

test('3 runners with known bucket counts merge into exactly the union percentiles, thresholds judged after the merge', () => {
  const thresholds = ['p50<=1ms', 'p90<=1ms', 'p99<=10ms', 'max<=60ms', 'error_rate<=0'].map((t) => parseThreshold(t));
  const s = mergeRunnerResults([runner('a', A, 4), runner('b', B, 4.1), runner('c', C, 3.9)], {
    config: CONFIG,
    thresholds,
    shape: new LoadShape(CONFIG.stages, 5),
  });
  // 21 requests; p50 is the 11th (an 800 µs one), p90 the 19th (2048 bucket, up to 2049 µs), p99 the 21st
  assert.equal(s.counts.succeeded, 21);
  assert.equal(s.latency.corrected!.p50Ms, 0.8);
  assert.equal(s.latency.corrected!.p90Ms, 2.049);
  assert.equal(s.latency.corrected!.p99Ms, (B50000 + 31) / 1000);
  assert.equal(s.latency.corrected!.minMs, 0.5);
  assert.equal(s.latency.corrected!.maxMs, 50);
  const union = mergeBuckets([A, B, C]);
  for (const p of [50, 90, 99]) assert.equal(s.spectrum.find((x) => x.percentile === p)!.correctedMs, percentileOfBucketsUs(union, p) / 1000);
  // each runner alone passes p90<=1ms except b, and p99<=10ms except c; the merge fails both
  assert.deepEqual(
    s.thresholds.map((t) => [t.expression, t.actual, t.passed]),
    [
      ['p50<=1ms', 0.8, true],
      ['p90<=1ms', 2.049, false],
      ['p99<=10ms', (B50000 + 31) / 1000, false],
      ['max<=60ms', 50, true],
      ['error_rate<=0', 0, true],
    ],
  );
  assert.equal(s.thresholdsPassed, false);
  assert.equal(s.durationS, 4.1);
  assert.equal(s.rates.achievedRps, Math.round((21 / 4.1) * 10) / 10);
  assert.deepEqual(
    s.runners!.map((r) => [r.id, r.sent, r.p99Ms]),
    [
      ['a', 15, 1],
      ['b', 5, 2.049],
      ['c', 1, (B50000 + 31) / 1000],
    ],
  );
  assert.equal(s.series[0]!.completedRps, 21);
  assert.equal(s.series[0]!.p50Ms, 0.8);
});

test('counts, errors and dropped requests add up across runners', () => {
  const s = mergeRunnerResults(
    [
      runner('a', A, 4, { errors: { connect: 1, timeout: 0, byStatus: { '503': 2 }, mismatch: 0, other: 0, samples: ['HTTP 503'] } }),
      runner('b', B, 4, { errors: { connect: 0, timeout: 3, byStatus: { '503': 1 }, mismatch: 1, other: 0, samples: ['HTTP 503', 'timeout: x'] } }),
    ].map((r) => ({ ...r, counts: { ...r.counts, dropped: 2 } })),
    { config: CONFIG, thresholds: [parseThreshold('dropped_rate<1%')], shape: null },
  );
  assert.deepEqual(s.errors.byStatus, { '503': 3 });
  assert.equal(s.errors.total, 8);
  assert.deepEqual(s.errors.samples, ['HTTP 503', 'timeout: x']);
  assert.equal(s.counts.dropped, 4);
  assert.equal(s.thresholds[0]!.passed, false);
  assert.ok(s.warnings.some((w) => w.includes('4 requests were dropped')));
});

test('parseRunnerResult accepts a runner file and rejects anything else with a message', () => {
  const good = runner('a', A, 4);
  assert.deepEqual(parseRunnerResult(JSON.parse(JSON.stringify(good))), good);
  assert.throws(() => parseRunnerResult({ ...good, format: 'x' }), /format must be/);
  assert.throws(() => parseRunnerResult({ ...good, counts: { ...good.counts, sent: -1 } }), /counts.sent/);
  assert.throws(() => parseRunnerResult({ ...good, corrected: { minUs: 1, maxUs: 1, buckets: [[3001, 1]] } }), /corrected: .*boundary/);
  fc.assert(
    fc.property(fc.jsonValue(), (x) => {
      try {
        parseRunnerResult(x);
      } catch (err) {
        assert.ok(err instanceof Error && err.message.length > 0);
      }
    }),
  );
});

test('Locust worker files: merged with their plan; mixed runs, duplicates and missing workers are named', () => {
  const plan = runPlanOf(CONFIG, 5, [parseThreshold('p99<=10ms')], new Date('2026-12-06T00:00:00Z'));
  const file = (index: number, h: BucketHistogram, p = plan) => ({ file: `worker-${index}.json`, json: { ...runner(`locust worker ${index}`, h, 4), runnerIndex: index, runners: 3, plan: p } });
  const { section } = mergeLocustResults([file(0, A), file(1, B), file(2, C)]);
  assert.equal(section.counts.succeeded, 21);
  assert.equal(section.thresholds[0]!.passed, false);
  assert.equal(section.runners!.length, 3);
  assert.ok(section.warnings[0]!.startsWith('Locust runners:'));
  const partial = mergeLocustResults([file(0, A), file(1, B)]).section;
  assert.ok(partial.warnings.some((w) => w.includes('only 2 of 3 workers')));
  assert.throws(() => mergeLocustResults([file(0, A), file(0, B)]), (e: unknown) => e instanceof InputError && /two result files from worker 0/.test(e.message));
  assert.throws(() => mergeLocustResults([file(0, A), file(1, B, { ...plan, planId: 'other' })]), /different runs/);
  assert.throws(() => mergeLocustResults([{ file: 'worker-0.json', json: { format: 'nope' } }]), (e: unknown) => e instanceof InputError && e.location.file === 'worker-0.json');
});
