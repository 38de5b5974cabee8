/**
 * Renderers for the `doctor` section: pure functions of the report. Findings first (severity,
 * rule, what, action, evidence), then the figures read over the window, the CEL profile, the
 * database view and (HTML) the evidence charts: latency, hit rate, heap and GC over the window.
 */
import type { DoctorReport } from '../types.js';
import type { Headline, HtmlSection, RenderOptions, SectionRenderer } from '../render-types.js';
import type { ChartSpec } from '../chart.js';
import type { DoctorSection, Evidence, Finding, Severity } from '../../doctor/types.js';
import {
  escapeHtml, escapeMarkdown, formatBytes, formatCount, formatDurationMs, formatDurationNs, formatDurationS, formatNumber, formatPercent,
  htmlBadge, htmlChart, htmlHeading, htmlKeyValue, htmlList, htmlParagraph, htmlStatCards, htmlTable, markdownKeyValue, markdownTable,
  paint, rawHtml, terminalHeading, terminalKeyValue, terminalTable, type TableSpec,
} from '../helpers.js';

// ── shared builders ──────────────────────────────────────────────────────────────────────

function evidenceValue(e: Evidence): string {
  switch (e.unit) {
    case 'ratio':
      return formatPercent(e.value);
    case 'ms':
      return formatDurationMs(e.value);
    case 'ns':
      return formatDurationNs(e.value);
    case 'bytes':
      return formatBytes(e.value);
    default:
      return `${formatNumber(e.value)} ${e.unit}`;
  }
}

function evidenceLine(e: Evidence): string {
  const bound = e.threshold === null ? '' : ` (threshold ${evidenceValue({ ...e, value: e.threshold })})`;
  const window = e.windowS > 0 ? ` over ${formatDurationS(e.windowS)}` : '';
  return `${e.metric} = ${evidenceValue(e)}${window}${bound}${e.source ? ` [${e.source}]` : ''}`;
}

function counts(s: DoctorSection): Record<Severity, number> {
  const c: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
  for (const f of s.findings) c[f.severity]++;
  return c;
}

function countLine(s: DoctorSection): string {
  const c = counts(s);
  return `${c.critical} critical · ${c.warning} warning · ${c.info} info (${s.rulesRun.length} rules)`;
}

function targetLine(s: DoctorSection): string {
  const engine = s.target.flavour === 'cerbos' ? 'Cerbos' : s.target.flavour === 'authz-perf' ? 'authz-perf serve' : 'unknown engine';
  return `${engine} at ${s.target.url}${s.target.bundled ? ' (started by doctor)' : ''} · metrics ${s.target.metricsUrl} · window ${formatDurationS(s.windowS)}, ${s.metrics.scrapes} scrapes`;
}

