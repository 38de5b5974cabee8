/**
 * Renderers for the `loadtest` section: pure functions of the report. Rows are built once
 * (summary, latency, errors, thresholds, find-max, server, series) and printed in each format.
 */
import type { LoadtestReport } from '../types.js';
import type { Headline, HtmlSection, RenderOptions, SectionRenderer } from '../render-types.js';
import type { ChartSpec } from '../chart.js';
import type { FindMaxResult, FindMaxStep, LoadtestSection, SeriesPoint, ServerView } from '../../load/types.js';
import {
  formatBytes,
  formatCount,
  formatDurationMs,
  formatDurationS,
  formatNumber,
  formatPercent,
  htmlBadge,
  htmlChart,
  htmlHeading,
  htmlKeyValue,
  htmlList,
  htmlParagraph,
  htmlStatCards,
  htmlTable,
  markdownKeyValue,
  markdownTable,
  escapeMarkdown,
  paint,
  rawHtml,
  terminalHeading,
  terminalKeyValue,
  terminalTable,
  type Cell,
  type TableSpec,
} from '../helpers.js';

const rps = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${formatNumber(x)} req/s`);
const ms = (x: number | null | undefined): string => formatDurationMs(x);

// ── shared rows ───────────────────────────────────────────────────────────────────────────

export function titleLine(s: LoadtestSection): string {
  const c = s.config;
  if (s.importedFrom) return `Imported ${s.importedFrom} summary · ${formatDurationS(s.durationS)}`;
  const shape =
    c.model === 'open'
      ? c.stages.length === 1
        ? `open model, ${rps(c.stages[0]!.target)} for ${formatDurationS(c.stages[0]!.durationS)}`
        : `open model, ${c.stages.length} stages up to ${rps(Math.max(...c.stages.map((x) => x.target)))} over ${formatDurationS(c.plannedDurationS)}`
      : `closed model, up to ${formatCount(Math.max(...c.stages.map((x) => x.target), 0))} VUs over ${formatDurationS(c.plannedDurationS)}`;
  const target = c.bundledTarget ? `${c.engine === 'cerbos' ? 'Cerbos PDP started by loadtest' : 'bundled engine'} (${c.targetUrl})` : c.targetUrl;
  const scenario = c.scenario ? ` · scenario ${c.scenario}${c.profile ? ` / ${c.profile}` : ''}` : '';
  return `${shape} → ${target}${scenario}${s.findMax ? ' · --find-max' : ''}`;
}

function summaryPairs(s: LoadtestSection): Array<[string, string]> {
  const c = s.counts;
  const r = s.rates;
  const pairs: Array<[string, string]> = [];
  if (s.findMax) pairs.push(['figures from', 'the highest passing find-max step (or the last step when none passed)']);
  pairs.push(['rate', `${r.targetRps !== null ? `target ${rps(r.targetRps)} · ` : ''}sent ${rps(r.sentRps)} · completed ${rps(r.completedRps)} · achieved (ok) ${rps(r.achievedRps)}`]);
  pairs.push(['requests', `${formatCount(c.scheduled)} scheduled · ${formatCount(c.sent)} sent · ${formatCount(c.succeeded)} ok · ${formatCount(c.failed)} failed · ${formatCount(c.dropped)} dropped · ${formatCount(c.late)} late`]);
  const lat = s.latency.corrected ?? s.latency.service;
  pairs.push([s.latency.corrected ? 'latency (corrected)' : 'latency (service)', `p50 ${ms(lat.p50Ms)} · p99 ${ms(lat.p99Ms)} · p99.9 ${ms(lat.p999Ms)} · max ${ms(lat.maxMs)}`]);
  if (s.latency.corrected) pairs.push(['service time', `p50 ${ms(s.latency.service.p50Ms)} · p99 ${ms(s.latency.service.p99Ms)} · max ${ms(s.latency.service.maxMs)}`]);
  pairs.push(['errors', `${formatCount(s.errors.total)} (${formatPercent(s.errors.rate, 3)})`]);
  pairs.push(['duration', `${formatDurationS(s.durationS)}${s.config.plannedDurationS && s.durationS < s.config.plannedDurationS - 0.001 ? ` of ${formatDurationS(s.config.plannedDurationS)} planned` : ''}`]);
  if (s.runners?.length) pairs.push(['load generators', `${s.runners.length} runners, merged exactly (bucket counts added; percentiles of all requests together)`]);
  if (!s.importedFrom) {
    if (!s.runners?.length) pairs.push(['connections', `${formatCount(s.connections.opened)} opened (max ${formatCount(s.connections.max)}) · peak in flight ${formatCount(s.connections.peakInFlight)}`]);
    if (s.scheduler) pairs.push(['scheduler lag', `p50 ${ms(s.scheduler.lagP50Ms)} · p99 ${ms(s.scheduler.lagP99Ms)} · max ${ms(s.scheduler.lagMaxMs)}`]);
    const threads = s.generator.threads;
    const perThread = threads?.length ? ` over ${threads.length} threads (${threads.map((t) => formatPercent(t.cpuUtilization, 0)).join(' + ')})` : '';
    pairs.push(['generator CPU', `${formatPercent(s.generator.cpuUtilization, 0)} of a core${perThread}${s.runners?.length ? ' (busiest runner)' : ''}${s.generator.saturated ? ' (SATURATED)' : ''}`]);
  }
  return pairs;
}

function latencyTable(s: LoadtestSection): TableSpec {
  const open = s.latency.corrected !== null;
  const head = open ? ['percentile', 'corrected', 'service time'] : ['percentile', 'service time'];
  const label = (p: number): string => (p >= 100 ? 'max' : `p${p}`);
  const rows: Cell[][] = s.spectrum.map((pt) => (open ? [label(pt.percentile), ms(pt.correctedMs), ms(pt.serviceMs)] : [label(pt.percentile), ms(pt.serviceMs)]));
  return { head, rows };
}

/** Where the latency went near each percentile (absent in older and imported reports). */
function splitTable(s: LoadtestSection): TableSpec | null {
  const sp = s.latencySplit;
  if (!sp || sp.percentiles.length === 0) return null;
  const label = (p: number): string => (p >= 100 ? 'max' : `p${p}`);
  return {
    head: ['near', 'total', 'scheduler lag', 'connection wait', sp.serverTiming ? 'wire and queues' : 'sent → response', 'server (engine)'],
    rows: sp.percentiles.map((r) => [label(r.percentile), ms(r.totalMs), ms(r.lagMs), ms(r.waitMs), ms(r.wireMs), r.serverMs === null ? '–' : `${ms(r.serverMs)} (${ms(r.engineMs)})`]),
  };
}

function errorRows(s: LoadtestSection): Array<[string, string]> {
  const e = s.errors;
  const rows: Array<[string, string]> = [];
  if (e.connect) rows.push(['connect', formatCount(e.connect)]);
  if (e.timeout) rows.push(['timeout', formatCount(e.timeout)]);
  for (const [status, n] of Object.entries(e.byStatus).sort()) rows.push([`HTTP ${status}`, formatCount(n)]);
  if (e.mismatch) rows.push(['body / decision mismatch', formatCount(e.mismatch)]);
  if (e.other) rows.push(['other', formatCount(e.other)]);
  if (s.counts.dropped) rows.push(['dropped (not sent)', formatCount(s.counts.dropped)]);
  return rows;
}

function actualText(metric: string, actual: number | null): string {
  if (actual === null) return '–';
  if (metric === 'error_rate' || metric === 'dropped_rate') return formatPercent(actual, 3);
  if (metric === 'rps') return rps(actual);
  return ms(actual);
}

function thresholdRows(s: LoadtestSection): Array<[string, string, string, boolean]> {
  return s.thresholds.map((t) => [t.expression, t.source === 'scenario-slo' ? 'scenario SLO' : 'flag', actualText(t.metric, t.actual), t.passed]);
}

function findMaxTable(s: LoadtestSection): TableSpec | null {
  const f = s.findMax;
  if (!f) return null;
  // reports written before verdicts, sample counts and retries existed show '–' there
  return {
    head: ['target', 'achieved', 'p50', 'p99', 'errors', 'in flight', 'requests', 'retries', 'SLO'],
    rows: f.steps.map((st) => [
      rps(st.targetRps),
      rps(st.achievedRps),
      ms(st.p50Ms),
      ms(st.p99Ms),
      formatPercent(st.errorRate, 2),
      formatNumber(st.meanConcurrency),
      st.samples !== undefined ? formatCount(st.samples) : '–',
      st.retries !== undefined ? retryText(st) : '–',
      st.verdict === 'inconclusive' ? 'inconclusive' : st.passed ? 'held' : 'broke',
    ]),
  };
}

function retryText(st: FindMaxStep): string {
  const first = st.firstAttempt;
  if (!st.retries || !first) return formatCount(st.retries ?? 0);
  return `${formatCount(st.retries)} (1st: p99 ${ms(first.p99Ms)}, errors ${formatPercent(first.errorRate, 2)})`;
}

function findMaxPairs(s: LoadtestSection): Array<[string, string]> {
  const f = s.findMax;
  if (!f) return [];
  const pairs: Array<[string, string]> = [
    ['SLO', `p99 ≤ ${ms(f.sloP99Ms)} and errors ≤ ${formatPercent(f.maxErrorRate, 2)}${f.minSamples ? `, over ≥ ${formatCount(f.minSamples)} requests per step (a failed step is re-run once)` : ''}`],
    ['highest rate that held', f.highestPassingRps !== null ? rps(f.highestPassingRps) : 'none (the first step already broke the SLO)'],
    ['generator max (overload probe)', rps(f.generatorMaxRps)],
  ];
  if (f.autocannon)
    pairs.push([
      'autocannon, same target',
      `${rps(f.autocannon.rps)} with ${f.autocannon.connections} connections (p50 ${ms(f.autocannon.p50Ms)}, p99 ${ms(f.autocannon.p99Ms)} service time)${
        f.ceilingRps ? ', run before the search, capped its climb: a doubling that would pass this rate went half way to it' : ''
      }`,
    ]);
  if (f.generatorToAutocannonRatio !== null) pairs.push(['generator / autocannon', `${formatNumber(f.generatorToAutocannonRatio, 3)}×`]);
  if (f.limit) pairs.push(['limit', LIMIT_TEXT[f.limit]]);
  if (f.budgetS !== undefined && f.budgetS !== null)
    pairs.push([
      'search',
      `${formatCount(f.steps.length)} steps in ${formatDurationS(f.elapsedS ?? 0)} of a ${formatDurationS(f.budgetS)} budget${f.budgetExhausted ? ' (budget ran out)' : ''}` +
        `${f.gap !== null && f.gap !== undefined ? ` · gap ${formatPercent(f.gap, 1)} (resolution ${formatPercent(f.resolution ?? 0, 0)})` : ''}${f.confirmed ? ' · the result held twice' : ' · the result was not repeated'}`,
    ]);
  return pairs;
}

const LIMIT_TEXT: Record<NonNullable<FindMaxResult['limit']>, string> = {
  slo: 'the p99 SLO (the target got slower)',
  errors: 'the error rate (the target failed or timed out)',
  dropped: 'dropped requests (every connection busy for longer than the timeout)',
  generator: 'this load generator (its CPU or scheduler could not keep up): the target may hold more',
};

/** Distributed runs: one row per load generator (the section's figures are their exact merge). */
function runnersTable(s: LoadtestSection): TableSpec | null {
  const r = s.runners;
  if (!r || r.length === 0) return null;
  return {
    head: ['runner', 'duration', 'sent', 'ok', 'failed', 'dropped', 'achieved', 'p50', 'p99', 'CPU'],
    rows: r.map((x) => [
      x.id,
      formatDurationS(x.durationS),
      formatCount(x.sent),
      formatCount(x.succeeded),
      formatCount(x.failed),
      formatCount(x.dropped),
      rps(x.achievedRps),
      ms(x.p50Ms),
      ms(x.p99Ms),
      x.cpuUtilization === null ? '–' : formatPercent(x.cpuUtilization, 0),
    ]),
  };
}

function serverPairs(s: LoadtestSection): Array<[string, string]> {
  const v = s.server;
  if (!v) return [];
  return [
    ['server CPU', v.cpuSeconds !== null ? `${formatNumber(v.cpuSeconds)} s (${formatPercent(v.cpuUtilization, 0)} of a core${v.workers !== undefined && v.workers > 1 ? `, summed over ${v.workers} worker processes` : ''})` : '–'],
    ['server RSS', formatBytes(v.rssBytes)],
    ['cache hit rate', v.cacheHitRate !== null ? `${formatPercent(v.cacheHitRate)} (${formatCount(v.cacheHits)} hits, ${formatCount(v.cacheMisses)} misses)` : '–'],
    ['CEL evaluation', v.celEvalMeanMs !== null ? `mean ${ms(v.celEvalMeanMs)} over ${formatCount(v.celEvaluations)} evaluations` : '–'],
    ['server-side handling', v.serverRequestMeanMs !== null ? `mean ${ms(v.serverRequestMeanMs)}` : '–'],
    ...(v.requests !== undefined || v.sent ? [['requests (server count)', requestsText(v)] as [string, string]] : []),
    ...(v.requestsPerCpuSecond != null
      ? [['requests per CPU second', `${formatNumber(v.requestsPerCpuSecond)} (${ms(1000 / v.requestsPerCpuSecond)} of server CPU per request)`] as [string, string]]
      : []),
    ...(v.cerbos ? cerbosPairs(v.cerbos) : []),
  ];
}

function cerbosPairs(c: NonNullable<ServerView['cerbos']>): Array<[string, string]> {
  const calls = (n: number | null, mean: number | null): string => (n === null ? '–' : `${formatCount(n)}${mean !== null ? `, mean ${ms(mean)}` : ''}`);
  return [
    ['Cerbos engine checks', calls(c.engineChecks, c.engineCheckMeanMs)],
    ['Cerbos HTTP requests', calls(c.httpRequests, c.httpRequestMeanMs)],
    ['Cerbos gRPC CheckResources', calls(c.grpcCalls, c.grpcCallMeanMs)],
    ['Go GC', c.gcCycles === null ? '–' : `${formatCount(c.gcCycles)} cycles, ${c.gcPauseMs ?? 0} ms paused${c.goroutines !== null ? ` · ${formatCount(c.goroutines)} goroutines` : ''}`],
  ];
}

/** The server's own count beside what this run sent in the same window, by purpose. */
function requestsText(v: ServerView): string {
  const server = v.requests != null ? `${formatCount(v.requests)} counted by the server` : 'not exposed by the server';
  const t = v.sent;
  if (!t) return server;
  const parts = [`${formatCount(t.measured)} measured`, `${formatCount(t.warmup)} warm-up`];
  if (t.probe) parts.push(`${formatCount(t.probe)} overload probe`);
  if (t.autocannon) parts.push(`${formatCount(t.autocannon)} autocannon`);
  return `${server} · ${formatCount(t.total)} sent by this run (${parts.join(', ')})`;
}

/** At most `max` rows of the series, evenly sampled, always including the last second. */
function sampledSeries(series: SeriesPoint[], max: number): SeriesPoint[] {
  if (series.length <= max) return series;
  const step = series.length / max;
  const out: SeriesPoint[] = [];
  for (let i = 0; i < max - 1; i++) out.push(series[Math.floor(i * step)]!);
  out.push(series[series.length - 1]!);
  return out;
}

/** points per chart line: a long run's per-second series is merged into windows of equal length */
const CHART_POINTS = 600;

/**
 * The series in at most `max` windows of `width` seconds: rates and concurrency averaged over the
 * window, errors summed, latency percentiles the worst second's (a spike must stay visible).
 */
export function windowedSeries(series: readonly SeriesPoint[], max: number): { width: number; points: SeriesPoint[] } {
  if (series.length <= max) return { width: 1, points: [...series] };
  const width = Math.ceil(series.length / max);
  const points: SeriesPoint[] = [];
  const worst = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));
  for (let i = 0; i < series.length; i += width) {
    const w = series.slice(i, i + width);
    const mean = (f: (p: SeriesPoint) => number): number => w.reduce((sum, p) => sum + f(p), 0) / w.length;
    let p50: number | null = null;
    let p90: number | null = null;
    let p99: number | null = null;
    for (const p of w) {
      p50 = worst(p50, p.p50Ms);
      p90 = worst(p90, p.p90Ms);
      p99 = worst(p99, p.p99Ms);
    }
    points.push({
      second: w[0]!.second,
      targetRps: w.some((p) => p.targetRps !== null) ? mean((p) => p.targetRps ?? 0) : null,
      sentRps: mean((p) => p.sentRps),
      completedRps: mean((p) => p.completedRps),
      errors: w.reduce((sum, p) => sum + p.errors, 0),
      p50Ms: p50,
      p90Ms: p90,
      p99Ms: p99,
      concurrency: mean((p) => p.concurrency),
    });
  }
  return { width, points };
}

function seriesTable(s: LoadtestSection, max: number): TableSpec {
  const open = s.config.model === 'open';
  return {
    head: ['second', ...(open ? ['target'] : []), 'sent', 'completed', 'errors', 'p50', 'p90', 'p99', open ? 'busy connections' : 'VUs'],
    rows: sampledSeries(s.series, max).map((p) => [
      p.second + 1,
      ...(open ? [formatNumber(p.targetRps)] : []),
      formatNumber(p.sentRps),
      formatNumber(p.completedRps),
      formatCount(p.errors),
      ms(p.p50Ms),
      ms(p.p90Ms),
      ms(p.p99Ms),
      formatCount(p.concurrency),
    ]),
  };
}

// ── terminal ──────────────────────────────────────────────────────────────────────────────

function terminal(report: LoadtestReport, options: RenderOptions): string {
  const s = report.loadtest;
  const c = paint(options);
  const out: string[] = [];
  out.push(terminalHeading(`Load test · ${titleLine(s)}`, options));
  if (report.interrupted) out.push(c.yellow('INTERRUPTED: partial results of what was measured before Ctrl-C'));
  out.push(terminalKeyValue(summaryPairs(s), options));
  out.push('', terminalHeading(s.latency.corrected ? 'Latency (corrected from intended send time, and service time)' : 'Latency (service time)', options));
  out.push(terminalTable(latencyTable(s), options));
  const split = splitTable(s);
  if (split) out.push('', terminalHeading('Where the latency went (mean of the requests near each percentile)', options), terminalTable(split, options), ...s.latencySplit!.explanation);
  const errs = errorRows(s);
  if (errs.length) {
    out.push('', terminalHeading('Errors by class', options), terminalTable({ head: ['class', 'count'], rows: errs }, options));
    if (s.errors.samples.length) out.push(c.gray(s.errors.samples.map((x) => `  e.g. ${x}`).join('\n')));
  }
  const fm = findMaxTable(s);
  if (fm) out.push('', terminalHeading('Find max', options), terminalKeyValue(findMaxPairs(s), options), terminalTable(fm, options));
  const rt = runnersTable(s);
  if (rt) out.push('', terminalHeading('Runners', options), terminalTable(rt, options));
  const server = serverPairs(s);
  if (server.length) out.push('', terminalHeading('Server', options), terminalKeyValue(server, options));
  if (s.series.length) out.push('', terminalHeading('Per second', options), terminalTable(seriesTable(s, 20), options));
  if (s.thresholds.length) {
    out.push('', terminalHeading('Thresholds', options));
    out.push(
      terminalTable(
        { head: ['threshold', 'source', 'actual', 'result'], rows: thresholdRows(s).map(([e, src, a, ok]) => [e, src, a, ok ? c.green('PASS') : c.red('FAIL')]) },
        options,
      ),
    );
  }
  if (s.warnings.length) out.push('', ...s.warnings.map((w) => c.yellow(`warning: ${w}`)));
  if (s.thresholds.length) out.push('', s.thresholdsPassed ? c.green('thresholds: all passed') : c.red('thresholds: FAILED (exit code 99)'));
  return out.join('\n');
}

// ── Markdown ──────────────────────────────────────────────────────────────────────────────

function markdown(report: LoadtestReport): string {
  const s = report.loadtest;
  const out: string[] = [];
  out.push(`## Load test`, '', escapeMarkdown(titleLine(s)), '');
  if (report.interrupted) out.push('> **Interrupted**: partial results of what was measured before Ctrl-C.', '');
  if (s.thresholds.length) out.push(s.thresholdsPassed ? '**Thresholds: all passed**' : '**Thresholds: FAILED**', '');
  out.push(markdownKeyValue(summaryPairs(s), ['figure', 'value']), '');
  out.push(`### Latency${s.latency.corrected ? ' (corrected and service time)' : ' (service time)'}`, '', markdownTable(latencyTable(s)), '');
  const split = splitTable(s);
  if (split) out.push('### Where the latency went', '', markdownTable(split), '', ...s.latencySplit!.explanation.map((e) => `- ${escapeMarkdown(e)}`), '');
  if (s.thresholds.length)
    out.push('### Thresholds', '', markdownTable({ head: ['threshold', 'source', 'actual', 'result'], rows: thresholdRows(s).map(([e, src, a, ok]) => [e, src, a, ok ? '✅ pass' : '❌ FAIL']) }), '');
  const errs = errorRows(s);
  if (errs.length) out.push('### Errors by class', '', markdownTable({ head: ['class', 'count'], rows: errs }), '');
  const fm = findMaxTable(s);
  if (fm) out.push('### Find max', '', markdownKeyValue(findMaxPairs(s), ['figure', 'value']), '', markdownTable(fm), '');
  const rt = runnersTable(s);
  if (rt) out.push('### Runners', '', markdownTable(rt), '');
  const server = serverPairs(s);
  if (server.length) out.push('### Server', '', markdownKeyValue(server, ['figure', 'value']), '');
  if (s.series.length) out.push('<details><summary>Per-second series</summary>', '', markdownTable(seriesTable(s, 60)), '', '</details>', '');
  if (s.warnings.length) out.push(...s.warnings.map((w) => `> ⚠️ ${escapeMarkdown(w)}`), '');
  return out.join('\n').trimEnd();
}

