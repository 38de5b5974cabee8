/**
 * Number, duration, byte and percent formatting shared by the renderers (terminal, Markdown,
 * HTML), the sizing model's working text and the doctor's findings. Pure functions; output is locale-independent (en-US style separators) so reports read
 * the same on every machine and tests can match them.
 */

/** Shown for a missing or non-finite value. */
export const MISSING = '–';

function isMissing(value: number | null | undefined): value is null | undefined {
  return value === null || value === undefined || !Number.isFinite(value);
}

/**
 * Groups the integer part with commas: 1234567.5 → "1,234,567.5". A loop over the digits, not a
 * look-ahead regex: renderers call this for every figure, so it must stay cheap.
 */
function groupThousands(text: string): string {
  const dot = text.indexOf('.');
  const end = dot === -1 ? text.length : dot;
  const start = text.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  if (end - start <= 3) return text;
  let out = text.slice(0, start);
  const first = (end - start) % 3 || 3;
  out += text.slice(start, start + first);
  for (let i = start + first; i < end; i += 3) out += ',' + text.slice(i, i + 3);
  return dot === -1 ? out : out + text.slice(dot);
}

/**
 * A plain number with sensible precision: integers and large values get thousands separators
 * and no decimals (12,346); smaller values keep `significant` significant digits (12.3, 0.0123).
 */
export function formatNumber(value: number | null | undefined, significant = 3): string {
  if (isMissing(value)) return MISSING;
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (Number.isInteger(value) || abs >= 10 ** (significant - 1)) return groupThousands(Math.round(value).toString());
  const decimals = Math.min(12, Math.max(0, significant - 1 - Math.floor(Math.log10(abs))));
  return groupThousands(stripZeros(value.toFixed(decimals)));
}

/** A fixed number of decimals with thousands separators: formatFixed(1234.5, 2) → "1,234.50". */
export function formatFixed(value: number | null | undefined, decimals: number): string {
  if (isMissing(value)) return MISSING;
  return groupThousands(value.toFixed(decimals));
}

/** An integer count with separators: 1234567 → "1,234,567". */
export function formatCount(value: number | null | undefined): string {
  if (isMissing(value)) return MISSING;
  return groupThousands(Math.round(value).toString());
}

/** Compact SI form for big counts and rates: 1234 → "1.23k", 4_560_000 → "4.56M". */
export function formatSi(value: number | null | undefined, significant = 3): string {
  if (isMissing(value)) return MISSING;
  const abs = Math.abs(value);
  const steps: Array<[number, string]> = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, suffix] of steps) {
    if (abs >= scale * 0.9995) return `${toSignificant(value / scale, significant)}${suffix}`;
  }
  return formatNumber(value, significant);
}

/** Operations per second, compact: "1.23M ops/s". `unit` changes the suffix (e.g. "req/s"). */
export function formatRate(perSecond: number | null | undefined, unit = 'ops/s'): string {
  if (isMissing(perSecond)) return MISSING;
  return `${formatSi(perSecond)} ${unit}`;
}

/**
 * A duration given in nanoseconds, in the unit that fits: 850 → "850 ns", 12_345 → "12.3 µs",
 * 4_500_000 → "4.50 ms", 2_500_000_000 → "2.50 s", 125 s → "2m 05s". Three significant digits.
 */
export function formatDurationNs(ns: number | null | undefined): string {
  if (isMissing(ns)) return MISSING;
  const sign = ns < 0 ? '-' : '';
  const abs = Math.abs(ns);
  if (abs < 0.0005) return '0 ns';
  // thresholds sit just below each power of 1000 so 999.7 ns reads "1.00 µs", not "1000 ns"
  if (abs < 999.5) return `${sign}${toSignificant(abs, 3)} ns`;
  if (abs < 999.5e3) return `${sign}${toSignificant(abs / 1e3, 3)} µs`;
  if (abs < 999.5e6) return `${sign}${toSignificant(abs / 1e6, 3)} ms`;
  if (abs < 59.95e9) return `${sign}${toSignificant(abs / 1e9, 3)} s`;
  const totalS = Math.round(abs / 1e9);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  return h > 0 ? `${sign}${h}h ${pad2(m)}m ${pad2(s)}s` : `${sign}${m}m ${pad2(s)}s`;
}

/** A duration given in microseconds (see formatDurationNs). */
export function formatDurationUs(us: number | null | undefined): string {
  return isMissing(us) ? MISSING : formatDurationNs(us * 1e3);
}