function figurePairs(s: DoctorSection): Array<[string, string]> {
  const m = s.metrics;
  const pairs: Array<[string, string]> = [];
  if (m.load)
    pairs.push([
      'load',
      `${m.load.scenario}: ${formatCount(m.load.targetRps)} req/s offered, ${formatCount(m.load.achievedRps)} achieved · p50 ${formatDurationMs(m.load.p50Ms)} · p99 ${formatDurationMs(m.load.p99Ms)} (corrected) · errors ${formatPercent(m.load.errorRate, 2)} · generator CPU ${formatPercent(m.load.generatorCpu, 0)}`,
    ]);
  if (m.requests) pairs.push(['requests (server)', `${formatCount(m.requests.count)} (${formatNumber(m.requests.rps)} req/s) · errors ${m.requests.errorRate === null ? '–' : formatPercent(m.requests.errorRate, 2)}`]);
  if (m.latency) pairs.push(['latency (server)', `p50 ${formatDurationMs(m.latency.p50Ms)} · p99 ${formatDurationMs(m.latency.p99Ms)} · mean ${formatDurationMs(m.latency.meanMs)} — ${m.latency.source}`]);
  pairs.push(['SLO', `p99 ≤ ${formatDurationMs(m.slo.p99Ms)}, errors ≤ ${formatPercent(m.slo.errorRate, 2)} (${m.slo.source})`]);
  if (m.serverCpu !== null) pairs.push(['server CPU', `${formatNumber(m.serverCpu)} cores of ${m.engineCores} usable (host ${m.hostCores})`]);
  if (m.cache)
    pairs.push([
      'decision cache',
      `hit rate ${formatPercent(m.cache.hitRate)} (${formatCount(m.cache.hits)} hits, ${formatCount(m.cache.misses)} misses) · ${formatCount(m.cache.entries)} of ${formatCount(m.cache.maxEntries)} entries · TTL ${m.cache.ttlS === null ? '–' : formatDurationS(m.cache.ttlS)}`,
    ]);
  if (m.cel && m.cel.seconds !== null) pairs.push(['CEL (server)', `${formatCount(m.cel.evaluations)} evaluations, ${formatDurationS(m.cel.seconds)} · ${formatPercent(m.cel.shareOfCheckTime)} of check time`]);
  const mem = m.memory;
  if (mem) {
    pairs.push([
      'memory',
      `heap ${formatBytes(mem.heapUsedBytes)} used of ${formatBytes(mem.heapTotalBytes)} (limit ${formatBytes(mem.heapLimitBytes)})${mem.oldGenUsedBytes !== null ? ` · old generation ${formatBytes(mem.oldGenUsedBytes)}${mem.oldGenLimitBytes ? ` of ${formatBytes(mem.oldGenLimitBytes)} (--max-old-space-size)` : ''}` : ''} · external ${formatBytes(mem.externalBytes)} · RSS ${formatBytes(mem.rssBytes)}`,
    ]);
    const gc = mem.gcByKind.map((k) => `${k.kind} ${formatCount(k.count)}× ${formatDurationS(k.seconds)}${k.p99Ms !== null ? ` (p99 ≤ ${formatDurationMs(k.p99Ms)})` : ''}${k.maxMs != null ? ` (longest recent ${formatDurationMs(k.maxMs)})` : ''}`).join(', ');
    pairs.push(['GC', `${formatPercent(mem.gcTimeShare)} of the window${gc ? ` · ${gc}` : ''}${mem.gcCpuShare !== null ? ` · ${formatPercent(mem.gcCpuShare)} of CPU` : ''}${mem.gogcPercent !== null ? ` · GOGC ${mem.gogcPercent}` : ''}`]);
  }
  if (m.eventLoop) pairs.push(['event loop', `delay p99 ${formatDurationMs(m.eventLoop.p99Ms)} · max ${formatDurationMs(m.eventLoop.maxMs)} · mean ${formatDurationMs(m.eventLoop.meanMs)} (worst interval) · p99 ${formatDurationMs(m.eventLoop.medianP99Ms)} (median interval)`]);
  const d = m.database;
  if (d)
    pairs.push([
      'database',
      `${d.backend === 'pglite' ? 'embedded PGlite' : 'PostgreSQL'} ${d.serverVersion} · ${formatCount(d.connections)} of ${formatCount(d.maxConnections)} connections · pg_stat_statements ${d.statements === null ? `absent (${d.statementsAbsentReason ?? '?'})` : `${d.statements.length} statements in the window`}`,
    ]);
  return pairs;
}

function findingsTable(s: DoctorSection): TableSpec {
  return {
    head: ['severity', 'rule', 'finding', 'action'],
    rows: s.findings.map((f) => [f.severity, f.ruleId, f.title, f.action]),
    align: ['left', 'left', 'left', 'left'],
  };
}

function celTable(s: DoctorSection): TableSpec | null {
  const list = s.metrics.cel?.perExpression;
  if (!list?.length) return null;
  return {
    head: ['expression', 'where', 'evals', 'per eval', 'share of CEL', 'static cost'],
    rows: list.slice(0, 10).map((e) => [
      e.expression.length > 60 ? `${e.expression.slice(0, 59)}…` : e.expression,
      `${e.location} (${e.owner})`,
      formatCount(e.evaluations),
      formatDurationNs(e.nsPerEval),
      formatPercent(e.share),
      e.staticUnbounded ? 'unbounded' : formatCount(e.staticCostMax),
    ]),
    align: ['left', 'left'],
  };
}

function dbTables(s: DoctorSection): TableSpec[] {
  const d = s.metrics.database;
  if (!d) return [];
  const out: TableSpec[] = [];
  if (d.statements?.length)
    out.push({
      head: ['statement', 'calls', 'mean', 'total'],
      rows: d.statements.slice(0, 5).map((x) => [x.query.replace(/\s+/g, ' ').slice(0, 80), formatCount(x.calls), formatDurationMs(x.meanMs), formatDurationMs(x.totalMs)]),
    });
  if (d.tableScans.length)
    out.push({
      head: ['table', 'seq scans', 'rows read by seq scans', 'index scans', 'live rows'],
      rows: d.tableScans.slice(0, 5).map((t) => [t.table, formatCount(t.seqScans), formatCount(t.seqRowsRead), formatCount(t.indexScans), formatCount(t.liveRows)]),
    });
  if (d.activity.length)
    out.push({
      head: ['pid', 'state', 'running for', 'waiting on', 'query'],
      rows: d.activity.slice(0, 5).map((a) => [String(a.pid), a.state, formatDurationMs(a.durationMs), a.waitEvent ?? '–', a.query.replace(/\s+/g, ' ').slice(0, 80)]),
      align: ['right', 'left', 'right', 'left', 'left'],
    });
  return out;
}

