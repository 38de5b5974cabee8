/**
 * What one load generator of a distributed run (a Locust worker, a k6-operator runner) reports,
 * and the exact merge of several of them into one loadtest section. Counts add up; latency is
 * merged bucket by bucket (bucket-merge.ts), so percentiles are those of all requests together;
 * thresholds are judged on the merged figures, never per runner.
 */
import { BUCKET_SCHEME, bucketProblem, histogramOfBuckets, mergeBuckets, type BucketHistogram } from './bucket-merge.js';
import { percentileMs, round3, summarize, SPECTRUM_PERCENTILES, type Histogram } from './histogram.js';
import type { LoadShape } from './schedule.js';
import { evaluateThresholds, type ThresholdMeasures } from './thresholds.js';
import type { ErrorStats, LoadCounts, LoadtestConfig, LoadtestSection, RunnerView, SeriesPoint, SpectrumPoint, Threshold } from './types.js';

export const RUNNER_RESULT_FORMAT = 'authz-perf-runner/1';

/** One second of one runner (by send time for `sent`, completion time for the rest). */
export interface RunnerSecond {
  sent: number;
  completed: number;
  errors: number;
  /** latency of the second's completions (corrected when measured, else service), bucket pairs */
  latency: Array<[number, number]>;
}

export interface RunnerResult {
  format: typeof RUNNER_RESULT_FORMAT;
  /** e.g. 'locust worker 0' */
  runner: string;
  scheme: typeof BUCKET_SCHEME;
  /** the runner's sending phase, seconds */
  durationS: number;
  /** until its last response (≥ durationS) */
  activeS: number;
  interrupted: boolean;
  counts: LoadCounts;
  errors: Omit<ErrorStats, 'total' | 'rate'>;
  /** from the intended send time; null when the runner cannot know it (k6) */
  corrected: BucketHistogram | null;
  service: BucketHistogram;
  /** actual − intended send time of requests that did not wait for a connection */
  lag: BucketHistogram | null;
  /** empty when the runner keeps no per-second record (k6) */
  seconds: RunnerSecond[];
  connectionsOpened: number;
  peakInFlight: number;
  exhaustedCount: number;
  /** CPU seconds of the runner process over its run; null when unknown (k6) */
  cpuSeconds: number | null;
}

const COUNT_KEYS: ReadonlyArray<keyof LoadCounts> = ['scheduled', 'sent', 'completed', 'succeeded', 'failed', 'dropped', 'late', 'abandoned'];

