import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDurationMs, tryParseDurationMs, tryParseDurationRangeMs } from '../../src/util/duration.js';
import { UsageError } from '../../src/util/errors.js';

test('parses each unit and compound forms', () => {
  assert.equal(tryParseDurationMs('1500ms'), 1500);
  assert.equal(tryParseDurationMs('30s'), 30_000);
  assert.equal(tryParseDurationMs('2m'), 120_000);
  assert.equal(tryParseDurationMs('1h'), 3_600_000);
  assert.equal(tryParseDurationMs('1.5s'), 1500);
  assert.equal(tryParseDurationMs('1m30s'), 90_000);
  assert.equal(tryParseDurationMs(' 10m '), 600_000);
});

test('rejects bare numbers, unknown units and junk', () => {
  for (const bad of ['', '10', 's', '10x', '-1s', '1s junk', '1..2s', 'ms10']) assert.equal(tryParseDurationMs(bad), null, bad);
  assert.throws(() => parseDurationMs('10', '--cache-ttl'), (e: unknown) => e instanceof UsageError && /--cache-ttl/.test(e.message));
});

test('ranges for think time', () => {
  assert.deepEqual(tryParseDurationRangeMs('100ms..500ms'), [100, 500]);
  assert.deepEqual(tryParseDurationRangeMs('1s'), [1000, 1000]);
  assert.equal(tryParseDurationRangeMs('2s..1s'), null);
});

test('property: n<unit> parses to n × unit size', () => {
  const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  fc.assert(
    fc.property(fc.nat(100_000), fc.constantFrom('ms', 's', 'm', 'h') as fc.Arbitrary<keyof typeof units>, (n, unit) => {
      assert.equal(tryParseDurationMs(`${n}${unit}`), n * units[unit]);
    }),
  );
});

test('property: arbitrary strings never throw from tryParseDurationMs', () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      const r = tryParseDurationMs(s);
      assert.ok(r === null || (Number.isFinite(r) && r >= 0));
    }),
  );
});
