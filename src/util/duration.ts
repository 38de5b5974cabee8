/**
 * Durations as written in scenarios and flags: `1500ms`, `30s`, `2m`, `1h`, `1.5s`, compound `1m30s`.
 * A bare number is not accepted (ambiguous unit). Results are milliseconds.
 */
import { UsageError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/** Milliseconds, or null when `text` is not a duration. */
export function tryParseDurationMs(text: string): number | null {
  const s = text.trim();
  if (s === '') return null;
  let total = 0;
  let pos = 0;
  PART.lastIndex = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) return null;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = PART.lastIndex;
  }
  return Number.isFinite(total) ? total : null;
}

/** Milliseconds; a UsageError naming `what` (e.g. `--cache-ttl`) for anything else. */
export function parseDurationMs(text: string, what = 'duration'): number {
  const ms = tryParseDurationMs(text);
  if (ms === null) throw new UsageError(`${what}: "${text}" is not a duration (use e.g. 1500ms, 30s, 2m, 1h)`);
  return ms;
}

/** `100ms..500ms` → [100, 500]; a single duration gives [d, d]. Null when malformed or min > max. */
export function tryParseDurationRangeMs(text: string): [number, number] | null {
  const parts = text.split('..');
  if (parts.length > 2) return null;
  const lo = tryParseDurationMs(parts[0]!);
  const hi = parts.length === 2 ? tryParseDurationMs(parts[1]!) : lo;
  if (lo === null || hi === null || lo > hi) return null;
  return [lo, hi];
}