const verdict = (s: DoctorSection): string =>
  s.worst === 'critical' ? 'critical findings (exit 1)' : s.worst === 'warning' ? 'warnings, nothing critical' : s.worst === 'info' ? 'healthy (notes only)' : 'healthy: no findings';

// ── terminal ────────────────────────────────────────────────────────────────────────────

function terminal(report: DoctorReport, options: RenderOptions): string {
  const s = report.doctor;
  const c = paint(options);
  const tone = (sev: Severity, text: string): string => (sev === 'critical' ? c.red.bold(text) : sev === 'warning' ? c.yellow(text) : c.gray(text));
  const out: string[] = [terminalHeading('Doctor', options), targetLine(s), `${countLine(s)} → ${verdict(s)}`, ''];
  if (s.findings.length) {
    out.push(terminalHeading('Findings', options));
    for (const f of s.findings) {
      out.push(`${tone(f.severity, f.severity.toUpperCase().padEnd(8))} ${c.bold(f.ruleId)}  ${f.title}`);
      out.push(`         → ${f.action}`);
      for (const e of f.evidence) out.push(c.gray(`           · ${evidenceLine(e)}`));
    }
    out.push('');
  }
  out.push(terminalHeading('Figures over the window', options), terminalKeyValue(figurePairs(s), options));
  const cel = celTable(s);
  if (cel) out.push('', terminalHeading('CEL time by expression', options), c.gray(s.metrics.cel?.perExpressionSource ?? ''), terminalTable(cel, options));
  const db = dbTables(s);
  if (db.length) out.push('', terminalHeading('Database', options), ...db.map((t) => terminalTable(t, options)));
  if (s.notes.length) out.push('', ...s.notes.map((n) => c.gray(`note: ${n}`)));
  return out.join('\n');
}

// ── Markdown ────────────────────────────────────────────────────────────────────────────

function markdownFinding(f: Finding): string[] {
  const icon = f.severity === 'critical' ? '🔴' : f.severity === 'warning' ? '🟠' : '⚪';
  return [
    `- ${icon} **${f.severity}** \`${f.ruleId}\`: ${escapeMarkdown(f.title)}`,
    `  - **action:** ${escapeMarkdown(f.action)}`,
    ...f.evidence.map((e) => `  - ${escapeMarkdown(evidenceLine(e))}`),
  ];
}

function markdown(report: DoctorReport): string {
  const s = report.doctor;
  const out: string[] = ['## Doctor', '', escapeMarkdown(targetLine(s)), '', `**${escapeMarkdown(countLine(s))} → ${escapeMarkdown(verdict(s))}**`, ''];
  if (s.findings.length) out.push('### Findings', '', ...s.findings.flatMap(markdownFinding), '');
  out.push('### Figures over the window', '', markdownKeyValue(figurePairs(s), ['', 'value']), '');
  const cel = celTable(s);
  if (cel) out.push('### CEL time by expression', '', `_${escapeMarkdown(s.metrics.cel?.perExpressionSource ?? '')}_`, '', markdownTable(cel), '');
  const db = dbTables(s);
  if (db.length) out.push('### Database', '', ...db.flatMap((t) => [markdownTable(t), '']));
  for (const n of s.notes) out.push(`> ${escapeMarkdown(n)}`, '');
  return out.join('\n').trimEnd();
}

// ── HTML ────────────────────────────────────────────────────────────────────────────────

