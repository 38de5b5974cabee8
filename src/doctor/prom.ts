/**
 * Reading a Prometheus text exposition the way the rules need it: samples by name and labels,
 * counters as deltas between two scrapes, histograms as bucket deltas with Prometheus's
 * histogram_quantile interpolation. The text itself is parsed by the loadtest room's parser.
 */
import { parsePrometheusText, type MetricSamples } from '../load/prometheus.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One scrape: its samples by metric name, and when it was taken (ms on the run's clock). */
export interface Scrape {
  atMs: number;
  byName: Map<string, Sample[]>;
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of text.matchAll(LABEL)) labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return labels;
}

export function toScrape(samples: MetricSamples, atMs: number): Scrape {
  const byName = new Map<string, Sample[]>();
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    const name = brace >= 0 ? key.slice(0, brace) : key;
    const labels = brace >= 0 ? parseLabels(key.slice(brace)) : {};
    let list = byName.get(name);
    if (list === undefined) byName.set(name, (list = []));
    list.push({ name, labels, value });
  }
  return { atMs, byName };
}

export function parseScrape(text: string, atMs: number): Scrape {
  return toScrape(parsePrometheusText(text), atMs);
}

export type LabelFilter = (labels: Record<string, string>) => boolean;

/** Sum of a metric's samples (those passing `filter`); null when the metric is absent. */
export function total(s: Scrape, name: string, filter?: LabelFilter): number | null {
  const list = s.byName.get(name);
  if (list === undefined) return null;
  let sum = 0;
  let found = false;
  for (const x of list) {
    if (filter && !filter(x.labels)) continue;
    if (!Number.isFinite(x.value)) continue;
    sum += x.value;
    found = true;
  }
  return found ? sum : null;
}

export function has(s: Scrape, name: string): boolean {
  return s.byName.has(name);
}

/** Counter increase between two scrapes (a reset in between counts from zero). */
export function increase(before: Scrape, after: Scrape, name: string, filter?: LabelFilter): number | null {
  const a = total(after, name, filter);
  if (a === null) return null;
  const b = total(before, name, filter) ?? 0;
  return a >= b ? a - b : a;
}

export interface HistogramDelta {
  /** upper bounds ascending, +Inf last, with cumulative counts */
  buckets: Array<{ le: number; count: number }>;
  sum: number;
  count: number;
}

function buckets(s: Scrape, name: string, filter?: LabelFilter): Map<number, number> {
  const out = new Map<number, number>();
  for (const x of s.byName.get(`${name}_bucket`) ?? []) {
    if (filter && !filter(x.labels)) continue;
    const le = x.labels.le === '+Inf' ? Infinity : Number(x.labels.le);
    if (Number.isNaN(le)) continue;
    out.set(le, (out.get(le) ?? 0) + x.value);
  }
  return out;
}

/** A histogram's observations between two scrapes, summed over its label sets; null when absent. */
export function histogramDelta(before: Scrape, after: Scrape, name: string, filter?: LabelFilter): HistogramDelta | null {
  const a = buckets(after, name, filter);
  if (a.size === 0) return null;
  const b = buckets(before, name, filter);
  const list = [...a.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([le, count]) => ({ le, count: Math.max(0, count - (b.get(le) ?? 0)) }));
  return {
    buckets: list,
    sum: increase(before, after, `${name}_sum`, filter) ?? 0,
    count: increase(before, after, `${name}_count`, filter) ?? list[list.length - 1]?.count ?? 0,
  };
}

/**
 * Prometheus's histogram_quantile: linear interpolation inside the bucket that holds rank q×count.
 * When the rank falls in the +Inf bucket the highest finite bound is returned (a lower bound).
 * Null without observations.
 */
export function histogramQuantile(h: HistogramDelta, q: number): number | null {
  const n = h.buckets[h.buckets.length - 1]?.count ?? 0;
  if (n <= 0) return null;
  const rank = q * n;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      const inBucket = b.count - prevCount;
      if (inBucket <= 0) return b.le;
      return prevLe + (b.le - prevLe) * ((rank - prevCount) / inBucket);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

/** Upper bound of the bucket that holds rank q×count (the coarse, never-understated reading). */
export function histogramBucketBound(h: HistogramDelta, q: number): number | null {
  const n = h.buckets[h.buckets.length - 1]?.count ?? 0;
  if (n <= 0) return null;
  let finite = 0;
  for (const b of h.buckets) {
    if (b.le !== Infinity) finite = b.le;
    if (b.count >= q * n) return b.le === Infinity ? finite : b.le;
  }
  return finite;
}