// ── HTML ──────────────────────────────────────────────────────────────────────────────────

function charts(s: LoadtestSection): ChartSpec[] {
  const out: ChartSpec[] = [];
  const open = s.config.model === 'open';
  if (s.series.length) {
    const { width, points } = windowedSeries(s.series, CHART_POINTS);
    const per = width === 1 ? 'per second' : `per ${width} s window (worst second's percentiles)`;
    const labels = points.map((p) => p.second + 1);
    out.push({
      id: 'loadtest-latency-over-time',
      title: `Latency ${per} (${open ? 'corrected' : 'service time'})`,
      type: 'line',
      xLabel: 'second',
      yLabel: 'ms',
      labels,
      series: [
        { label: 'p50', values: points.map((p) => p.p50Ms) },
        { label: 'p90', values: points.map((p) => p.p90Ms) },
        { label: 'p99', values: points.map((p) => p.p99Ms) },
      ],
    });
    // the target as bars under the sent/completed lines: when the generator keeps up they coincide,
    // and three identical lines would hide each other; the error axis only when there were errors
    const anyErrors = points.some((p) => p.errors > 0);
    out.push({
      id: 'loadtest-rate',
      title: `${open ? 'Target vs sent and completed rate' : 'Completed rate'}${width === 1 ? '' : ` (mean per ${width} s window; errors summed)`}`,
      type: 'line',
      xLabel: 'second',
      yLabel: 'requests/s',
      ...(anyErrors ? { y2Label: 'errors/s' } : {}),
      labels,
      series: [
        ...(open ? [{ label: 'target', values: points.map((p) => p.targetRps), as: 'bar' as const, color: '#b8c0cc' }] : []),
        { label: 'sent', values: points.map((p) => p.sentRps) },
        { label: 'completed', values: points.map((p) => p.completedRps) },
        ...(anyErrors ? [{ label: 'errors', values: points.map((p) => p.errors), axis: 'right' as const, as: 'bar' as const }] : []),
      ],
    });
  }
  if (s.spectrum.length)
    out.push({
      id: 'loadtest-latency-distribution',
      title: 'Latency distribution (percentile spectrum)',
      type: 'line',
      xLabel: 'percentile',
      yLabel: 'ms',
      labels: s.spectrum.map((p) => (p.percentile >= 100 ? 'max' : `p${p.percentile}`)),
      logY: true,
      series: [
        ...(s.latency.corrected ? [{ label: 'corrected', values: s.spectrum.map((p) => p.correctedMs) }] : []),
        { label: 'service time', values: s.spectrum.map((p) => p.serviceMs) },
      ],
    });
  if (s.findMax && s.findMax.steps.length) {
    // by rate, not in search order, so the p99 line reads as a curve; bars coloured by verdict
    const steps = [...s.findMax.steps].sort((a, b) => a.targetRps - b.targetRps);
    const slo = s.findMax.sloP99Ms;
    out.push({
      id: 'loadtest-find-max',
      title: 'Find max: achieved rate (bars: green held, red broke, grey inconclusive) and p99 per step',
      type: 'bar',
      xLabel: 'target rate (req/s)',
      yLabel: 'achieved req/s',
      y2Label: 'p99 ms',
      labels: steps.map((st) => st.targetRps),
      series: [
        { label: 'achieved', values: steps.map((st) => st.achievedRps), color: steps.map((st) => (st.verdict === 'inconclusive' ? '#999999' : st.passed ? '#009E73' : '#D55E00')) },
        { label: 'p99', values: steps.map((st) => st.p99Ms), axis: 'right', as: 'line', color: '#0072B2' },
        { label: `SLO p99 (${ms(slo)})`, values: steps.map(() => slo), axis: 'right', as: 'line', color: '#000000' },
      ],
    });
  }
  return out;
}