function charts(s: DoctorSection): ChartSpec[] {
  const pts = s.series;
  if (pts.length === 0) return [];
  const labels = pts.map((p) => formatNumber(p.tS));
  const specs: ChartSpec[] = [];
  const any = (f: (p: (typeof pts)[number]) => number | null): boolean => pts.some((p) => f(p) !== null);
  if (any((p) => p.p99Ms))
    specs.push({
      id: 'doctor-latency',
      title: 'Server p99 latency and request rate per interval',
      type: 'line',
      xLabel: 'seconds into the window',
      yLabel: 'p99 (ms)',
      y2Label: 'req/s',
      labels,
      series: [
        { label: 'p99 (ms)', values: pts.map((p) => p.p99Ms) },
        { label: 'req/s', values: pts.map((p) => p.rps), axis: 'right' },
      ],
    });
  if (any((p) => p.hitRate))
    specs.push({ id: 'doctor-hit-rate', title: 'Decision-cache hit rate per interval', type: 'line', xLabel: 'seconds into the window', yLabel: 'hit rate (%)', labels, series: [{ label: 'hit rate (%)', values: pts.map((p) => (p.hitRate === null ? null : p.hitRate * 100)) }] });
  if (any((p) => p.heapUsedBytes))
    specs.push({
      id: 'doctor-heap',
      title: 'Heap used and RSS',
      type: 'line',
      xLabel: 'seconds into the window',
      yLabel: 'MiB',
      labels,
      series: [
        { label: 'heap used (MiB)', values: pts.map((p) => (p.heapUsedBytes === null ? null : p.heapUsedBytes / 2 ** 20)) },
        { label: 'RSS (MiB)', values: pts.map((p) => (p.rssBytes === null ? null : p.rssBytes / 2 ** 20)) },
      ],
    });
  if (any((p) => p.gcShare))
    specs.push({
      id: 'doctor-gc',
      title: 'GC time and CPU per interval',
      type: 'line',
      xLabel: 'seconds into the window',
      yLabel: 'GC share of time (%)',
      y2Label: 'CPU (cores)',
      labels,
      series: [
        { label: 'GC (%)', values: pts.map((p) => (p.gcShare === null ? null : p.gcShare * 100)) },
        { label: 'CPU (cores)', values: pts.map((p) => p.cpu), axis: 'right' },
      ],
    });
  return specs;
}

function html(report: DoctorReport): HtmlSection {
  const s = report.doctor;
  const c = counts(s);
  const parts: string[] = [htmlHeading('Doctor', 2, 'doctor'), htmlParagraph(targetLine(s))];
  parts.push(
    htmlStatCards([
      { label: 'critical', value: String(c.critical), tone: c.critical ? 'bad' : 'good' },
      { label: 'warnings', value: String(c.warning), tone: c.warning ? 'warn' : 'good' },
      { label: 'info', value: String(c.info) },
      { label: 'window', value: formatDurationS(s.windowS) },
    ]),
  );
  if (s.findings.length) {
    parts.push(htmlHeading('Findings', 3));
    parts.push(
      htmlList(
        s.findings.map((f) =>
          rawHtml(
            `${htmlBadge(f.severity, f.severity === 'critical' ? 'bad' : f.severity === 'warning' ? 'warn' : 'info')} <code>${escapeHtml(f.ruleId)}</code> ${escapeHtml(f.title)}<br><strong>action:</strong> ${escapeHtml(f.action)}` +
              (f.evidence.length ? `<ul>${f.evidence.map((e) => `<li>${escapeHtml(evidenceLine(e))}</li>`).join('')}</ul>` : ''),
          ),
        ),
      ),
    );
  } else parts.push(htmlParagraph(rawHtml(`${htmlBadge('healthy', 'good')} no findings`)));
  parts.push(htmlHeading('Figures over the window', 3), htmlKeyValue(figurePairs(s)));
  const specs = charts(s);
  if (specs.length) parts.push(htmlHeading('Evidence over the window', 3), ...specs.map((x) => htmlChart(x.id)));
  const cel = celTable(s);
  if (cel) parts.push(htmlHeading('CEL time by expression', 3), htmlParagraph(s.metrics.cel?.perExpressionSource ?? ''), htmlTable(cel));
  const db = dbTables(s);
  if (db.length) parts.push(htmlHeading('Database', 3), ...db.map((t) => htmlTable(t)));
  if (s.notes.length) parts.push(htmlList(s.notes));
  return { body: parts.join('\n'), charts: specs };
}

// ── headlines ───────────────────────────────────────────────────────────────────────────

function headlines(report: DoctorReport): Headline[] {
  const s = report.doctor;
  const c = counts(s);
  const out: Headline[] = [
    { key: 'doctor/critical', label: 'critical findings', value: c.critical, unit: 'findings', better: 'lower' },
    { key: 'doctor/warning', label: 'warnings', value: c.warning, unit: 'findings', better: 'lower' },
  ];
  const p99 = s.metrics.load?.p99Ms ?? s.metrics.latency?.p99Ms ?? null;
  if (p99 !== null) out.push({ key: 'doctor/p99Ms', label: 'p99 latency', value: p99, unit: 'ms', better: 'lower' });
  if (s.metrics.cache?.hitRate != null) out.push({ key: 'doctor/cacheHitRate', label: 'cache hit rate', value: s.metrics.cache.hitRate, unit: 'ratio', better: 'higher' });
  return out;
}

export const doctorRenderer: SectionRenderer<DoctorReport> = { terminal, markdown, html, headlines };

