/**
 * The one parser for integer flag values (`--port`, `--rows`, `--seed`, ...), so every command
 * accepts and rejects the same spellings.
 *
 * Accepted: ASCII decimal digits, optionally grouped with single `_` between digits (`1_000`).
 * Rejected: everything else — signs (`+5`, `-1`), exponents (`1e3`), fractions (`1.0`), hex
 * (`0x10`), SI suffixes (`10k`), surrounding or inner whitespace, `_` at either end or doubled —
 * and values outside [min, max], with a UsageError (exit 2):
 *   `--flag: expected an integer between MIN and MAX, got "RAW"` (or `≥ MIN` without a max).
 */
import { UsageError } from '../util/errors.js';

export interface IntegerBounds {
  /** smallest accepted value (inclusive) */
  min: number;
  /** largest accepted value (inclusive); default Number.MAX_SAFE_INTEGER */
  max?: number;
}

const INTEGER = /^\d+(?:_\d+)*$/;

export function parseIntegerFlag(flag: string, raw: string, bounds: IntegerBounds): number {
  const { min } = bounds;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  const n = INTEGER.test(raw) ? Number(raw.replaceAll('_', '')) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = bounds.max === undefined ? `≥ ${min}` : `between ${min} and ${max}`;
    throw new UsageError(`${flag}: expected an integer ${range}, got "${raw}"`);
  }
  return n;
}
