/** Load shapes: intended send times from index alone, even spacing, ramps, --stages parsing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LoadShape, parseStages } from '../../src/load/schedule.js';
import { parseDurationMs } from '../../src/util/duration.js';
import { UsageError } from '../../src/util/errors.js';

test('a constant rate spaces requests evenly from t = 0', () => {
  const s = new LoadShape([{ durationS: 10, target: 2000 }], 2000);
  assert.equal(s.expectedCount, 20_000);
  assert.equal(s.timeOfMs(0), 0);
  assert.ok(Math.abs(s.timeOfMs(1) - 0.5) < 1e-9);
  assert.ok(Math.abs(s.timeOfMs(19_999) - 9999.5) < 1e-6);
  assert.equal(s.timeOfMs(20_000), Infinity);
  assert.equal(s.countBetween(0, 1000), 2000);
  assert.equal(s.countBetween(9000, 10_000), 2000);
});

test('a ramp from 0 sends the integral of the rate, increasing over time', () => {
  const s = new LoadShape([{ durationS: 10, target: 100 }, { durationS: 5, target: 100 }], 0);
  assert.equal(s.expectedCount, 500 + 500);
  assert.equal(s.countBetween(0, 1000), 5);
  assert.equal(s.countBetween(9000, 10_000), 95);
  assert.equal(s.countBetween(10_000, 11_000), 100);
  assert.ok(Math.abs(s.targetAt(5000) - 50) < 1e-9);
  let prev = -1;
  for (let i = 0; i < s.expectedCount; i++) {
    const t = s.timeOfMs(i);
    assert.ok(t > prev && t <= 15_000, `request ${i} at ${t}`);
    prev = t;
  }
});

test('property: intended times are increasing and countBetween agrees with them', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ durationS: fc.integer({ min: 1, max: 5 }), target: fc.integer({ min: 0, max: 300 }) }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 0, max: 300 }),
      (stages, start) => {
        const s = new LoadShape(stages, start);
        let prev = -Infinity;
        let inFirstSecond = 0;
        for (let i = 0; i < s.expectedCount; i++) {
          const t = s.timeOfMs(i);
          assert.ok(t >= prev && t < s.totalMs + 1e-6, `i=${i} t=${t}`);
          if (t < 1000) inFirstSecond++;
          prev = t;
        }
        assert.ok(Math.abs(inFirstSecond - s.countBetween(0, 1000)) <= 1);
      },
    ),
    { numRuns: 60 },
  );
});

test('--stages parsing', () => {
  const d = (x: string): number => parseDurationMs(x, '--stages') / 1000;
  assert.deepEqual(parseStages('30s:100, 1m:500,500ms:0', d), [
    { durationS: 30, target: 100 },
    { durationS: 60, target: 500 },
    { durationS: 0.5, target: 0 },
  ]);
  for (const bad of ['30s', '30s:x', ':5', '30s:5,,']) assert.throws(() => parseStages(bad, d), UsageError, bad);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 999 }), fc.integer({ min: 0, max: 10_000 })), { minLength: 1, maxLength: 6 }), (parts) => {
      const text = parts.map(([s, t]) => `${s}s:${t}`).join(',');
      assert.deepEqual(
        parseStages(text, d),
        parts.map(([s, t]) => ({ durationS: s, target: t })),
      );
    }),
  );
});
