/** Threshold grammar: parsed up front, unknown metrics are usage errors (k6's rule). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluateThresholds, parseThreshold, sloThresholds } from '../../src/load/thresholds.js';
import { UsageError } from '../../src/util/errors.js';

test('parses latency, rate and throughput thresholds into base units', () => {
  assert.deepEqual(
    [parseThreshold('p99<50ms'), parseThreshold('p(99.9) <= 0.2s'), parseThreshold('error_rate<0.1%'), parseThreshold('rps>=4900'), parseThreshold('med<2')].map((t) => [
      t.metric,
      t.percentile,
      t.op,
      t.value,
    ]),
    [
      ['latency', 99, '<', 50],
      ['latency', 99.9, '<=', 200],
      ['error_rate', null, '<', 0.001],
      ['rps', null, '>=', 4900],
      ['latency', 50, '<', 2],
    ],
  );
});

test('unknown metrics and malformed expressions are usage errors naming the flag', () => {
  for (const bad of ['p99x<50ms', 'latncy<5ms', 'error_rat<1%', 'p99<50kg', 'p0<1ms', 'p101<1ms', 'error_rate<150%', 'p99']) {
    assert.throws(() => parseThreshold(bad), (e: unknown) => e instanceof UsageError && e.message.startsWith(`--threshold '${bad}'`), bad);
  }
  assert.throws(() => parseThreshold('latncy<5ms'), /unknown metric 'latncy'; known metrics: p50/);
});

test('property: any well-formed latency threshold parses back to the same value in ms', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 100 }),
      fc.constantFrom('<', '<=', '>', '>=', '=='),
      fc.integer({ min: 0, max: 100_000 }),
      fc.constantFrom(['ms', 1], ['s', 1000], ['us', 0.001], ['', 1]),
      (p, op, n, [unit, scale]) => {
        const t = parseThreshold(`p${p}${op}${n}${unit}`);
        assert.equal(t.metric, 'latency');
        assert.equal(t.percentile, p);
        assert.equal(t.op, op);
        assert.ok(Math.abs(t.value - n * (scale as number)) < 1e-9);
      },
    ),
  );
});

test('property: the parser never throws anything but a UsageError', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), (text) => {
      try {
        parseThreshold(text);
      } catch (e) {
        assert.ok(e instanceof UsageError, String(e));
      }
    }),
  );
});

test('evaluation: null measurements fail, comparisons use base units; SLO block becomes <= thresholds', () => {
  const results = evaluateThresholds([parseThreshold('p99<50ms'), parseThreshold('error_rate<1%'), parseThreshold('rps>=100')], {
    latencyAtMs: (p) => (p === 99 ? 60 : 1),
    meanMs: 1,
    maxMs: 70,
    errorRate: 0.005,
    droppedRate: 0,
    achievedRps: null,
  });
  assert.deepEqual(
    results.map((r) => [r.actual, r.passed]),
    [
      [60, false],
      [0.005, true],
      [null, false],
    ],
  );
  assert.deepEqual(
    sloThresholds({ p50Ms: 5, p95Ms: 15, p99Ms: 50, errorRate: 0.001 }).map((t) => t.expression),
    ['p50<=5ms', 'p95<=15ms', 'p99<=50ms', 'error_rate<=0.1%', 'dropped_rate<=0.1%'],
  );
});
