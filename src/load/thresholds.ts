/**
 * Threshold grammar, parsed up front (k6's rule: an unknown metric is an error, never a silent pass).
 *
 *   threshold := metric op number unit?
 *   metric    := pN | p(N) | med | mean | avg | max | error_rate | dropped_rate | rps
 *   op        := < | <= | > | >= | ==
 *   unit      := ms | s | us | µs   (latency; default ms)
 *              | %                  (rates; without it the number is a fraction)
 *              | /s | rps           (rps)
 *
 * Latency thresholds apply to corrected latency in the open model, service time in the closed one.
 */
import { UsageError } from '../util/errors.js';
import type { Threshold, ThresholdMetric, ThresholdOp, ThresholdResult } from './types.js';

export const KNOWN_METRICS =
  'p50, p90, p95, p99, p99.9 (any pN or p(N), 0 < N ≤ 100), med, mean (avg), max, error_rate, dropped_rate, rps';

const PATTERN = /^([a-z_]+(?:\d+(?:\.\d+)?)?|p\(\s*\d+(?:\.\d+)?\s*\))\s*(<=|>=|==|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([a-zµ%/]*)$/i;

/** Parses one expression; throws UsageError naming the flag and the accepted forms. */
export function parseThreshold(text: string, source: Threshold['source'] = 'flag'): Threshold {
  const trimmed = text.trim();
  const m = PATTERN.exec(trimmed);
  const where = `--threshold '${text}'`;
  if (!m) {
    // distinguish an unknown metric from a malformed expression when the metric part is readable
    const name = /^\s*([a-z_][a-z_0-9.()]*)/i.exec(text)?.[1];
    if (name && !isKnownMetricName(name)) throw unknownMetric(name, where);
    throw new UsageError(`${where}: expected METRIC OP VALUE[UNIT], e.g. 'p99<50ms', 'error_rate<0.1%', 'rps>=4900'`);
  }
  const [, rawMetric, rawOp, rawValue, rawUnit] = m as unknown as [string, string, string, string, string];
  const metricName = rawMetric.toLowerCase().replace(/\s+/g, '');
  const op = rawOp as ThresholdOp;
  const number = Number(rawValue);
  const unit = rawUnit.toLowerCase();
  const { metric, percentile } = resolveMetric(metricName, where);
  let value: number;
  switch (metric) {
    case 'latency':
    case 'mean':
    case 'max': {
      const scale = LATENCY_UNITS[unit];
      if (scale === undefined) throw new UsageError(`${where}: latency unit must be ms, s or us (got '${rawUnit}')`);
      if (number < 0) throw new UsageError(`${where}: a latency cannot be negative`);
      value = number * scale;
      break;
    }
    case 'error_rate':
    case 'dropped_rate':
      if (unit !== '' && unit !== '%') throw new UsageError(`${where}: ${metric} takes a percentage (0.1%) or a fraction (0.001)`);
      value = unit === '%' ? number / 100 : number;
      if (value < 0 || value > 1) throw new UsageError(`${where}: ${metric} must be between 0 and 100%`);
      break;
    case 'rps':
      if (unit !== '' && unit !== '/s' && unit !== 'rps') throw new UsageError(`${where}: rps takes a plain number (rps>=4900)`);
      if (number < 0) throw new UsageError(`${where}: a rate cannot be negative`);
      value = number;
      break;
  }
  const unitText = unit === '' && (metric === 'latency' || metric === 'mean' || metric === 'max') ? 'ms' : rawUnit;
  return { expression: `${metricName}${op}${rawValue}${unitText}`, metric, percentile, op, value, source };
}

const LATENCY_UNITS: Record<string, number> = { '': 1, ms: 1, s: 1000, us: 0.001, 'µs': 0.001 };

function resolveMetric(name: string, where: string): { metric: ThresholdMetric; percentile: number | null } {
  switch (name) {
    case 'mean':
    case 'avg':
      return { metric: 'mean', percentile: null };
    case 'max':
      return { metric: 'max', percentile: null };
    case 'med':
      return { metric: 'latency', percentile: 50 };
    case 'error_rate':
    case 'dropped_rate':
    case 'rps':
      return { metric: name, percentile: null };
  }
  const p = /^p\(?(\d+(?:\.\d+)?)\)?$/.exec(name);
  if (p) {
    const percentile = Number(p[1]);
    if (percentile > 0 && percentile <= 100) return { metric: 'latency', percentile };
    throw new UsageError(`${where}: percentile must be above 0 and at most 100 (got ${p[1]})`);
  }
  throw unknownMetric(name, where);
}

function isKnownMetricName(name: string): boolean {
  return /^(mean|avg|max|med|error_rate|dropped_rate|rps|p\(?\d+(\.\d+)?\)?)$/i.test(name);
}

function unknownMetric(name: string, where: string): UsageError {
  return new UsageError(`${where}: unknown metric '${name}'; known metrics: ${KNOWN_METRICS}`);
}

/** The scenario's SLO block as default thresholds (all `<=`). */
export function sloThresholds(slo: { p50Ms?: number; p95Ms?: number; p99Ms?: number; errorRate?: number } | null | undefined): Threshold[] {
  if (!slo) return [];
  const out: Threshold[] = [];
  const latency = (p: number, ms: number | undefined): void => {
    if (typeof ms === 'number' && Number.isFinite(ms))
      out.push({ expression: `p${p}<=${ms}ms`, metric: 'latency', percentile: p, op: '<=', value: ms, source: 'scenario-slo' });
  };
  latency(50, slo.p50Ms);
  latency(95, slo.p95Ms);
  latency(99, slo.p99Ms);
  if (typeof slo.errorRate === 'number' && Number.isFinite(slo.errorRate)) {
    // a request dropped unsent (it waited past --timeout for a connection) failed the user as
    // surely as an error response, so the SLO's error budget bounds both
    for (const metric of ['error_rate', 'dropped_rate'] as const) {
      out.push({
        expression: `${metric}<=${trimNumber(slo.errorRate * 100)}%`,
        metric,
        percentile: null,
        op: '<=',
        value: slo.errorRate,
        source: 'scenario-slo',
      });
    }
  }
  return out;
}

/** What thresholds are measured against; latency in ms, rates as fractions. */
export interface ThresholdMeasures {
  latencyAtMs(percentile: number): number | null;
  meanMs: number | null;
  maxMs: number | null;
  errorRate: number | null;
  droppedRate: number | null;
  achievedRps: number | null;
}

export function evaluateThresholds(thresholds: readonly Threshold[], m: ThresholdMeasures): ThresholdResult[] {
  return thresholds.map((t) => {
    const actual = measure(t, m);
    return { ...t, actual, passed: actual !== null && compare(actual, t.op, t.value) };
  });
}

function measure(t: Threshold, m: ThresholdMeasures): number | null {
  switch (t.metric) {
    case 'latency':
      return m.latencyAtMs(t.percentile ?? 99);
    case 'mean':
      return m.meanMs;
    case 'max':
      return m.maxMs;
    case 'error_rate':
      return m.errorRate;
    case 'dropped_rate':
      return m.droppedRate;
    case 'rps':
      return m.achievedRps;
  }
}

export function compare(actual: number, op: ThresholdOp, value: number): boolean {
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
      return actual === value;
  }
}

function trimNumber(x: number): string {
  return Number(x.toPrecision(6)).toString();
}