function html(report: LoadtestReport): HtmlSection {
  const s = report.loadtest;
  const lat = s.latency.corrected ?? s.latency.service;
  const parts: string[] = [];
  parts.push(htmlHeading('Load test'), htmlParagraph(titleLine(s)));
  if (report.interrupted) parts.push(htmlParagraph('Interrupted: partial results of what was measured before Ctrl-C.', 'warn'));
  parts.push(
    htmlStatCards([
      { label: 'achieved (ok) rate', value: rps(s.rates.achievedRps) },
      ...(s.rates.targetRps !== null ? [{ label: 'target rate', value: rps(s.rates.targetRps) }] : []),
      { label: `p50 ${s.latency.corrected ? 'corrected' : 'service'}`, value: ms(lat.p50Ms) },
      { label: `p99 ${s.latency.corrected ? 'corrected' : 'service'}`, value: ms(lat.p99Ms) },
      { label: 'error rate', value: formatPercent(s.errors.rate, 3), ...(s.errors.total > 0 ? { tone: 'bad' as const } : { tone: 'good' as const }) },
      ...(s.findMax ? [{ label: 'highest rate that held', value: rps(s.findMax.highestPassingRps) }] : []),
    ]),
  );
  parts.push(htmlKeyValue(summaryPairs(s)));
  if (s.thresholds.length)
    parts.push(
      htmlHeading('Thresholds', 3),
      htmlTable({
        head: ['threshold', 'source', 'actual', 'result'],
        rows: thresholdRows(s).map(([e, src, a, ok]) => [e, src, a, rawHtml(htmlBadge(ok ? 'PASS' : 'FAIL', ok ? 'good' : 'bad'))]),
      }),
    );
  const chartSpecs = charts(s);
  const has = (id: string): boolean => chartSpecs.some((c) => c.id === id);
  parts.push(htmlHeading('Latency', 3), htmlTable(latencyTable(s)));
  const split = splitTable(s);
  if (split) parts.push(htmlHeading('Where the latency went', 3), htmlTable(split), htmlList(s.latencySplit!.explanation));
  if (has('loadtest-latency-distribution')) parts.push(htmlChart('loadtest-latency-distribution'));
  if (has('loadtest-latency-over-time')) parts.push(htmlChart('loadtest-latency-over-time'));
  if (has('loadtest-rate')) parts.push(htmlHeading('Rate', 3), htmlChart('loadtest-rate'));
  const errs = errorRows(s);
  if (errs.length) {
    parts.push(htmlHeading('Errors by class', 3), htmlTable({ head: ['class', 'count'], rows: errs }));
    if (s.errors.samples.length) parts.push(htmlList(s.errors.samples));
  }
  const fm = findMaxTable(s);
  if (fm) {
    parts.push(htmlHeading('Find max', 3), htmlKeyValue(findMaxPairs(s)), htmlTable(fm));
    if (has('loadtest-find-max')) parts.push(htmlChart('loadtest-find-max'));
  }
  const rt = runnersTable(s);
  if (rt) parts.push(htmlHeading('Runners', 3), htmlTable(rt));
  const server = serverPairs(s);
  if (server.length) parts.push(htmlHeading('Server', 3), htmlKeyValue(server));
  if (s.series.length) parts.push(htmlHeading('Per second', 3), htmlTable({ ...seriesTable(s, 600), className: 'compact' }));
  if (s.warnings.length) parts.push(...s.warnings.map((w) => htmlParagraph(`warning: ${w}`, 'warn')));
  return { body: parts.join('\n'), charts: chartSpecs };
}

