/** Turns a run's measurements into the report section (and evaluates thresholds against it). */
import { percentileMs, round3, SPECTRUM_PERCENTILES } from './histogram.js';
import { latencySplitView } from './latency-split.js';
import { evaluateThresholds, type ThresholdMeasures } from './thresholds.js';
import type { RunOutcome } from './run-types.js';
import type { FindMaxResult, LoadtestConfig, LoadtestSection, ServerView, Threshold } from './types.js';

export interface SectionExtras {
  server?: ServerView | null;
  findMax?: FindMaxResult;
  warnings?: string[];
}

export function measuresOf(run: RunOutcome): ThresholdMeasures {
  const r = run.recorder;
  const h = r.corrected ?? r.service;
  const c = r.counts;
  const attempted = c.scheduled > 0 ? c.scheduled : c.sent;
  return {
    latencyAtMs: (p) => (h.totalCount > 0 ? round3(p >= 100 ? h.maxValue / 1000 : percentileMs(h, p)) : null),
    meanMs: h.totalCount > 0 ? round3(h.mean / 1000) : null,
    maxMs: h.totalCount > 0 ? round3(h.maxValue / 1000) : null,
    errorRate: c.completed > 0 ? r.errors.total / c.completed : null,
    droppedRate: attempted > 0 ? c.dropped / attempted : null,
    achievedRps: run.activeS > 0 ? c.succeeded / run.activeS : null,
  };
}

export function buildSection(run: RunOutcome, config: LoadtestConfig, thresholds: readonly Threshold[], extras: SectionExtras = {}): LoadtestSection {
  const r = run.recorder;
  const c = r.counts;
  const d = run.durationS > 0 ? run.durationS : 1e-9;
  // responses are counted over the span until the last one, so a backlog answered after the
  // sending phase lowers the completion rates instead of inflating them
  const a = run.activeS > 0 ? run.activeS : d;
  const results = evaluateThresholds(thresholds, measuresOf(run));
  const warnings = [...run.warnings, ...(extras.warnings ?? [])];
  const threads = run.generator.threads;
  if (run.generator.saturated && threads)
    warnings.push(
      `a load generator thread used ${Math.round(Math.max(...threads.map((t) => t.cpuUtilization)) * 100)}% of a core (threads: ${threads.map((t) => `${Math.round(t.cpuUtilization * 100)}%`).join(', ')}): its event loop was saturated, so these figures show the generator's limit, not the target's`,
    );
  else if (run.generator.saturated)
    warnings.push(
      `the load generator used ${(run.generator.cpuUtilization * 100).toFixed(0)}% of a core: its event loop was saturated, so these figures show the generator's limit, not the target's`,
    );
  if (c.late > 0 && config.model === 'open')
    warnings.push(
      `${c.late} requests were sent more than ${config.lateThresholdMs} ms after their intended time (they waited for a free connection, or the generator fell behind); their latency is still measured from the intended time`,
    );
  if (c.abandoned > 0) warnings.push(`${c.abandoned} requests were still in flight when the run ended and were abandoned`);
  const lag = r.lag;
  const split = latencySplitView(r.split, SPECTRUM_PERCENTILES);
  return {
    config,
    durationS: round3(run.durationS),
    counts: { ...c },
    rates: {
      targetRps: config.model === 'open' ? round1(c.scheduled / d) : null,
      sentRps: round1(c.sent / a),
      completedRps: round1(c.completed / a),
      achievedRps: round1(c.succeeded / a),
    },
    latency: r.summaries(),
    spectrum: r.spectrum(),
    scheduler:
      lag && lag.totalCount > 0
        ? { lagP50Ms: round3(percentileMs(lag, 50)), lagP99Ms: round3(percentileMs(lag, 99)), lagMaxMs: round3(lag.maxValue / 1000) }
        : null,
    connections: run.connections,
    errors: { ...r.errors, byStatus: { ...r.errors.byStatus }, samples: [...r.errors.samples], rate: round6(r.errors.rate) },
    series: r.series(),
    thresholds: results,
    thresholdsPassed: results.every((t) => t.passed),
    ...(extras.findMax ? { findMax: extras.findMax } : {}),
    ...(extras.server !== undefined ? { server: extras.server } : {}),
    generator: run.generator,
    ...(split ? { latencySplit: split } : {}),
    warnings,
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
