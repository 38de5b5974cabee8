/** Flag value parsers: examples plus properties (fast-check) over arbitrary text. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseCores, parseCount, parseFraction, parseLatencyMs, parsePositiveRate, parseRateList, tryParseSiNumber } from '../../src/sizing/parse.js';
import { UsageError } from '../../src/util/errors.js';

test('SI numbers: 50000, 50k, 1.5M, 1e6, 10_000', () => {
  assert.equal(tryParseSiNumber('50000'), 50_000);
  assert.equal(tryParseSiNumber('50k'), 50_000);
  assert.equal(tryParseSiNumber('1.5M'), 1_500_000);
  assert.equal(tryParseSiNumber('1e6'), 1_000_000);
  assert.equal(tryParseSiNumber('10_000'), 10_000);
  assert.equal(tryParseSiNumber('.5k'), 500);
  for (const bad of ['', 'k', '-1', '1x', '1..2', 'NaN', 'Infinity', '0x10']) assert.equal(tryParseSiNumber(bad), null, bad);
});

test('property: whole numbers and their k / M forms parse to their value', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e9 }), (n) => {
      assert.equal(tryParseSiNumber(String(n)), n);
      assert.equal(tryParseSiNumber(`${n}k`), n * 1e3);
      assert.equal(tryParseSiNumber(`${n}M`), n * 1e6);
    }),
    { numRuns: 200, seed: 7 },
  );
});

test('property: every parser returns a valid value or throws a UsageError naming the flag, never anything else', () => {
  const parsers: Array<[string, (t: string) => number | number[], (v: number) => boolean]> = [
    ['--rps', (t) => parsePositiveRate(t, '--rps'), (v) => v > 0 && Number.isFinite(v)],
    ['--policies', (t) => parseCount(t, '--policies'), (v) => Number.isInteger(v) && v >= 0],
    ['--headroom', (t) => parseFraction(t, '--headroom', true), (v) => v > 0 && v < 1],
    ['--cache-hit-rate', (t) => parseFraction(t, '--cache-hit-rate', false), (v) => v >= 0 && v <= 1],
    ['--p99', (t) => parseLatencyMs(t, '--p99'), (v) => v > 0 && Number.isFinite(v)],
    ['--cpu-per-replica', (t) => parseCores(t, '--cpu-per-replica'), (v) => v > 0 && Number.isFinite(v)],
  ];
  const text = fc.oneof(fc.string({ maxLength: 12 }), fc.stringMatching(/^-?\d{1,4}(\.\d{1,3})?(%|ms|s|m|k|M)?$/));
  fc.assert(
    fc.property(text, (t) => {
      for (const [flag, parse, valid] of parsers) {
        try {
          const v = parse(t) as number;
          assert.ok(valid(v), `${flag} ${JSON.stringify(t)} → ${v}`);
        } catch (err) {
          assert.ok(err instanceof UsageError, `${flag} ${JSON.stringify(t)} threw ${String(err)}`);
          assert.ok(err.message.startsWith(`${flag}: `), err.message);
        }
      }
    }),
    { numRuns: 300, seed: 11 },
  );
});

test('fractions: 0.7 and 70% are the same; headroom excludes 0 and 1', () => {
  assert.equal(parseFraction('0.7', '--headroom', true), 0.7);
  assert.equal(parseFraction('70%', '--headroom', true), 0.7);
  assert.equal(parseFraction('0', '--cache-hit-rate', false), 0);
  assert.equal(parseFraction('100%', '--cache-hit-rate', false), 1);
  assert.throws(() => parseFraction('0', '--headroom', true), /between 0 and 1 exclusive/);
  assert.throws(() => parseFraction('100%', '--headroom', true), /between 0 and 1 exclusive/);
  for (const bad of ['0x1', '0b1', '1e-1', ' ', '%', '.']) assert.throws(() => parseFraction(bad, '--cache-hit-rate', false), UsageError, bad);
});

test('latency, cores and rate lists', () => {
  assert.equal(parseLatencyMs('10', '--p99'), 10);
  assert.equal(parseLatencyMs('10ms', '--p99'), 10);
  assert.equal(parseLatencyMs('1s', '--p99'), 1000);
  assert.equal(parseCores('500m', '--cpu-per-replica'), 0.5);
  assert.equal(parseCores('1.5', '--cpu-per-replica'), 1.5);
  assert.deepEqual(parseRateList('25k, 1k,5k,1k', '--what-if'), [1_000, 5_000, 25_000]);
  assert.throws(() => parseRateList('1k,0', '--what-if'), /--what-if: "0" must be a positive number/);
});
