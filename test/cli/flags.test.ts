/** Flag value parsers: examples plus properties (fast-check) over arbitrary text. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  durationText,
  parseBytes,
  parseCores,
  parseCount,
  parseDuration,
  parseFraction,
  parseIntegerOrAuto,
  parseLatency,
  parseMilliseconds,
  parseRate,
  parseRateList,
  repeatable,
  repeatableList,
  tryParseSiNumber,
} from '../../src/cli/flags.js';
import { siText } from '../../src/util/format.js';
import { generatorThreadsRange, parseLoadtestFlags } from '../../src/cli/loadtest-flags.js';

// the ranges these flags have in `size`
const MAX_RPS = 1e8;
const COUNT = { min: 0, max: 1e9 };
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
    ['--rps', (t) => parseRate('--rps', t, MAX_RPS), (v) => v > 0 && Number.isFinite(v)],
    ['--policies', (t) => parseCount('--policies', t, COUNT), (v) => Number.isInteger(v) && v >= 0],
    ['--headroom', (t) => parseFraction('--headroom', t, true), (v) => v > 0 && v < 1],
    ['--cache-hit-rate', (t) => parseFraction('--cache-hit-rate', t, false), (v) => v >= 0 && v <= 1],
    ['--p99', (t) => parseLatency('--p99', t, 60_000), (v) => v > 0 && Number.isFinite(v)],
    ['--cpu-per-replica', (t) => parseCores('--cpu-per-replica', t, 256), (v) => v > 0 && Number.isFinite(v)],
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
  assert.equal(parseFraction('--headroom', '0.7', true), 0.7);
  assert.equal(parseFraction('--headroom', '70%', true), 0.7);
  assert.equal(parseFraction('--cache-hit-rate', '0', false), 0);
  assert.equal(parseFraction('--cache-hit-rate', '100%', false), 1);
  assert.throws(() => parseFraction('--headroom', '0', true), /between 0 and 1 exclusive/);
  assert.throws(() => parseFraction('--headroom', '100%', true), /between 0 and 1 exclusive/);
  for (const bad of ['0x1', '0b1', '1e-1', ' ', '%', '.']) assert.throws(() => parseFraction('--cache-hit-rate', bad, false), UsageError, bad);
});

test('latency, cores and rate lists', () => {
  assert.equal(parseLatency('--p99', '10', 60_000), 10);
  assert.equal(parseLatency('--p99', '10ms', 60_000), 10);
  assert.equal(parseLatency('--p99', '1s', 60_000), 1000);
  assert.equal(parseCores('--cpu-per-replica', '500m', 256), 0.5);
  assert.equal(parseCores('--cpu-per-replica', '1.5', 256), 1.5);
  assert.deepEqual(parseRateList('--what-if', '25k, 1k,5k,1k', MAX_RPS), [1_000, 5_000, 25_000]);
  assert.throws(() => parseRateList('--what-if', '1k,0', MAX_RPS), /--what-if: "0" must be a positive number/);
});

/** `n` written the way counts may be: plain, with `_`, or with an SI suffix when it divides evenly */
const countSpellings = (n: number): string[] => [
  String(n),
  String(n).replace(/\B(?=(\d{3})+$)/g, '_'),
  ...(n % 1000 === 0 && n > 0 ? [`${n / 1000}k`] : []),
  ...(n % 1e6 === 0 && n > 0 ? [`${n / 1e6}M`] : []),
];

const rangeArb = fc
  .tuple(fc.integer({ min: 0, max: 5_000_000 }), fc.integer({ min: 0, max: 5_000_000 }))
  .map(([a, b]) => ({ min: Math.min(a, b), max: Math.max(a, b) }));

function rejectsNaming(flag: string, expected: RegExp, fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UsageError, String(err));
    assert.equal(err.exitCode, 2);
    assert.ok(err.message.startsWith(`${flag}: `), err.message);
    assert.match(err.message, expected);
    return true;
  });
}

test('property: counts inside the range parse in every spelling; outside it are rejected naming flag and range', () => {
  fc.assert(
    fc.property(rangeArb, fc.integer({ min: 0, max: 6_000_000 }).map((n) => Math.round(n / 1000) * 1000), (range, n) => {
      for (const text of countSpellings(n)) {
        if (n >= range.min && n <= range.max) assert.equal(parseCount('--n', text, range), n, text);
        else rejectsNaming('--n', new RegExp(`≥ ${range.min} and ≤ ${siText(range.max)}`), () => parseCount('--n', text, range));
      }
    }),
    { numRuns: 400 },
  );
});

test('property: rates above the maximum are rejected naming it; rates up to it are accepted', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 2e9 }), (max, rate) => {
      if (rate <= max) assert.equal(parseRate('--rps', String(rate), max), rate);
      else rejectsNaming('--rps', new RegExp(`up to ${siText(max)} `), () => parseRate('--rps', String(rate), max));
    }),
    { numRuns: 400 },
  );
  rejectsNaming('--rps', /up to 1M/, () => parseRate('--rps', '1e12', 1e6));
  rejectsNaming('--rps', /up to 1M/, () => parseRate('--rps', '100M', 1e6));
});

