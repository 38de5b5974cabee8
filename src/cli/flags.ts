/**
 * Parsers for flag values, shared by every command. One spelling rule (also in the README):
 *
 * - Integers (ports, seeds, exact limits): decimal digits, `_` allowed between digits (`1_000`).
 * - Counts and rates may also use a fraction, an exponent and an SI suffix k, M, G (×1000):
 *   `10k`, `1.5M`, `1e6`; a count must come out whole.
 * - Fractions: `0.7` or `70%`.
 * - Durations: a number with a unit ms, s, m or h, compounds allowed (`1m30s`). Flags measured in
 *   milliseconds (latency targets, bench times) also take a bare number of milliseconds.
 * - Byte sizes: an integer, optionally with a unit B, KiB, MiB, GiB (×1024) or kB, MB, GB (×1000).
 *
 * Every parser takes the accepted range and throws a UsageError (exit 2) naming the flag and that
 * range for anything else.
 */
import { UsageError } from '../util/errors.js';
import { tryParseDurationMs } from '../util/duration.js';
import { siText } from '../util/format.js';

export interface Range {
  /** smallest accepted value (inclusive) */
  min: number;
  /** largest accepted value (inclusive); integers default to Number.MAX_SAFE_INTEGER */
  max?: number;
}

const INTEGER = /^\d+(?:_\d+)*$/;
const SI_NUMBER = /^(\d+(?:\.\d+)?|\.\d+)(?:e(\d+))?\s*([kKmMgG]?)$/;
const SI: Record<string, number> = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9 };

/** `50000`, `50k`, `1.5M`, `1e6`, `10_000` → number; null when malformed. */
export function tryParseSiNumber(text: string): number | null {
  const m = SI_NUMBER.exec(text.trim().replace(/_/g, ''));
  if (!m) return null;
  const value = Number(m[1]) * 10 ** Number(m[2] ?? 0) * SI[m[3] ?? '']!;
  return Number.isFinite(value) ? value : null;
}

/** An integer: digits, optionally grouped with `_` (`--port`, `--seed`, `--iterations`). */
export function parseInteger(flag: string, raw: string, range: Range): number {
  const { min } = range;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const n = INTEGER.test(raw) ? Number(raw.replaceAll('_', '')) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const accepted = range.max === undefined ? `≥ ${min}` : `between ${min} and ${max}`;
    throw new UsageError(`${flag}: expected an integer ${accepted}, got "${raw}"`);
  }
  return n;
}

/** A whole number of things: `100`, `10k`, `1e6` (`--vus`, `--policies`, `--request-pool`). */
export function parseCount(flag: string, raw: string, range: Required<Range>): number {
  const v = tryParseSiNumber(raw);
  if (v === null || !Number.isInteger(v) || v < range.min || v > range.max) {
    throw new UsageError(`${flag}: "${raw}" must be a whole number ≥ ${range.min} and ≤ ${siText(range.max)} (e.g. 100, 10k)`);
  }
  return v;
}

/** An integer in [min, max], or `auto` for `auto` (e.g. one per core): `--generator-threads 2|auto`. */
export function parseIntegerOrAuto(flag: string, raw: string, range: Required<Range>, auto: number): number {
  if (raw.trim() === 'auto') return auto;
  const n = INTEGER.test(raw) ? Number(raw.replaceAll('_', '')) : NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max)
    throw new UsageError(`${flag}: expected an integer between ${range.min} and ${range.max} or "auto" (${auto}), got "${raw}"`);
  return n;
}

/** A rate > 0 up to `max`: `50000`, `50k`, `1M` requests per second. */
export function parseRate(flag: string, raw: string, max: number): number {
  const v = tryParseSiNumber(raw);
  if (v === null || !(v > 0) || v > max) {
    throw new UsageError(`${flag}: "${raw}" must be a positive number of requests per second up to ${siText(max)} (e.g. 50000, 50k, 1M)`);
  }
  return v;
}

/** `1k,5k,25k` → ascending distinct rates, each in (0, max]. */
export function parseRateList(flag: string, raw: string, max: number): number[] {
  const parts = raw.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new UsageError(`${flag}: give comma-separated rates, e.g. 1k,5k,25k,100k,1M`);
  return [...new Set(parts.map((p) => parseRate(flag, p, max)))].sort((a, b) => a - b);
}

/** A fraction: `0.7` or `70%`. `open` excludes 0 and 1 (headroom); otherwise 0..1 inclusive. */
export function parseFraction(flag: string, raw: string, open: boolean): number {
  const t = raw.trim();
  const pct = t.endsWith('%');
  const body = pct ? t.slice(0, -1) : t;
  const n = /^(\d+(\.\d*)?|\.\d+)$/.test(body) ? Number(body) : NaN;
  const v = pct ? n / 100 : n;
  const ok = t !== '' && t !== '%' && Number.isFinite(v) && (open ? v > 0 && v < 1 : v >= 0 && v <= 1);
  if (!ok) throw new UsageError(`${flag}: "${raw}" must be ${open ? 'between 0 and 1 exclusive' : 'between 0 and 1'} (e.g. 0.7 or 70%)`);
  return v;
}

/** A percentage in [0, max]: `10`, `10%`, `2.5%` → the number of percent. */
export function parsePercent(flag: string, raw: string, max: number): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(raw);
  const value = m ? Number(m[1]) : NaN;
  if (!(value >= 0 && value <= max)) throw new UsageError(`${flag}: expected a percentage between 0 and ${max}, e.g. 10 or 10%, got '${raw}'`);
  return value;
}

