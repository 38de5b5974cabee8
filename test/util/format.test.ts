import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MISSING,
  formatBytes,
  formatChangePercent,
  formatCount,
  formatFixed,
  formatDurationMs,
  formatDurationNs,
  formatDurationS,
  formatNumber,
  formatPercent,
  formatSi,
  formatTimestamp,
  formatValue,
} from '../../src/util/format.js';

test('durations pick the unit that fits, with three significant digits', () => {
  assert.equal(formatDurationNs(850), '850 ns');
  assert.equal(formatDurationNs(999.7), '1.00 µs');
  assert.equal(formatDurationNs(12_345), '12.3 µs');
  assert.equal(formatDurationNs(4_500_000), '4.50 ms');
  assert.equal(formatDurationNs(2_500_000_000), '2.50 s');
  assert.equal(formatDurationNs(125e9), '2m 05s');
  assert.equal(formatDurationNs(4000e9), '1h 06m 40s');
  assert.equal(formatDurationMs(0.0123), '12.3 µs');
  assert.equal(formatDurationMs(1530), '1.53 s');
  assert.equal(formatDurationS(0.25), '250 ms');
});

test('numbers, counts and SI rates', () => {
  assert.equal(formatNumber(12345.678), '12,346');
  assert.equal(formatNumber(12.345), '12.3');
  assert.equal(formatNumber(0.012345), '0.0123');
  assert.equal(formatNumber(0), '0');
  assert.equal(formatCount(1234567.4), '1,234,567');
  assert.equal(formatSi(1234), '1.23k');
  assert.equal(formatSi(4_560_000), '4.56M');
  assert.equal(formatSi(999.99), '1.00k');
});

test('bytes, percent and change', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(8 * 2 ** 30), '8.00 GiB');
  assert.equal(formatPercent(0.1234), '12.3%');
  assert.equal(formatChangePercent(12.34), '+12.3%');
  assert.equal(formatChangePercent(-5), '-5.0%');
  assert.equal(formatChangePercent(0.01), '0.0%');
});

test('missing values print a dash, never NaN', () => {
  for (const f of [formatNumber, formatCount, formatSi, formatDurationNs, formatBytes, formatPercent]) {
    assert.equal(f(Number.NaN), MISSING);
    assert.equal(f(null), MISSING);
    assert.equal(f(undefined), MISSING);
  }
});

test('formatValue maps headline units to formatters', () => {
  assert.equal(formatValue(123_456, 'ops/s'), '123k ops/s');
  assert.equal(formatValue(3.2, 'ms'), '3.20 ms');
  assert.equal(formatValue(1536, 'bytes'), '1.50 KiB');
  assert.equal(formatValue(3, 'replicas'), '3 replicas');
  assert.equal(formatValue(0.015, 'ratio'), '1.50%');
});

test('timestamps are UTC and unparsable ones pass through', () => {
  assert.equal(formatTimestamp('2026-11-23T09:30:00.123Z'), '2026-11-23 09:30:00 UTC');
  assert.equal(formatTimestamp('yesterday'), 'yesterday');
});

test('property: every finite duration formats to a number and a known unit', () => {
  fc.assert(
    fc.property(fc.double({ min: -1e13, max: 1e13, noNaN: true }), (ns) => {
      assert.match(formatDurationNs(ns), /^-?(\d[\d,]*(\.\d+)? (ns|µs|ms|s)|\d+m \d\ds|\d+h \d\dm \d\ds)$/);
    }),
  );
});

test('property: counts and fixed decimals group thousands exactly as en-US Intl does', () => {
  fc.assert(
    fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => {
      assert.equal(formatCount(n), n.toLocaleString('en-US'));
    }),
  );
  fc.assert(
    fc.property(fc.double({ min: -1e12, max: 1e12, noNaN: true }), fc.integer({ min: 0, max: 4 }), (x, d) => {
      const expected = Number(x.toFixed(d)).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
      // toLocaleString drops the sign of a negative value that rounds to zero; toFixed keeps it
      if (Number(x.toFixed(d)) !== 0) assert.equal(formatFixed(x, d), expected);
    }),
  );
});
