/**
 * k6 import: a k6 end-of-test JSON summary (handleSummary `data` or the legacy --summary-export
 * file) as a loadtest section; report/build.ts gives it its envelope.
 */
import { InputError } from '../util/errors.js';
import { isObject, num } from '../util/json-values.js';
import { TOOL_NAME } from '../util/version.js';
import { parseThreshold } from './thresholds.js';
import type { LatencySummary, LoadtestSection, Threshold, ThresholdResult } from './types.js';

interface K6Metric {
  values: Record<string, number>;
  /** expression → passed */
  thresholds: Record<string, boolean>;
}

/**
 * A k6 end-of-test summary as a loadtest section, with the run's length in ms (the envelope's
 * startedAt is that long before now). Accepts handleSummary's `data` (metrics with
 * `values` and thresholds `{ ok }`) and the legacy `--summary-export` file (flat values,
 * threshold booleans that are true when the threshold FAILED, the reverse of handleSummary).
 */
export function importK6Summary(json: unknown, file: string): { section: LoadtestSection; durationMs: number } {
  if (!isObject(json) || !isObject(json.metrics))
    throw new InputError('not a k6 end-of-test summary (no "metrics" object)', { file });
  const metrics = new Map<string, K6Metric>();
  for (const [name, raw] of Object.entries(json.metrics)) {
    if (isObject(raw)) metrics.set(name, normaliseMetric(raw));
  }
  const reqs = metrics.get('http_reqs');
  const duration = metrics.get('http_req_duration');
  if (!reqs || !duration) throw new InputError('k6 summary has no http_reqs / http_req_duration metrics', { file });
  const failed = metrics.get('http_req_failed');
  const dropped = metrics.get('dropped_iterations');
  const vusMax = metrics.get('vus_max');
  const state = isObject(json.state) ? json.state : {};
  const total = num(reqs.values.count) ?? 0;
  const rate = num(reqs.values.rate);
  const durationMs = num(state.testRunDurationMs) ?? (rate && rate > 0 ? (total / rate) * 1000 : 0);
  const durationS = durationMs / 1000;
  // Rate metrics: `passes` counts true samples, i.e. failed requests for http_req_failed
  const failedCount = failed ? (num(failed.values.passes) ?? Math.round((num(failed.values.rate) ?? num(failed.values.value) ?? 0) * total)) : 0;
  const droppedCount = dropped ? (num(dropped.values.count) ?? 0) : 0;
  const d = durationS > 0 ? durationS : 1;
  const v = duration.values;
  const service: LatencySummary = {
    count: total - failedCount,
    minMs: num(v.min) ?? 0,
    meanMs: num(v.avg) ?? 0,
    stdevMs: null,
    p50Ms: num(v.med) ?? num(v['p(50)']) ?? 0,
    p75Ms: num(v['p(75)']),
    p90Ms: num(v['p(90)']),
    p95Ms: num(v['p(95)']),
    p99Ms: num(v['p(99)']),
    p999Ms: num(v['p(99.9)']),
    p9999Ms: num(v['p(99.99)']),
    maxMs: num(v.max) ?? 0,
  };
  const spectrum = (
    [
      [50, service.p50Ms],
      [75, service.p75Ms],
      [90, service.p90Ms],
      [95, service.p95Ms],
      [99, service.p99Ms],
      [99.9, service.p999Ms],
      [99.99, service.p9999Ms],
      [100, service.maxMs],
    ] as Array<[number, number | null]>
  )
    .filter((e): e is [number, number] => e[1] !== null)
    .map(([percentile, ms]) => ({ percentile, correctedMs: null, serviceMs: round3(ms) }));
  const thresholds: ThresholdResult[] = [];
  const warnings: string[] = [
    'imported from a k6 summary: latency is k6 service time (no coordinated-omission correction); no per-second series',
  ];
  for (const [metric, m] of metrics) {
    for (const [expr, passed] of Object.entries(m.thresholds)) {
      const t = translateK6Threshold(metric, expr);
      if (t) thresholds.push({ ...t, actual: k6Actual(t, m, d), passed });
      else warnings.push(`k6 threshold ${metric}: '${expr}' has no ${TOOL_NAME} equivalent (${passed ? 'passed' : 'FAILED'})`);
    }
  }
  const section: LoadtestSection = {
    config: {
      model: 'open',
      targetUrl: 'unknown (k6)',
      bundledTarget: false,
      scenario: null,
      profile: null,
      seed: 0,
      stages: [],
      plannedDurationS: round3(durationS),
      maxConnections: num(vusMax?.values.max) ?? num(vusMax?.values.value) ?? 0,
      timeoutMs: 0,
      thinkTimeMs: null,
      requestPoolSize: 0,
      lateThresholdMs: 0,
    },
    durationS: round3(durationS),
    counts: {
      scheduled: total + droppedCount,
      sent: total,
      completed: total,
      succeeded: total - failedCount,
      failed: failedCount,
      dropped: droppedCount,
      late: 0,
      abandoned: 0,
    },
    rates: {
      targetRps: null,
      sentRps: round1(total / d),
      completedRps: round1(total / d),
      achievedRps: round1((total - failedCount) / d),
    },
    latency: { corrected: null, service },
    spectrum,
    scheduler: null,
    connections: { max: num(vusMax?.values.max) ?? 0, opened: 0, peakInFlight: 0, exhaustedCount: 0 },
    errors: {
      total: failedCount,
      rate: total > 0 ? Math.round((failedCount / total) * 1e6) / 1e6 : 0,
      connect: 0,
      timeout: 0,
      byStatus: {},
      mismatch: 0,
      other: failedCount,
      samples: [],
    },
    series: [],
    thresholds,
    thresholdsPassed: thresholds.every((t) => t.passed),
    generator: { cpuSeconds: 0, cpuUtilization: 0, saturated: false },
    warnings,
    importedFrom: 'k6',
  };
  return { section, durationMs };
}