/** Validates a parsed runner result file; throws Error(message) naming the first problem. */
export function parseRunnerResult(x: unknown): RunnerResult {
  const fail = (why: string): never => {
    throw new Error(why);
  };
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail('not a JSON object');
  const o = x as Record<string, unknown>;
  if (o.format !== RUNNER_RESULT_FORMAT) fail(`format must be '${RUNNER_RESULT_FORMAT}' (got ${JSON.stringify(o.format)})`);
  if (o.scheme !== BUCKET_SCHEME) fail(`scheme must be '${BUCKET_SCHEME}' (got ${JSON.stringify(o.scheme)})`);
  if (typeof o.runner !== 'string') fail('runner must be a string');
  for (const k of ['durationS', 'activeS'] as const) if (!(typeof o[k] === 'number' && (o[k] as number) >= 0)) fail(`${k} must be a number ≥ 0`);
  const counts = o.counts as Record<string, unknown> | undefined;
  if (typeof counts !== 'object' || counts === null) fail('counts must be an object');
  for (const k of COUNT_KEYS) if (!isCount(counts![k])) fail(`counts.${k} must be an integer ≥ 0`);
  const errors = o.errors as Record<string, unknown> | undefined;
  if (typeof errors !== 'object' || errors === null) fail('errors must be an object');
  for (const k of ['connect', 'timeout', 'mismatch', 'other'] as const) if (!isCount(errors![k])) fail(`errors.${k} must be an integer ≥ 0`);
  if (typeof errors!.byStatus !== 'object' || errors!.byStatus === null) fail('errors.byStatus must be an object');
  for (const [k, v] of Object.entries(errors!.byStatus as object)) if (!isCount(v)) fail(`errors.byStatus.${k} must be an integer ≥ 0`);
  if (!Array.isArray(errors!.samples) || !(errors!.samples as unknown[]).every((s) => typeof s === 'string')) fail('errors.samples must be an array of strings');
  for (const k of ['corrected', 'service', 'lag'] as const) {
    if (o[k] === null && k !== 'service') continue;
    const why = bucketProblem(o[k]);
    if (why) fail(`${k}: ${why}`);
  }
  if (!Array.isArray(o.seconds)) fail('seconds must be an array');
  for (const [i, s] of (o.seconds as unknown[]).entries()) {
    const r = s as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || !isCount(r.sent) || !isCount(r.completed) || !isCount(r.errors) || !Array.isArray(r.latency))
      fail(`seconds[${i}] must be { sent, completed, errors, latency }`);
  }
  for (const k of ['connectionsOpened', 'peakInFlight', 'exhaustedCount'] as const) if (!isCount(o[k])) fail(`${k} must be an integer ≥ 0`);
  if (!(o.cpuSeconds === null || (typeof o.cpuSeconds === 'number' && o.cpuSeconds >= 0))) fail('cpuSeconds must be a number ≥ 0 or null');
  return { ...(o as unknown as RunnerResult), interrupted: o.interrupted === true };
}

export interface MergeContext {
  config: LoadtestConfig;
  thresholds: readonly Threshold[];
  /** the whole run's load shape (series target rates); null when unknown */
  shape: LoadShape | null;
  /** notes to carry into the section (e.g. where the runner tool limits precision) */
  warnings?: string[];
  importedFrom?: string;
}

