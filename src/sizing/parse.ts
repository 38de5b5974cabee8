/**
 * Flag value parsers for `size`. Each throws a UsageError naming the flag and what it accepts.
 */
import { UsageError } from '../util/errors.js';
import { tryParseDurationMs } from '../util/duration.js';

const SI: Record<string, number> = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9 };
const SI_NUMBER = /^(\d+(?:\.\d+)?|\.\d+)(?:e(\d+))?\s*([kKmMgG]?)$/;

/** `50000`, `50k`, `1.5M`, `1e6` → number; null when malformed. */
export function tryParseSiNumber(text: string): number | null {
  const m = SI_NUMBER.exec(text.trim().replace(/_/g, ''));
  if (!m) return null;
  const value = Number(m[1]) * 10 ** Number(m[2] ?? 0) * SI[m[3] ?? '']!;
  return Number.isFinite(value) ? value : null;
}

/** A rate > 0: `--rps 50000`, `50k`, `1M`. */
export function parsePositiveRate(text: string, flag: string): number {
  const v = tryParseSiNumber(text);
  if (v === null || !(v > 0)) throw new UsageError(`${flag}: "${text}" must be a positive number of requests per second (e.g. 50000, 50k, 1M)`);
  return v;
}

/** A whole number ≥ min: counts such as --policies, --pool-size. */
export function parseCount(text: string, flag: string, min = 0): number {
  const v = tryParseSiNumber(text);
  if (v === null || !Number.isInteger(v) || v < min) throw new UsageError(`${flag}: "${text}" must be a whole number ≥ ${min} (e.g. 100, 10k)`);
  return v;
}

/** A fraction: `0.7` or `70%`. `open` excludes 0 and 1 (headroom); otherwise 0..1 inclusive. */
export function parseFraction(text: string, flag: string, open: boolean): number {
  const t = text.trim();
  const pct = t.endsWith('%');
  const body = pct ? t.slice(0, -1) : t;
  const n = /^(\d+(\.\d*)?|\.\d+)$/.test(body) ? Number(body) : NaN;
  const v = pct ? n / 100 : n;
  const ok = t !== '' && t !== '%' && Number.isFinite(v) && (open ? v > 0 && v < 1 : v >= 0 && v <= 1);
  if (!ok) {
    throw new UsageError(
      `${flag}: "${text}" must be ${open ? 'between 0 and 1 exclusive' : 'between 0 and 1'} (e.g. 0.7 or 70%)`,
    );
  }
  return v;
}

/** A latency target in ms: `10`, `10ms`, `0.5ms`, `1s`. */
export function parseLatencyMs(text: string, flag: string): number {
  const t = text.trim();
  const v = /^\d+(\.\d+)?$/.test(t) ? Number(t) : tryParseDurationMs(t);
  if (v === null || !(v > 0)) throw new UsageError(`${flag}: "${text}" must be a positive latency (e.g. 10ms, 0.5ms, 1s; a bare number is ms)`);
  return v;
}

/** CPU cores: `2`, `1.5`, `500m` (Kubernetes millicores). */
export function parseCores(text: string, flag: string): number {
  const t = text.trim();
  const milli = /^(\d+)m$/.exec(t);
  const v = milli ? Number(milli[1]) / 1000 : /^\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
  if (!(v > 0) || !Number.isFinite(v)) throw new UsageError(`${flag}: "${text}" must be a positive number of cores (e.g. 2, 1.5, 500m)`);
  return v;
}

/** `1k,5k,25k` → ascending distinct rates. */
export function parseRateList(text: string, flag: string): number[] {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new UsageError(`${flag}: give comma-separated rates, e.g. 1k,5k,25k,100k,1M`);
  return [...new Set(parts.map((p) => parsePositiveRate(p, flag)))].sort((a, b) => a - b);
}
