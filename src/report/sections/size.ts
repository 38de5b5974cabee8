/**
 * Renderers for the `size` section: pure functions of the report (terminal, Markdown, HTML +
 * charts, headlines). Every figure is shown with where it came from and how it was worked out.
 */
import type { SizeReport } from '../types.js';
import type { Headline, HtmlSection, RenderOptions, SectionRenderer } from '../render-types.js';
import type { ChartSpec } from '../chart.js';
import type { SizeSection, UslModel } from '../../sizing/types.js';
import {
  escapeHtml,
  formatBytes,
  formatCount,
  formatDurationMs,
  formatNumber,
  formatPercent,
  formatSi,
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

// ── shared builders: one source of rows for all three formats ─────────────────────────────

const cores = (millicores: number): string => `${formatNumber(millicores / 1000, 3)} cores`;
const rps = (value: number): string => `${formatNumber(value)} RPS`;

function sourceLine(s: SizeSection): string {
  const c = s.calibration;
  const parts = [`source: ${c.source}`];
  if (c.scenario) parts.push(`scenario ${c.scenario}`);
  if (c.measuredOn) parts.push(`measured on ${c.measuredOn.cpuModel} (${c.measuredOn.cores} cores)`);
  if (c.measuredAt) parts.push(`at ${c.measuredAt}`);
  return parts.join(' · ');
}

function summaryPairs(s: SizeSection): Array<[string, string]> {
  const r = s.result;
  const i = s.inputs;
  return [
    ['peak', `${rps(i.peakRps)} (${r.profile.name} profile, ${r.profile.range})`],
    ['replicas', `${r.replicas}${i.ha ? ' (--ha: minimum 3)' : ''} · ${rps(r.perReplicaRps)} each, ${formatPercent(r.utilisation)} CPU`],
    ['CPU per replica', `request ${r.cpu.requestMillicores}m · limit ${r.cpu.limitMillicores}m (${r.cpu.usedAtPeakMillicores}m used at peak)`],
    ['memory per replica', `request ${formatBytes(r.memory.requestBytes)} · limit ${formatBytes(r.memory.limitBytes)}`],
    ['total requests', `${cores(r.cpu.totalRequestMillicores)}, ${formatBytes(r.memory.totalRequestBytes)}`],
    ['HPA', `min ${r.hpa.minReplicas} · max ${r.hpa.maxReplicas} · target ${r.hpa.targetCpuUtilisationPercent}% CPU · settles at ${r.hpa.replicasAtPeak} at peak`],
    ['p99 (model)', `${formatDurationMs(r.latency.p99Ms)} vs target ${formatDurationMs(r.latency.targetMs)} (${i.p99TargetSource}) → ${r.latency.fits ? 'fits' : 'DOES NOT FIT'}`],
    ['in flight / replica', `${formatNumber(r.concurrency.inFlightPerReplica, 3)} (Little's law) · ${r.concurrency.keepAliveConnectionsPerReplica} keep-alive connections`],
    ['DB connections', `${r.db.connectionsAtPeak} at peak, ${r.db.connectionsAtHpaMax} at HPA max, budget ${r.db.budget} → ${r.db.fits ? 'fits' : 'OVER BUDGET'}`],
    ['capacity model', `${s.calibration.capacityModel === 'usl' ? 'USL fit' : 'linear per core'} · ${rps(s.calibration.perCoreRps.value)}/core (${s.calibration.perCoreRps.source}) · ${rps(r.perReplicaCapacityRps)}/replica`],
  ];
}

const WORKING_HEAD = ['step', 'formula', 'working', 'result'];
function workingTable(s: SizeSection): TableSpec {
  return {
    head: WORKING_HEAD,
    rows: s.result.working.map((w) => [w.label, w.formula, w.substitution, w.result]),
    align: ['left', 'left', 'left', 'left'],
  };
}

function inputsPairs(s: SizeSection): Array<[string, string]> {
  const i = s.inputs;
  return [
    ['--rps', formatCount(i.peakRps)],
    ['--p99', `${formatDurationMs(i.p99TargetMs)} (${i.p99TargetSource})`],
    ['--scenario', i.scenario ?? '–'],
    ['--policies', formatCount(i.policies)],
    ['--cache-size', formatCount(i.cacheSize)],
    ['--cache-hit-rate', formatPercent(i.cacheHitRate)],
    ['--ha', i.ha ? 'yes' : 'no'],
    ['--headroom', formatPercent(i.headroom, 0)],
    ['--cpu-per-replica', `${formatNumber(i.cpuPerReplica, 3)} cores`],
    ['--db-max-connections', formatCount(i.dbMaxConnections)],
    ['--pool-size', formatCount(i.poolSize)],
  ];
}

function calibrationPairs(s: SizeSection): Array<[string, string]> {
  const c = s.calibration;
  const pairs: Array<[string, string]> = [
    ['source', c.source],
    ['capacity model', c.capacityModel === 'usl' ? 'Universal Scalability Law (fitted)' : 'linear per-core capacity'],
    ['per-core capacity', `${rps(c.perCoreRps.value)} (${c.perCoreRps.source}; working step 1)`],
    ['service time', formatDurationMs(c.serviceTimeMs)],
    ['base latency', `${formatDurationMs(c.baseLatencyMs.value)} — ${c.baseLatencyMs.detail}`],
  ];
  if (c.measuredCacheHitRate !== null) pairs.push(['measured cache hit rate', formatPercent(c.measuredCacheHitRate)]);
  if (c.sloP99Ms !== null) pairs.push(['report SLO p99', formatDurationMs(c.sloP99Ms)]);
  return pairs;
}

function uslPairs(u: UslModel): Array<[string, string]> {
  return [
    ['σ (contention)', formatNumber(u.sigma, 4)],
    ['κ (coherency)', formatNumber(u.kappa, 4)],
    ['λ (one in-flight request)', rps(u.lambdaRps)],
    ['peak concurrency N* = √((1−σ)/κ)', u.peakConcurrency === null ? '∞ (κ = 0)' : formatNumber(u.peakConcurrency, 3)],
    ['peak throughput X(N*)', u.peakRps === null ? 'unbounded' : rps(u.peakRps)],
    ['fit', `R² ${formatNumber(u.rSquared, 4)}, RMSE ${rps(u.rmseRps)}, ${u.iterations} iterations${u.converged ? '' : ' (not converged)'}`],
    ['highest measured concurrency', formatNumber(u.maxMeasuredConcurrency, 3)],
  ];
}

function uslPointsTable(u: UslModel): TableSpec {
  return {
    head: ['concurrency', 'target RPS', 'achieved RPS', 'USL RPS', 'residual'],
    rows: u.points.map((p) => [
      formatNumber(p.concurrency, 3),
      p.targetRps === null ? null : formatCount(p.targetRps),
      formatCount(p.achievedRps),
      formatCount(p.fittedRps),
      formatPercent((p.achievedRps - p.fittedRps) / p.fittedRps),
    ]),
  };
}

function memoryTable(s: SizeSection): TableSpec {
  return {
    head: ['part', 'bytes', 'how'],
    rows: [
      ...s.result.memory.breakdown.map((b) => [b.part, formatBytes(b.bytes), b.detail] as Cell[]),
      ['request (rounded up to MiB)', formatBytes(s.result.memory.requestBytes), ''],
      ['limit (request ÷ headroom)', formatBytes(s.result.memory.limitBytes), ''],
    ],
    align: ['left', 'right', 'left'],
  };
}

function comparisonValue(value: number, unit: string): string {
  if (unit === 'bytes') return formatBytes(value);
  if (unit === 'millicores') return `${formatCount(value)}m`;
  return formatNumber(value);
}

function referenceTable(s: SizeSection): TableSpec {
  return {
    head: ['figure', 'reference constants', 'ours', 'ours ÷ reference'],
    rows: s.result.profile.comparison.map((c) => [
      c.figure,
      comparisonValue(c.sdd, c.unit),
      comparisonValue(c.ours, c.unit),
      c.ratio === null ? null : `${formatNumber(c.ratio, 3)}×`,
    ]),
  };
}

function whatIfTable(s: SizeSection): TableSpec {
  return {
    head: ['peak RPS', 'profile', 'replicas', 'CPU util', 'CPU request', 'memory request', 'p99 (model)', 'HPA max', 'DB', 'reference replicas', 'reference CPU'],
    rows: s.whatIf.map((w) => [
      formatSi(w.peakRps),
      w.profile,
      formatCount(w.replicas),
      formatPercent(w.utilisation, 0),
      cores(w.cpuRequestMillicoresTotal),
      formatBytes(w.memoryRequestBytesTotal),
      `${formatDurationMs(w.p99Ms)}${w.latencyFits ? '' : ' ✗'}`,
      formatCount(w.hpaMaxReplicas),
      w.dbFits ? 'ok' : 'over',
      formatCount(w.sddReplicas),
      cores(w.sddCpuMillicoresTotal),
    ]),
    align: ['right', 'left'],
  };
}

// ── terminal ────────────────────────────────────────────────────────────────────────────────

function terminal(report: SizeReport, options: RenderOptions): string {
  const s = report.size;
  const c = paint(options);
  const out: string[] = [];
  out.push(terminalHeading(`Sizing for ${rps(s.inputs.peakRps)} peak`, options));
  const measured = s.calibration.kind !== 'default';
  out.push(measured ? c.green(sourceLine(s)) : c.yellow(sourceLine(s)));
  out.push(terminalKeyValue(summaryPairs(s), options));
  out.push('', terminalHeading('Working', options));
  s.result.working.forEach((w, i) => {
    out.push(`${String(i + 1).padStart(2)}. ${c.bold(w.label)}`);
    out.push(`    ${c.gray(w.formula)}`);
    out.push(`    ${w.substitution}`);
    out.push(`    → ${c.cyan(w.result)}`);
  });
  out.push('', terminalHeading('Calibration', options), terminalKeyValue(calibrationPairs(s), options));
  if (s.calibration.usl) {
    out.push(terminalKeyValue(uslPairs(s.calibration.usl), options));
    out.push(terminalTable(uslPointsTable(s.calibration.usl), options));
  }
  out.push('', terminalHeading('Memory per replica', options), terminalTable(memoryTable(s), options));
  out.push('', terminalHeading(`reference ${s.result.profile.name} profile (${s.result.profile.range}) side by side`, options), terminalTable(referenceTable(s), options));
  if (s.whatIf.length) out.push('', terminalHeading('What if', options), terminalTable(whatIfTable(s), options));
  const notes = [...s.result.warnings.map((w) => c.yellow(`warning: ${w}`)), ...s.calibration.notes.map((n) => c.gray(`note: ${n}`))];
  if (notes.length) out.push('', ...notes);
  return out.join('\n');
}

// ── Markdown ────────────────────────────────────────────────────────────────────────────────

function markdown(report: SizeReport): string {
  const s = report.size;
  const out: string[] = [];
  out.push(`## Sizing for ${escapeMarkdown(rps(s.inputs.peakRps))} peak`, '');
  out.push(`**${escapeMarkdown(sourceLine(s))}**`, '');
  out.push(markdownKeyValue(summaryPairs(s), ['', 'result']), '');
  for (const w of s.result.warnings) out.push(`> **Warning:** ${escapeMarkdown(w)}`, '');
  out.push('### Working', '', markdownTable(workingTable(s)), '');
  out.push('<details><summary>Inputs</summary>', '', markdownKeyValue(inputsPairs(s), ['flag', 'value']), '', '</details>', '');
  out.push('### Calibration', '', markdownKeyValue(calibrationPairs(s), ['', '']), '');
  if (s.calibration.usl) {
    out.push('#### Universal Scalability Law fit', '', markdownKeyValue(uslPairs(s.calibration.usl), ['parameter', 'value']), '');
    out.push(markdownTable(uslPointsTable(s.calibration.usl)), '');
  }
  for (const n of s.calibration.notes) out.push(`- ${escapeMarkdown(n)}`);
  if (s.calibration.notes.length) out.push('');
  out.push('### Memory per replica', '', markdownTable(memoryTable(s)), '');
  out.push(`### reference ${s.result.profile.name} profile (${escapeMarkdown(s.result.profile.range)}) side by side`, '', markdownTable(referenceTable(s)), '');
  if (s.whatIf.length) out.push('### What if', '', markdownTable(whatIfTable(s)), '');
  return out.join('\n').trimEnd();
}

// ── HTML ────────────────────────────────────────────────────────────────────────────────────

function charts(s: SizeSection): ChartSpec[] {
  const specs: ChartSpec[] = [];
  if (s.whatIf.length) {
    specs.push({
      id: 'size-what-if',
      title: 'Replicas and CPU against peak RPS',
      type: 'bar',
      xLabel: 'peak RPS',
      yLabel: 'replicas',
      y2Label: 'CPU request (cores)',
      labels: s.whatIf.map((w) => formatSi(w.peakRps)),
      series: [
        { label: 'replicas', values: s.whatIf.map((w) => w.replicas), as: 'bar' },
        { label: 'reference replicas', values: s.whatIf.map((w) => w.sddReplicas), as: 'bar' },
        { label: 'CPU request (cores)', values: s.whatIf.map((w) => w.cpuRequestMillicoresTotal / 1000), axis: 'right', as: 'line' },
      ],
      logY: s.whatIf.length > 1 && s.whatIf[s.whatIf.length - 1]!.replicas / Math.max(1, s.whatIf[0]!.replicas) >= 100,
    });
  }
  const u = s.calibration.usl;
  if (u) {
    const points = [...u.points].sort((a, b) => a.concurrency - b.concurrency);
    specs.push({
      id: 'size-usl',
      title: 'Throughput against concurrency: measured and USL fit',
      type: 'line',
      xLabel: 'concurrency (in-flight requests)',
      yLabel: 'RPS',
      labels: points.map((p) => formatNumber(p.concurrency, 3)),
      series: [
        { label: 'measured', values: points.map((p) => p.achievedRps) },
        { label: 'USL fit', values: points.map((p) => p.fittedRps) },
      ],
    });
  }
  return specs;
}

function html(report: SizeReport): HtmlSection {
  const s = report.size;
  const r = s.result;
  const parts: string[] = [];
  parts.push(htmlHeading(`Sizing for ${rps(s.inputs.peakRps)} peak`, 2, 'size'));
  parts.push(
    htmlParagraph(
      rawHtml(`${htmlBadge(s.calibration.kind === 'default' ? 'not measured' : 'calibrated', s.calibration.kind === 'default' ? 'warn' : 'good')} ${escapeHtml(sourceLine(s))}`),
    ),
  );
  parts.push(
    htmlStatCards([
      { label: 'replicas', value: formatCount(r.replicas) },
      { label: 'CPU request / replica', value: `${r.cpu.requestMillicores}m` },
      { label: 'memory request / replica', value: formatBytes(r.memory.requestBytes) },
      { label: 'HPA min–max', value: `${r.hpa.minReplicas}–${r.hpa.maxReplicas} @ ${r.hpa.targetCpuUtilisationPercent}%` },
      { label: 'p99 (model)', value: formatDurationMs(r.latency.p99Ms), tone: r.latency.fits ? 'good' : 'bad' },
      { label: 'DB connections at HPA max', value: `${r.db.connectionsAtHpaMax} / ${r.db.budget}`, tone: r.db.fits ? 'good' : 'bad' },
    ]),
  );
  parts.push(htmlKeyValue(summaryPairs(s)));
  if (r.warnings.length) parts.push(htmlList(r.warnings.map((w) => rawHtml(`${htmlBadge('warning', 'warn')} ${escapeHtml(w)}`))));
  parts.push(htmlHeading('Working', 3), htmlTable(workingTable(s)));
  parts.push(htmlHeading('Inputs', 3), htmlKeyValue(inputsPairs(s)));
  parts.push(htmlHeading('Calibration', 3), htmlKeyValue(calibrationPairs(s)));
  if (s.calibration.usl) {
    parts.push(htmlHeading('Universal Scalability Law fit', 4), htmlKeyValue(uslPairs(s.calibration.usl)), htmlTable(uslPointsTable(s.calibration.usl)), htmlChart('size-usl'));
  }
  if (s.calibration.notes.length) parts.push(htmlList(s.calibration.notes));
  parts.push(htmlHeading('Memory per replica', 3), htmlTable(memoryTable(s)));
  parts.push(htmlHeading(`reference ${r.profile.name} profile (${r.profile.range}) side by side`, 3), htmlTable(referenceTable(s)));
  if (s.whatIf.length) parts.push(htmlHeading('What if', 3), htmlTable(whatIfTable(s)), htmlChart('size-what-if'));
  return { body: parts.join('\n'), charts: charts(s) };
}

// ── headlines ───────────────────────────────────────────────────────────────────────────────

function headlines(report: SizeReport): Headline[] {
  const r = report.size.result;
  return [
    { key: 'size/replicas', label: 'replicas at peak', value: r.replicas, unit: 'replicas', better: 'lower' },
    { key: 'size/cpuRequestMillicoresTotal', label: 'total CPU request', value: r.cpu.totalRequestMillicores, unit: 'millicores', better: 'lower' },
    { key: 'size/memoryRequestBytesPerReplica', label: 'memory request per replica', value: r.memory.requestBytes, unit: 'bytes', better: 'lower' },
    { key: 'size/perReplicaCapacityRps', label: 'capacity per replica', value: r.perReplicaCapacityRps, unit: 'req/s', better: 'higher' },
    { key: 'size/p99ModelMs', label: 'p99 at peak (model)', value: r.latency.p99Ms, unit: 'ms', better: 'lower' },
    { key: 'size/hpaMaxReplicas', label: 'HPA max replicas', value: r.hpa.maxReplicas, unit: 'replicas', better: 'lower' },
  ];
}

export const sizeRenderer: SectionRenderer<SizeReport> = { terminal, markdown, html, headlines };