test('property: durations with a unit parse to milliseconds within the range; bare numbers need a ms flag', () => {
  const unit = fc.constantFrom(['ms', 1], ['s', 1000], ['m', 60_000], ['h', 3_600_000]) as fc.Arbitrary<[string, number]>;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10_000 }), unit, fc.integer({ min: 1, max: 48 * 3_600_000 }), (n, [u, scale], maxMs) => {
      const ms = n * scale;
      const text = `${n}${u}`;
      if (ms > maxMs) rejectsNaming('--d', new RegExp(`at most ${durationText(maxMs)}`), () => parseDuration('--d', text, { maxMs }));
      else if (ms === 0) rejectsNaming('--d', /longer than 0/, () => parseDuration('--d', text, { maxMs }));
      else assert.equal(parseDuration('--d', text, { maxMs }), ms);
      rejectsNaming('--d', /is not a duration/, () => parseDuration('--d', String(n), { maxMs }));
      if (n <= maxMs && n > 0) assert.equal(parseMilliseconds('--time', String(n), { maxMs }), n);
    }),
    { numRuns: 400 },
  );
  assert.equal(parseMilliseconds('--warmup', 'off', { maxMs: 1000, allowZero: true, allowOff: true }), 0);
  rejectsNaming('--time', /expected milliseconds/, () => parseMilliseconds('--time', '0', { maxMs: 1000 }));
});

test('property: byte sizes with any unit parse to their byte count; outside the range are rejected naming it', () => {
  const unit = fc.constantFrom(['', 1], ['B', 1], ['KiB', 1024], ['MiB', 1024 ** 2], ['GiB', 1024 ** 3], ['kB', 1e3], ['MB', 1e6], ['GB', 1e9]) as fc.Arbitrary<[string, number]>;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4096 }), unit, rangeArb, (n, [u, scale], range) => {
      const bytes = n * scale;
      if (bytes >= range.min && bytes <= range.max) assert.equal(parseBytes('--body-limit', `${n}${u}`, range), bytes);
      else rejectsNaming('--body-limit', new RegExp(`between ${range.min} and ${range.max}`), () => parseBytes('--body-limit', `${n}${u}`, range));
    }),
    { numRuns: 400 },
  );
  for (const bad of ['1e3', '-1', '1.5MiB', 'MiB', '1 mib', '0x10']) rejectsNaming('--body-limit', /expected a byte size/, () => parseBytes('--body-limit', bad, { min: 1, max: 1e9 }));
});

test('repeatable values keep their order; the list form also splits on commas', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ minLength: 1, maxLength: 5 }).filter((s) => !s.includes(',')), { maxLength: 6 }), (values) => {
      assert.deepEqual(values.reduce<string[] | undefined>((acc, v) => repeatable(v, acc), undefined) ?? [], values);
      assert.deepEqual(repeatableList(values.join(','), undefined), values);
    }),
    { numRuns: 200 },
  );
});

test('--seed is spelled the same in every command: an integer, 10k is rejected', () => {
  rejectsNaming('--seed', /expected an integer between 0 and 4294967295/, () => parseLoadtestFlags({ rps: '10', seed: '10k' }));
  assert.equal(parseLoadtestFlags({ rps: '10', seed: '10_000' }).seed, 10_000);
});

test('loadtest numeric flags have maxima: --rps 1e12, --vus 1000000 and stage targets beyond them exit 2', () => {
  rejectsNaming('--rps', /up to 1M/, () => parseLoadtestFlags({ rps: '1e12' }));
  rejectsNaming('--vus', /≤ 10k/, () => parseLoadtestFlags({ vus: '1000000' }));
  rejectsNaming('--stages', /at most 1000000 requests per second/, () => parseLoadtestFlags({ stages: '10s:2000000' }));
  rejectsNaming('--duration', /at most 24h/, () => parseLoadtestFlags({ rps: '10', duration: '25h' }));
});

test('property: an integer-or-auto flag takes auto and integers in its range, and names the range otherwise', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), fc.oneof(fc.integer({ min: -5, max: 300 }).map(String), fc.string({ maxLength: 6 })), (max, auto, text) => {
      const range = { min: 1, max };
      assert.equal(parseIntegerOrAuto('--generator-threads', 'auto', range, auto), auto);
      const n = /^\d+$/.test(text) ? Number(text) : NaN;
      if (n >= 1 && n <= max) assert.equal(parseIntegerOrAuto('--generator-threads', text, range, auto), n);
      else if (text.trim() !== 'auto') rejectsNaming('--generator-threads', new RegExp(`between 1 and ${max} or "auto"`), () => parseIntegerOrAuto('--generator-threads', text, range, auto));
    }),
    { numRuns: 300 },
  );
});

test('--generator-threads: 1 by default, auto is one per core, at most 4 per core, open model only', () => {
  const r = generatorThreadsRange();
  assert.equal(parseLoadtestFlags({ rps: '10' }).generatorThreads, 1);
  assert.equal(parseLoadtestFlags({ rps: '10', generatorThreads: 'auto' }).generatorThreads, r.auto);
  assert.equal(parseLoadtestFlags({ findMax: true, generatorThreads: '2' }).generatorThreads, 2);
  assert.equal(parseLoadtestFlags({ rps: '10', generatorThreads: String(r.max) }).generatorThreads, r.max);
  rejectsNaming('--generator-threads', new RegExp(`between 1 and ${r.max}`), () => parseLoadtestFlags({ rps: '10', generatorThreads: String(r.max + 1) }));
  rejectsNaming('--generator-threads', /between 1 and/, () => parseLoadtestFlags({ rps: '10', generatorThreads: '0' }));
  assert.throws(() => parseLoadtestFlags({ vus: '10', generatorThreads: '2' }), /--generator-threads applies to the open model/);
  assert.deepEqual(generatorThreadsRange(2), { min: 1, max: 8, auto: 2 });
});