// ── headlines ─────────────────────────────────────────────────────────────────────────────

function headlines(report: LoadtestReport): Headline[] {
  const s = report.loadtest;
  const kind = s.latency.corrected ? 'corrected' : 'service';
  const lat = s.latency.corrected ?? s.latency.service;
  const out: Headline[] = [
    { key: 'loadtest/achievedRps', label: 'achieved rate', value: s.rates.achievedRps, unit: 'req/s', better: 'higher' },
    { key: `loadtest/${kind}/p50Ms`, label: `p50 (${kind})`, value: lat.p50Ms, unit: 'ms', better: 'lower' },
  ];
  if (lat.p99Ms !== null) out.push({ key: `loadtest/${kind}/p99Ms`, label: `p99 (${kind})`, value: lat.p99Ms, unit: 'ms', better: 'lower' });
  if (lat.p999Ms !== null) out.push({ key: `loadtest/${kind}/p999Ms`, label: `p99.9 (${kind})`, value: lat.p999Ms, unit: 'ms', better: 'lower' });
  out.push({ key: 'loadtest/errorRate', label: 'error rate', value: s.errors.rate, unit: 'fraction', better: 'lower' });
  if (s.findMax?.highestPassingRps !== null && s.findMax?.highestPassingRps !== undefined)
    out.push({ key: 'loadtest/findMax/highestPassingRps', label: 'highest rate within SLO', value: s.findMax.highestPassingRps, unit: 'req/s', better: 'higher' });
  return out;
}

export const loadtestRenderer: SectionRenderer<LoadtestReport> = { terminal, markdown, html, headlines };