function normaliseMetric(raw: Record<string, unknown>): K6Metric {
  const values: Record<string, number> = {};
  const source = isObject(raw.values) ? raw.values : raw;
  for (const [k, val] of Object.entries(source)) if (typeof val === 'number') values[k] = val;
  const thresholds: Record<string, boolean> = {};
  if (isObject(raw.thresholds)) {
    for (const [expr, val] of Object.entries(raw.thresholds)) {
      if (isObject(val) && typeof val.ok === 'boolean') thresholds[expr] = val.ok;
      // legacy --summary-export: true means the threshold failed
      else if (typeof val === 'boolean') thresholds[expr] = !val;
    }
  }
  return { values, thresholds };
}

/** k6 `metric: expr` → our threshold, or null when there is no equivalent. */
export function translateK6Threshold(metric: string, expr: string): Threshold | null {
  const m = /^\s*([a-z]+(?:\(\s*[\d.]+\s*\))?)\s*(<=|>=|==|===|!=|<|>)\s*(-?[\d.]+(?:e[+-]?\d+)?)\s*$/i.exec(expr);
  if (!m) return null;
  const [, agg, rawOp, value] = m as unknown as [string, string, string, string];
  const op = rawOp === '===' ? '==' : rawOp;
  if (op === '!=') return null;
  let ours: string | null = null;
  const base = metric.replace(/\{.*\}$/, '');
  if (base !== metric) return null; // sub-metric thresholds (tags) have no equivalent
  if (metric === 'http_req_duration') {
    const p = /^p\(\s*([\d.]+)\s*\)$/.exec(agg);
    if (p) ours = `p${p[1]}${op}${value}ms`;
    else if (agg === 'med') ours = `p50${op}${value}ms`;
    else if (agg === 'avg') ours = `mean${op}${value}ms`;
    else if (agg === 'max') ours = `max${op}${value}ms`;
  } else if (metric === 'http_req_failed' && agg === 'rate') ours = `error_rate${op}${value}`;
  else if (metric === 'http_reqs' && agg === 'rate') ours = `rps${op}${value}`;
  if (!ours) return null;
  try {
    return { ...parseThreshold(ours, 'flag'), expression: `${metric}: ${expr.trim()}` };
  } catch {
    return null;
  }
}

function k6Actual(t: Threshold, m: K6Metric, durationS: number): number | null {
  switch (t.metric) {
    case 'latency':
      return num(t.percentile === 50 ? (m.values.med ?? m.values['p(50)']) : m.values[`p(${t.percentile})`]);
    case 'mean':
      return num(m.values.avg);
    case 'max':
      return num(m.values.max);
    case 'error_rate':
      return num(m.values.rate) ?? num(m.values.value);
    case 'rps':
      return num(m.values.rate) ?? (num(m.values.count) ?? 0) / durationS;
    case 'dropped_rate':
      return null;
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