/** A duration given in milliseconds (see formatDurationNs): 0.0123 → "12.3 µs", 1530 → "1.53 s". */
export function formatDurationMs(ms: number | null | undefined): string {
  return isMissing(ms) ? MISSING : formatDurationNs(ms * 1e6);
}

/** A duration given in seconds (see formatDurationNs): 0.25 → "250 ms", 90 → "1m 30s". */
export function formatDurationS(s: number | null | undefined): string {
  return isMissing(s) ? MISSING : formatDurationNs(s * 1e9);
}

/** Bytes in binary units: 512 → "512 B", 1536 → "1.50 KiB", 8 GiB → "8.00 GiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (isMissing(bytes)) return MISSING;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = Math.abs(bytes);
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  const sign = bytes < 0 ? '-' : '';
  return i === 0 ? `${sign}${Math.round(value)} B` : `${sign}${value.toFixed(2)} ${units[i]}`;
}

/** A fraction as a percentage: 0.1234 → "12.3%", 0.999 → "99.9%". `decimals` defaults to 1. */
export function formatPercent(fraction: number | null | undefined, decimals = 1): string {
  if (isMissing(fraction)) return MISSING;
  return `${groupThousands((fraction * 100).toFixed(decimals))}%`;
}

/** A value already in percent: 12.34 → "12.3%". */
export function formatPercentValue(percent: number | null | undefined, decimals = 1): string {
  return isMissing(percent) ? MISSING : formatPercent(percent / 100, decimals);
}

/** A signed change in percent, for comparisons: 12.34 → "+12.3%", -5 → "-5.0%", 0 → "0.0%". */
export function formatChangePercent(percent: number | null | undefined, decimals = 1): string {
  if (isMissing(percent)) return MISSING;
  const text = Math.abs(percent).toFixed(decimals);
  if (Number(text) === 0) return `${(0).toFixed(decimals)}%`;
  return `${percent > 0 ? '+' : '-'}${groupThousands(text)}%`;
}

/** `2026-11-23T09:30:00.123Z` → `2026-11-23 09:30:00 UTC`; anything unparsable is returned as is. */
export function formatTimestamp(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Wall time between two ISO timestamps, e.g. "12.3 s"; MISSING when either is unparsable. */
export function formatElapsed(startedAt: string, finishedAt: string): string {
  const ms = Date.parse(finishedAt) - Date.parse(startedAt);
  return Number.isFinite(ms) ? formatDurationMs(ms) : MISSING;
}

/**
 * A value with a unit as recorded in a Headline (`unit` is free text). Known units get the matching
 * formatter (ns/µs/us/ms/s, bytes/B, %, ratio "fraction", ops/s and other "/s" rates); anything else
 * is the number followed by the unit.
 */
export function formatValue(value: number | null | undefined, unit: string): string {
  if (isMissing(value)) return MISSING;
  switch (unit) {
    case 'ns':
      return formatDurationNs(value);
    case 'µs':
    case 'us':
      return formatDurationUs(value);
    case 'ms':
      return formatDurationMs(value);
    case 's':
      return formatDurationS(value);
    case 'bytes':
    case 'B':
      return formatBytes(value);
    case '%':
      return formatPercentValue(value, 2);
    case 'fraction':
    case 'ratio':
      return formatPercent(value, 2);
    case '':
      return formatNumber(value);
    default:
      if (unit.endsWith('/s')) return formatRate(value, unit);
      return `${formatNumber(value)} ${unit}`;
  }
}

function toSignificant(value: number, significant: number): string {
  if (value === 0) return '0';
  // magnitude after rounding, so 0.9997 → "1.00" rather than "1.000"
  const abs = Math.abs(Number(value.toPrecision(significant)));
  const magnitude = Math.floor(Math.log10(abs));
  const decimals = Math.min(20, Math.max(0, significant - 1 - magnitude));
  return groupThousands(value.toFixed(decimals));
}

function stripZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

function pad2(n: number): string {
  return n.toString().padStart(2, '0');
}

/** `100000000` → `100M`, `1500` → `1.5k`: how ranges of counts and rates are shown. */
export function siText(n: number): string {
  for (const [suffix, scale] of [['G', 1e9], ['M', 1e6], ['k', 1e3]] as const) {
    if (n >= scale && Number.isInteger((n / scale) * 1000)) return `${n / scale}${suffix}`;
  }
  return String(n);
}