/** Several runners' results as one loadtest section, thresholds evaluated on the merge. */
export function mergeRunnerResults(results: readonly RunnerResult[], ctx: MergeContext): LoadtestSection {
  if (results.length === 0) throw new Error('no runner results to merge');
  const counts: LoadCounts = { scheduled: 0, sent: 0, completed: 0, succeeded: 0, failed: 0, dropped: 0, late: 0, abandoned: 0 };
  const errors: ErrorStats = { total: 0, rate: 0, connect: 0, timeout: 0, byStatus: {}, mismatch: 0, other: 0, samples: [] };
  for (const r of results) {
    for (const k of COUNT_KEYS) counts[k] += r.counts[k];
    errors.connect += r.errors.connect;
    errors.timeout += r.errors.timeout;
    errors.mismatch += r.errors.mismatch;
    errors.other += r.errors.other;
    for (const [status, n] of Object.entries(r.errors.byStatus)) errors.byStatus[status] = (errors.byStatus[status] ?? 0) + n;
    for (const s of r.errors.samples) if (errors.samples.length < 5 && !errors.samples.includes(s)) errors.samples.push(s);
  }
  errors.total = errors.connect + errors.timeout + errors.mismatch + errors.other + Object.values(errors.byStatus).reduce((a, b) => a + b, 0);
  errors.rate = counts.completed > 0 ? round6(errors.total / counts.completed) : 0;

  const hasCorrected = results.every((r) => r.corrected !== null);
  const corrected = hasCorrected ? histogramOfBuckets(mergeBuckets(results.map((r) => r.corrected!))) : null;
  const service = histogramOfBuckets(mergeBuckets(results.map((r) => r.service)));
  const lags = results.filter((r) => r.lag !== null).map((r) => r.lag!);
  const lag = lags.length === results.length ? histogramOfBuckets(mergeBuckets(lags)) : null;
  const headline = corrected ?? service;

  const durationS = Math.max(...results.map((r) => r.durationS));
  const activeS = Math.max(durationS, ...results.map((r) => r.activeS));
  const d = durationS > 0 ? durationS : 1e-9;
  const a = activeS > 0 ? activeS : d;
  const measures: ThresholdMeasures = {
    latencyAtMs: (p) => (headline.totalCount > 0 ? pointMs(headline, p) : null),
    meanMs: headline.totalCount > 0 ? round3(headline.mean / 1000) : null,
    maxMs: headline.totalCount > 0 ? round3(headline.maxValue / 1000) : null,
    errorRate: counts.completed > 0 ? errors.total / counts.completed : null,
    droppedRate: (counts.scheduled || counts.sent) > 0 ? counts.dropped / (counts.scheduled || counts.sent) : null,
    achievedRps: activeS > 0 ? counts.succeeded / activeS : null,
  };
  const thresholdResults = evaluateThresholds(ctx.thresholds, measures);
  const cpu = results.map((r) => (r.cpuSeconds !== null && r.activeS > 0 ? r.cpuSeconds / r.activeS : null));
  const knownCpu = cpu.filter((x): x is number => x !== null);
  const cpuUtilization = knownCpu.length ? Math.max(...knownCpu) : 0;
  const warnings = [...(ctx.warnings ?? [])];
  if (cpuUtilization >= 0.9)
    warnings.push(`a load generator used ${(cpuUtilization * 100).toFixed(0)}% of a core: it was saturated, so these figures show its limit, not the target's (add runners)`);
  if (counts.late > 0 && ctx.config.model === 'open')
    warnings.push(`${counts.late} requests were sent more than ${ctx.config.lateThresholdMs} ms after their intended time; their latency is still measured from the intended time`);
  if (counts.abandoned > 0) warnings.push(`${counts.abandoned} requests were still in flight when their runner stopped and were abandoned`);
  if (counts.dropped > 0) warnings.push(`${counts.dropped} requests were dropped unsent (no free connection / VU in time)`);
  const interrupted = results.filter((r) => r.interrupted).length;
  if (interrupted) warnings.push(`${interrupted} of ${results.length} runners stopped before the end of their plan; their partial results are merged`);

  const section: LoadtestSection = {
    config: ctx.config,
    durationS: round3(durationS),
    counts,
    rates: {
      targetRps: ctx.config.model === 'open' && counts.scheduled > 0 ? round1(counts.scheduled / d) : null,
      sentRps: round1(counts.sent / a),
      completedRps: round1(counts.completed / a),
      achievedRps: round1(counts.succeeded / a),
    },
    latency: { corrected: corrected ? summarize(corrected) : null, service: summarize(service) },
    spectrum: SPECTRUM_PERCENTILES.map(
      (p): SpectrumPoint => ({ percentile: p, correctedMs: corrected ? pointMs(corrected, p) : null, serviceMs: pointMs(service, p) }),
    ),
    scheduler:
      lag && lag.totalCount > 0 ? { lagP50Ms: round3(percentileMs(lag, 50)), lagP99Ms: round3(percentileMs(lag, 99)), lagMaxMs: round3(lag.maxValue / 1000) } : null,
    connections: {
      max: ctx.config.maxConnections,
      opened: sum(results.map((r) => r.connectionsOpened)),
      // each runner's own peak, added: an upper bound of the simultaneous total
      peakInFlight: sum(results.map((r) => r.peakInFlight)),
      exhaustedCount: sum(results.map((r) => r.exhaustedCount)),
    },
    errors,
    series: mergeSeries(results, ctx.shape),
    thresholds: thresholdResults,
    thresholdsPassed: thresholdResults.every((t) => t.passed),
    generator: {
      cpuSeconds: round3(sum(results.map((r) => r.cpuSeconds ?? 0))),
      cpuUtilization: round3(cpuUtilization),
      saturated: cpuUtilization >= 0.9,
    },
    warnings,
    ...(ctx.importedFrom ? { importedFrom: ctx.importedFrom } : {}),
    runners: results.map((r, i) => runnerView(r, cpu[i] ?? null)),
  };
  return section;
}

