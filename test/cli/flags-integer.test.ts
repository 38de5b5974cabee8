/** Integer flags (flags.ts parseInteger): what it accepts round-trips, everything else is a UsageError (exit 2). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseInteger as parseIntegerFlag } from '../../src/cli/flags.js';
import { UsageError } from '../../src/util/errors.js';

const ACCEPTED = /^\d+(?:_\d+)*$/;

/** the decimal digits of n with `_` inserted after the digits chosen by `cuts` */
function withSeparators(n: number, cuts: boolean[]): string {
  const digits = String(n);
  let out = digits[0]!;
  for (let i = 1; i < digits.length; i++) out += (cuts[i] ? '_' : '') + digits[i];
  return out;
}

function rejects(flag: string, raw: string, bounds: { min: number; max?: number }): void {
  const range = bounds.max === undefined ? `≥ ${bounds.min}` : `between ${bounds.min} and ${bounds.max}`;
  assert.throws(
    () => parseIntegerFlag(flag, raw, bounds),
    (err: unknown) => {
      assert.ok(err instanceof UsageError, String(err));
      assert.equal(err.exitCode, 2);
      assert.equal(err.message, `${flag}: expected an integer ${range}, got "${raw}"`);
      return true;
    },
  );
}

const bounds = fc
  .tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }))
  .map(([a, b]) => ({ min: Math.min(a, b), max: Math.max(a, b) }));

test('any integer in range, written plainly or with _ between digits, parses to itself', () => {
  fc.assert(
    fc.property(
      bounds.chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: b.min, max: b.max }), fc.array(fc.boolean(), { maxLength: 8 }))),
      ([b, n, cuts]) => {
        assert.equal(parseIntegerFlag('--n', String(n), b), n);
        assert.equal(parseIntegerFlag('--n', withSeparators(n, cuts), b), n);
      },
    ),
    { numRuns: 500 },
  );
});

test('any integer outside the range is rejected naming the flag and the range', () => {
  fc.assert(
    fc.property(
      bounds,
      fc.boolean(),
      fc.integer({ min: 1, max: 2 ** 40 }),
      (b, below, distance) => {
        const n = below && b.min > 0 ? Math.max(0, b.min - distance) : b.max + distance;
        rejects('--n', String(n), b);
      },
    ),
    { numRuns: 300 },
  );
});

test('any string that is not digits with single _ between them is rejected', () => {
  const alphabet = fc.constantFrom('0', '1', '5', '9', '_', ' ', '\t', '+', '-', 'e', 'E', '.', 'x', 'k', ',', '١');
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 10 }).map((chars) => chars.join('')).filter((s) => !ACCEPTED.test(s)), (raw) => {
      rejects('--n', raw, { min: 0 });
      rejects('--n', raw, { min: 0, max: 10 });
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 12 }).filter((s) => !ACCEPTED.test(s)), (raw) => rejects('--n', raw, { min: 0 })),
    { numRuns: 500 },
  );
});

test('the spellings the old copies disagreed on', () => {
  assert.equal(parseIntegerFlag('--rows', '1_000', { min: 100, max: 50_000_000 }), 1000);
  assert.equal(parseIntegerFlag('--rows', '20_000_000', { min: 100, max: 50_000_000 }), 20_000_000);
  assert.equal(parseIntegerFlag('--port', '0', { min: 0, max: 65535 }), 0);
  assert.equal(parseIntegerFlag('--port', '0080', { min: 0, max: 65535 }), 80);
  for (const raw of ['', ' 5', '5 ', '+5', '-5', '1e3', '1E3', '1.0', '0x10', '10k', '1,000', '_1', '1_', '1__0', 'Infinity', 'NaN']) {
    rejects('--port', raw, { min: 0, max: 65535 });
  }
});

test('without a max: any safe integer ≥ min; beyond Number.MAX_SAFE_INTEGER is rejected', () => {
  assert.equal(parseIntegerFlag('--seed', String(Number.MAX_SAFE_INTEGER), { min: 0 }), Number.MAX_SAFE_INTEGER);
  rejects('--seed', '9007199254740992', { min: 0 });
  rejects('--seed', '99999999999999999999999', { min: 0 });
  rejects('--budget', '0', { min: 1 });
});