/** CPU cores in (0, max]: `2`, `1.5`, `500m` (Kubernetes millicores). */
export function parseCores(flag: string, raw: string, max: number): number {
  const t = raw.trim();
  const milli = /^(\d+)m$/.exec(t);
  const v = milli ? Number(milli[1]) / 1000 : /^\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
  if (!(v > 0) || !(v <= max)) throw new UsageError(`${flag}: "${raw}" must be a positive number of cores (e.g. 2, 1.5, 500m), at most ${max}`);
  return v;
}

/** `90000` → `90s`, `3600000` → `1h`: how duration ranges are shown. */
export function durationText(ms: number): string {
  for (const [unit, scale] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms >= scale && ms % scale === 0) return `${ms / scale}${unit}`;
  return `${ms}ms`;
}

export interface DurationRange {
  /** largest accepted value in milliseconds */
  maxMs: number;
  /** accept 0 (default: durations must be longer than 0) */
  allowZero?: boolean;
}

/** A duration with a unit (`1500ms`, `30s`, `1m30s`) → milliseconds in (0, maxMs] (or [0, maxMs]). */
export function parseDuration(flag: string, raw: string, range: DurationRange): number {
  const ms = tryParseDurationMs(raw);
  if (ms === null) throw new UsageError(`${flag}: "${raw}" is not a duration (use e.g. 1500ms, 30s, 2m, 1h)`);
  checkDuration(flag, raw, ms, range);
  return ms;
}

/** Milliseconds: a bare number is milliseconds, else a duration (`10`, `0.5ms`, `1s`). */
export function tryParseMilliseconds(raw: string): number | null {
  const t = raw.trim();
  return /^\d+(\.\d+)?$/.test(t) ? Number(t) : tryParseDurationMs(t);
}

/** A latency target in (0, maxMs]: `10`, `10ms`, `0.5ms`, `1s` (a bare number is ms). */
export function parseLatency(flag: string, raw: string, maxMs: number): number {
  const v = tryParseMilliseconds(raw);
  if (v === null || !(v > 0) || v > maxMs) {
    throw new UsageError(`${flag}: "${raw}" must be a positive latency (e.g. 10ms, 0.5ms, 1s; a bare number is ms), at most ${durationText(maxMs)}`);
  }
  return v;
}

/** Milliseconds in [0, maxMs]: a bare number is ms (`500`, `500ms`, `2s`); `off`/`none` is 0 with allowOff. */
export function parseMilliseconds(flag: string, raw: string, range: DurationRange & { allowOff?: boolean }): number {
  const t = raw.trim();
  if (range.allowOff && (t === 'off' || t === 'none')) return 0;
  const ms = tryParseMilliseconds(t);
  if (ms === null || !Number.isFinite(ms) || ms > range.maxMs || (!range.allowZero && ms === 0)) {
    throw new UsageError(`${flag}: expected milliseconds or a duration such as 500, 500ms, 2s${range.allowOff ? ' (or off)' : ''}, at most ${durationText(range.maxMs)}, got '${raw}'`);
  }
  return ms;
}

function checkDuration(flag: string, raw: string, ms: number, range: DurationRange): void {
  if (ms > range.maxMs) throw new UsageError(`${flag}: must be at most ${durationText(range.maxMs)} (got '${raw}')`);
  if (ms === 0 && !range.allowZero) throw new UsageError(`${flag}: must be longer than 0 and at most ${durationText(range.maxMs)} (got '${raw}')`);
}

const BYTE_UNIT: Record<string, number> = { '': 1, B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 };
const BYTES = /^(\d+(?:_\d+)*)\s*(B|KiB|MiB|GiB|kB|KB|MB|GB)?$/;

/** A byte size: `1048576`, `512KiB`, `1MiB`, `64MB`. */
export function parseBytes(flag: string, raw: string, range: Required<Range>): number {
  const m = BYTES.exec(raw);
  const n = m ? Number(m[1]!.replaceAll('_', '')) * BYTE_UNIT[m[2] ?? '']! : NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw new UsageError(`${flag}: expected a byte size between ${range.min} and ${range.max} (e.g. 1048576, 512KiB, 1MiB), got "${raw}"`);
  }
  return n;
}

/** `http://host:port[/base]` without a trailing slash. */
export function parseUrl(flag: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${flag}: '${text}' is not a URL (e.g. http://127.0.0.1:3592)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${flag}: only http:// and https:// URLs are supported (got '${text}')`);
  return url.href.replace(/\/+$/, '');
}

/** commander's collector for a repeatable flag: `--param a --param b` → ['a', 'b']. */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A repeatable flag that also takes comma-separated values: `--scenario a,b --scenario c`. */
export function repeatableList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').filter(Boolean)];
}

/** Seeds are 32-bit: the seeded generators keep `seed >>> 0`. */
export const SEED_RANGE = { min: 0, max: 2 ** 32 - 1 } as const;

/** A comma-separated list of accepted names, each once (`--engines reference,cerbos`). */
export function parseList<T extends string>(flag: string, raw: string, accepted: readonly T[]): T[] {
  const items = [...new Set(raw.split(',').map((x) => x.trim()).filter(Boolean))];
  const bad = items.find((x) => !accepted.includes(x as T));
  if (bad !== undefined || items.length === 0) throw new UsageError(`${flag}: expected a comma-separated list of ${accepted.join(', ')}, got '${raw}'`);
  return items as T[];
}

/** A duration between `minMs` and `maxS`, in seconds (`--step-duration 1.5s`). */
export function parseDurationS(flag: string, raw: string, maxS: number, minMs = 200): number {
  const ms = tryParseDurationMs(raw);
  if (ms === null || ms < minMs || ms > maxS * 1000) throw new UsageError(`${flag}: expected a duration between ${minMs}ms and ${maxS}s (e.g. 1.5s, 500ms), got '${raw}'`);
  return ms / 1000;
}