function runnerView(r: RunnerResult, cpuUtilization: number | null): RunnerView {
  const h = histogramOfBuckets(r.corrected ?? r.service);
  const a = Math.max(r.durationS, r.activeS);
  return {
    id: r.runner,
    durationS: round3(r.durationS),
    sent: r.counts.sent,
    succeeded: r.counts.succeeded,
    failed: r.counts.failed,
    dropped: r.counts.dropped,
    achievedRps: a > 0 ? round1(r.counts.succeeded / a) : 0,
    p50Ms: pointMs(h, 50),
    p99Ms: pointMs(h, 99),
    cpuUtilization: cpuUtilization === null ? null : round3(cpuUtilization),
  };
}

/** Per-second rows: counts added, each second's percentiles from its merged buckets. */
function mergeSeries(results: readonly RunnerResult[], shape: LoadShape | null): SeriesPoint[] {
  const n = Math.max(0, ...results.map((r) => r.seconds.length));
  const out: SeriesPoint[] = [];
  for (let s = 0; s < n; s++) {
    const rows = results.map((r) => r.seconds[s]).filter((x): x is RunnerSecond => x !== undefined);
    const merged = mergeBuckets(rows.map((x) => ({ minUs: 0, maxUs: 0, buckets: x.latency })));
    const h = merged.buckets.length ? histogramOfBuckets({ ...merged, minUs: merged.buckets[0]![0], maxUs: merged.buckets[merged.buckets.length - 1]![0] }) : null;
    out.push({
      second: s,
      targetRps: shape ? shape.countBetween(s * 1000, (s + 1) * 1000) : null,
      sentRps: sum(rows.map((x) => x.sent)),
      completedRps: sum(rows.map((x) => x.completed)),
      errors: sum(rows.map((x) => x.errors)),
      p50Ms: h ? round3(percentileMs(h, 50)) : null,
      p90Ms: h ? round3(percentileMs(h, 90)) : null,
      p99Ms: h ? round3(percentileMs(h, 99)) : null,
      concurrency: 0,
    });
  }
  return out;
}

function pointMs(h: Histogram, p: number): number {
  if (h.totalCount === 0) return 0;
  return round3(p >= 100 ? h.maxValue / 1000 : percentileMs(h, p));
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

function sum(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** What every runner of one distributed run shares: the plan, carried into each result file. */
export interface RunPlan {
  /** the same for every runner of one export; results of different plans are not merged */
  planId: string;
  config: LoadtestConfig;
  /** stage 0 starts at this target */
  startTarget: number;
  thresholds: Array<{ expression: string; source: Threshold['source'] }>;
}

export function runPlanOf(config: LoadtestConfig, startTarget: number, thresholds: readonly Threshold[], generatedAt: Date): RunPlan {
  return {
    planId: `${config.scenario ?? 'requests'}-seed${config.seed}-${generatedAt.toISOString()}`,
    config,
    startTarget,
    thresholds: thresholds.map((t) => ({ expression: t.expression, source: t.source })),
  };
}

/** Validates a plan read back from a runner's file (the parts the merge uses). */
export function parseRunPlan(x: unknown): RunPlan {
  if (typeof x !== 'object' || x === null) throw new Error('plan must be an object');
  const o = x as Record<string, unknown>;
  if (typeof o.planId !== 'string') throw new Error('plan.planId must be a string');
  if (typeof o.startTarget !== 'number') throw new Error('plan.startTarget must be a number');
  const c = o.config as Record<string, unknown> | null;
  if (typeof c !== 'object' || c === null || (c.model !== 'open' && c.model !== 'closed') || !Array.isArray(c.stages))
    throw new Error('plan.config must be a loadtest config (model, stages, ...)');
  if (!Array.isArray(o.thresholds) || !(o.thresholds as unknown[]).every((t) => typeof t === 'object' && t !== null && typeof (t as { expression?: unknown }).expression === 'string'))
    throw new Error('plan.thresholds must be [{ expression, source }]');
  return o as unknown as RunPlan;
}
