/**
 * Renderers for the `explain` section: pure functions of the report. Per query a compact plan
 * tree (rows estimated/actual, exclusive time share), findings by severity and the verified
 * index advice; then the summary of all suggested indexes.
 */
import type { ExplainReport } from '../types.js';
import type { Headline, HtmlSection, RenderOptions, SectionRenderer } from '../render-types.js';
import type { ChartSpec } from '../chart.js';
import type { ExplainSection, Finding, IndexAdvice, QueryAnalysis, Severity } from '../../query/types.js';
import {
  escapeHtml, escapeMarkdown, formatBytes, formatCount, formatDurationMs, formatNumber, formatPercent, htmlBadge, htmlChart,
  htmlHeading, htmlKeyValue, htmlList, htmlParagraph, htmlStatCards, htmlTable, markdownCode, markdownKeyValue, markdownTable,
  paint, rawHtml, terminalHeading, terminalKeyValue, terminalTable, type TableSpec,
} from '../helpers.js';

// ── shared builders ──────────────────────────────────────────────────────────────────────

const SEVERITIES: Severity[] = ['critical', 'warning', 'info'];

function backendText(s: ExplainSection): string {
  const b = s.backend;
  if (b.kind === 'none') return 'saved plans (no database)';
  const v = b.serverVersionNum ? ` ${Math.floor(b.serverVersionNum / 10000)}.${b.serverVersionNum % 100}` : '';
  return `${b.kind === 'pglite' ? 'embedded PGlite (PostgreSQL' + v + ')' : 'PostgreSQL' + v + ' server'}${b.kind === 'postgres' ? (b.hypopg ? ', HypoPG available' : ', no HypoPG') : ''}`;
}

function verificationText(s: ExplainSection): string {
  switch (s.verification) {
    case 'hypopg': return 'HypoPG hypothetical indexes, plain EXPLAIN cost (Dexter: cost −50% from ≥ 100); trigram indexes as real indexes in rolled-back transactions';
    case 'rolled-back-index': return `real indexes created inside rolled-back transactions; plan cost (−50% from ≥ 100)${s.analyze ? ' and EXPLAIN ANALYZE time measured before and after' : ''}`;
    default: return 'none (no candidates)';
  }
}

function summaryPairs(s: ExplainSection): Array<[string, string]> {
  const pairs: Array<[string, string]> = [
    ['database', backendText(s)],
    ['input', `${s.input.kind}: ${s.input.files.join(', ')}`],
  ];
  if (s.seed) {
    pairs.push(['seeded', `${formatCount(s.seed.rows.decisions)} decisions, ${formatCount(s.seed.rows.auditLogs)} audit events, ${formatCount(s.seed.rows.policies)} policies in ${formatDurationMs(s.seed.durationMs)} (schema ${s.seed.schema})`]);
  }
  pairs.push(
    ['mode', s.analyze ? `EXPLAIN (ANALYZE, BUFFERS) in BEGIN … ROLLBACK, statement_timeout ${formatDurationMs(s.statementTimeoutMs)}${s.backend.kind === 'pglite' ? ' (not enforced by PGlite)' : ''}` : 'plain EXPLAIN (estimates only)'],
    ['verification', verificationText(s)],
    ['findings', `${s.summary.critical} critical · ${s.summary.warning} warning · ${s.summary.info} info across ${s.summary.queries} queries${s.summary.errors ? ` (${s.summary.errors} failed)` : ''}`],
    ['indexes advised', String(s.indexes.length)],
  );
  if (s.summary.totalExecutionTimeMs !== null) pairs.push(['total execution time', formatDurationMs(s.summary.totalExecutionTimeMs)]);
  return pairs;
}

function counts(q: QueryAnalysis): Record<Severity, number> {
  const c: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
  for (const f of q.findings) c[f.severity]++;
  return c;
}

function queryStatus(q: QueryAnalysis): string {
  if (q.status === 'error') return `error: ${q.error ?? ''}`;
  if (q.status === 'timeout') return 'timeout';
  return q.analyzed ? formatDurationMs(q.executionTimeMs) : 'not run';
}

/**
 * Lists are capped so a catalog of thousands of queries still renders to a bounded page: the
 * worst queries (errors, then by critical / warning findings, then time) in the table, charts and
 * headlines, fewer in detail, each plan up to PLAN_ROWS nodes. The JSON report has all of them.
 */
const LISTED_QUERIES = 50;
const DETAILED_QUERIES = 30;
const PLAN_ROWS = 60;
const SQL_CHARS = 4000;

function severityRank(q: QueryAnalysis): number {
  const c = counts(q);
  return (q.status === 'error' ? 1e9 : 0) + c.critical * 1e6 + c.warning * 1e3 + c.info;
}

/** The `limit` worst queries, in their catalog order. */
function worstQueries(s: ExplainSection, limit: number, keep: (q: QueryAnalysis) => boolean = () => true): QueryAnalysis[] {
  const candidates = s.queries.filter(keep);
  if (candidates.length <= limit) return candidates;
  const chosen = new Set(
    [...candidates].sort((a, b) => severityRank(b) - severityRank(a) || (b.executionTimeMs ?? 0) - (a.executionTimeMs ?? 0)).slice(0, limit),
  );
  return candidates.filter((q) => chosen.has(q));
}

function listedQueries(s: ExplainSection): QueryAnalysis[] {
  return worstQueries(s, LISTED_QUERIES);
}

/** Queries shown in detail: the failed ones and those with findings, capped. */
function detailedQueries(s: ExplainSection): QueryAnalysis[] {
  return worstQueries(s, DETAILED_QUERIES, (q) => q.status === 'error' || q.findings.length > 0 || q.advisedIndexes.length > 0);
}

function more(shown: number, total: number, what: string): string | null {
  return total > shown ? `… ${formatCount(total - shown)} more ${what} in the JSON report.` : null;
}

/** How many queries qualify for detail (failed, findings or advice). */
function detailCount(s: ExplainSection): number {
  let n = 0;
  for (const q of s.queries) if (q.status === 'error' || q.findings.length > 0 || q.advisedIndexes.length > 0) n++;
  return n;
}

function clipSql(sql: string): string {
  return sql.length > SQL_CHARS ? `${sql.slice(0, SQL_CHARS - 1)}…` : sql;
}

function queriesTable(s: ExplainSection): TableSpec {
  return {
    head: ['Query', 'Kind', 'Time', 'Cost', 'Critical', 'Warning', 'Info', 'Top finding', 'Index'],
    align: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left', 'left'],
    rows: listedQueries(s).map((q) => {
      const c = counts(q);
      const top = q.findings.find((f) => f.rule !== 'hotspot') ?? q.findings[0];
      const where = top?.nodeLabel ? ` (${top.nodeLabel})` : '';
      return [q.id, q.kind, queryStatus(q), formatNumber(q.totalCostUnits), c.critical, c.warning, c.info, top ? `${top.rule}${where}` : '', q.advisedIndexes.length ? 'yes' : ''];
    }),
  };
}

function planTable(q: QueryAnalysis): TableSpec {
  return {
    head: ['Node', 'Rows est.', 'Rows actual', 'Loops', 'Excl. time', 'Share'],
    align: ['left', 'right', 'right', 'right', 'right', 'right'],
    rows: q.plan.slice(0, PLAN_ROWS).map((n) => [
      `${'  '.repeat(n.depth)}${n.depth ? '└ ' : ''}${n.label}`,
      formatCount(n.estRows),
      n.actualRows === null ? null : formatCount(n.actualRows),
      n.loops,
      n.exclusiveTimeMs === null ? null : formatDurationMs(n.exclusiveTimeMs),
      n.timeShare === null ? null : formatPercent(n.timeShare, 0),
    ]),
  };
}

function timeChange(before: number | null, after: number | null): string {
  if (before === null || after === null) return 'not measured';
  return `${formatDurationMs(before)} → ${formatDurationMs(after)}`;
}

function indexesTable(s: ExplainSection): TableSpec {
  return {
    head: ['#', 'Index', 'Method', 'Queries helped', 'Cost before → after', 'Time before → after', 'Size'],
    align: ['right', 'left', 'left', 'left', 'right', 'right', 'right'],
    rows: s.indexes.map((ix, i) => [
      i + 1, `${ix.table} ${ix.using === 'btree' ? '' : `${ix.using} `}(${ix.columns.join(', ')})`, ix.method, ix.queries.join(', '),
      `${formatNumber(ix.costBeforeUnits)} → ${formatNumber(ix.costAfterUnits)} (−${formatPercent(ix.costReduction, 0)})`,
      timeChange(ix.timeBeforeMs, ix.timeAfterMs), formatBytes(ix.estimatedSizeBytes),
    ]),
  };
}

function findingWhere(f: Finding): string {
  if (!f.nodeLabel) return '';
  return f.timeShare !== null ? `${f.nodeLabel}, ${formatPercent(f.timeShare, 0)} of time` : f.nodeLabel;
}

function writeNotes(s: ExplainSection): string[] {
  return s.writeOverhead;
}

// ── terminal ─────────────────────────────────────────────────────────────────────────────

function terminal(report: ExplainReport, options: RenderOptions): string {
  const s = report.explain;
  const c = paint(options);
  const tone = (sev: Severity, text: string) => (sev === 'critical' ? c.red.bold(text) : sev === 'warning' ? c.yellow(text) : c.gray(text));
  const out: string[] = [terminalKeyValue(summaryPairs(s), options), ''];
  out.push(terminalTable(queriesTable(s), options));
  const mq = more(LISTED_QUERIES, s.queries.length, 'queries');
  out.push(...(mq ? [c.gray(mq)] : []), '');
  const detailed = detailedQueries(s);
  for (const q of detailed) {
    if (q.status === 'error') {
      out.push(`${c.bold(q.id)} ${c.gray(q.source)}  ${c.red('error')}: ${q.error ?? ''}`, '');
      continue;
    }
    if (q.findings.length === 0 && q.advisedIndexes.length === 0) continue;
    out.push(`${c.bold(q.id)} ${c.gray(q.source)}  ${queryStatus(q)}, cost ${formatNumber(q.totalCostUnits)}${q.status === 'timeout' ? c.yellow(` (${q.error})`) : ''}`);
    if (q.plan.length) out.push(terminalTable(planTable(q), options));
    if (q.plan.length > PLAN_ROWS) out.push(c.gray(`  … ${q.plan.length - PLAN_ROWS} more plan nodes in the JSON report`));
    for (const f of q.findings) {
      out.push(`  ${tone(f.severity, f.severity.toUpperCase().padEnd(8))} ${c.bold(f.rule)}${findingWhere(f) ? c.gray(` [${findingWhere(f)}]`) : ''}: ${f.message}`);
      out.push(`           ${c.gray('evidence:')} ${f.evidence}`);
      out.push(`           ${c.gray('advice:')}   ${f.advice}`);
    }
    for (const ddl of q.advisedIndexes) out.push(`  ${c.green('INDEX')}    ${ddl}`);
    out.push('');
  }
  const mdt = more(detailed.length, detailCount(s), 'queries with findings');
  if (mdt) out.push(c.gray(mdt), '');
  if (s.indexes.length) {
    out.push(terminalHeading(`Suggested indexes (${s.indexes.length}, verified)`, options));
    out.push(terminalTable(indexesTable(s), options));
    s.indexes.forEach((ix, i) => out.push(`${String(i + 1).padStart(2)}. ${c.green(ix.ddl)}`));
    for (const n of writeNotes(s)) out.push(c.yellow(`note: ${n}`));
  } else {
    out.push(c.gray('No index passed verification.'));
  }
  return out.join('\n');
}

// ── Markdown ─────────────────────────────────────────────────────────────────────────────

function markdown(report: ExplainReport): string {
  const s = report.explain;
  const out: string[] = ['## explain', '', markdownKeyValue(summaryPairs(s), ['', '']), '', markdownTable(queriesTable(s)), ''];
  const mq = more(LISTED_QUERIES, s.queries.length, 'queries');
  if (mq) out.push(`_${escapeMarkdown(mq)}_`, '');
  if (s.indexes.length) {
    out.push(`### Suggested indexes (${s.indexes.length}, verified)`, '', markdownTable(indexesTable(s)), '', '```sql', ...s.indexes.map((ix) => ix.ddl), '```', '');
    const notes = writeNotes(s);
    if (notes.length) out.push(...notes.map((n) => `> ${escapeMarkdown(n)}`), '');
  } else {
    out.push('No index passed verification.', '');
  }
  const detailed = detailedQueries(s);
  for (const q of detailed) {
    if (q.status === 'error') {
      out.push(`- **${escapeMarkdown(q.id)}** (${escapeMarkdown(q.source)}): error: ${escapeMarkdown(q.error ?? '')}`);
      continue;
    }
    if (q.findings.length === 0) continue;
    const c = counts(q);
    out.push(`<details><summary><b>${escapeHtml(q.id)}</b> — ${escapeHtml(queryStatus(q))}, ${c.critical} critical, ${c.warning} warning, ${c.info} info</summary>`, '');
    if (q.sql) out.push('```sql', clipSql(q.sql), '```', '');
    if (q.plan.length) out.push(markdownTable(planTable(q)), '');
    if (q.plan.length > PLAN_ROWS) out.push(`_… ${q.plan.length - PLAN_ROWS} more plan nodes in the JSON report._`, '');
    for (const f of q.findings) {
      out.push(`- **${f.severity}** \`${f.rule}\`${findingWhere(f) ? ` (${escapeMarkdown(findingWhere(f))})` : ''}: ${escapeMarkdown(f.message)}  `);
      out.push(`  evidence: ${markdownCode(f.evidence)}  `, `  advice: ${escapeMarkdown(f.advice)}`);
    }
    for (const ddl of q.advisedIndexes) out.push(`- index: ${markdownCode(ddl)}`);
    out.push('', '</details>', '');
  }
  const mdt = more(detailed.length, detailCount(s), 'queries with findings');
  if (mdt) out.push(`_${escapeMarkdown(mdt)}_`, '');
  return out.join('\n');
}

// ── HTML ─────────────────────────────────────────────────────────────────────────────────

const BADGE: Record<Severity, 'bad' | 'warn' | 'info'> = { critical: 'bad', warning: 'warn', info: 'info' };

/** Below this execution time node shares are noise (the hotspot rule's floor); at most this many charts. */
const SHARE_CHART_MIN_MS = 1;
const SHARE_CHART_MAX = 20;

/** Analyzed queries worth a time-share chart: at least 1 ms, slowest first. */
export function slowQueries(s: ExplainSection): QueryAnalysis[] {
  return s.queries
    .filter((q) => q.status !== 'error' && (q.executionTimeMs ?? 0) >= SHARE_CHART_MIN_MS && q.plan.some((n) => n.timeShare !== null))
    .sort((a, b) => (b.executionTimeMs ?? 0) - (a.executionTimeMs ?? 0))
    .slice(0, SHARE_CHART_MAX);
}

export function shareChartId(q: QueryAnalysis): string {
  return `explain-node-share-${q.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** One horizontal bar per plan node: its exclusive share (children subtracted) of the query's time, in %. */
function shareChart(q: QueryAnalysis): ChartSpec {
  return {
    id: shareChartId(q), title: `${q.id}: plan node time shares (${formatDurationMs(q.executionTimeMs)})`, type: 'horizontalBar',
    xLabel: 'plan node', yLabel: '% of execution time',
    labels: q.plan.map((n) => `#${n.id} ${'· '.repeat(n.depth)}${n.label}`),
    series: [{ label: 'exclusive time (% of query)', values: q.plan.map((n) => (n.timeShare === null ? null : Math.round(n.timeShare * 1000) / 10)) }],
  };
}

function charts(s: ExplainSection): ChartSpec[] {
  const out: ChartSpec[] = [];
  const timed = listedQueries(s).filter((q) => q.executionTimeMs !== null);
  if (timed.length) {
    out.push({
      id: 'explain-query-times', title: 'Execution time per query (EXPLAIN ANALYZE)', type: 'horizontalBar', xLabel: 'query', yLabel: 'ms',
      labels: timed.map((q) => q.id), series: [{ label: 'execution time (ms)', values: timed.map((q) => q.executionTimeMs) }],
    });
  }
  if (s.indexes.length) {
    const measured = s.indexes.some((i) => i.timeAfterMs !== null);
    out.push({
      id: 'explain-index-effect', title: measured ? 'Measured time of the helped queries, before and after each index' : 'Plan cost of the helped queries, before and after each index',
      type: 'bar', xLabel: 'index', yLabel: measured ? 'ms' : 'cost units', logY: true,
      labels: s.indexes.map((i) => `${i.table} (${i.columns.join(', ')})`),
      series: measured
        ? [{ label: 'before (ms)', values: s.indexes.map((i) => i.timeBeforeMs) }, { label: 'after (ms)', values: s.indexes.map((i) => i.timeAfterMs) }]
        : [{ label: 'cost before', values: s.indexes.map((i) => i.costBeforeUnits) }, { label: 'cost after', values: s.indexes.map((i) => i.costAfterUnits) }],
    });
  }
  out.push(...slowQueries(s).map(shareChart));
  return out;
}

function html(report: ExplainReport): HtmlSection {
  const s = report.explain;
  const parts: string[] = [htmlHeading('explain')];
  parts.push(htmlStatCards([
    { label: 'critical findings', value: String(s.summary.critical), tone: s.summary.critical ? 'bad' : 'good' },
    { label: 'warnings', value: String(s.summary.warning), tone: s.summary.warning ? 'warn' : 'good' },
    { label: 'verified indexes', value: String(s.indexes.length) },
    { label: 'total execution time', value: formatDurationMs(s.summary.totalExecutionTimeMs) },
  ]));
  parts.push(htmlKeyValue(summaryPairs(s)));
  const qt = queriesTable(s);
  parts.push(htmlTable({ head: qt.head, rows: qt.rows, ...(qt.align ? { align: qt.align } : {}), caption: 'Queries', className: 'compact' }));
  const mq = more(LISTED_QUERIES, s.queries.length, 'queries');
  if (mq) parts.push(htmlParagraph(mq, 'note'));
  const ch = charts(s);
  if (ch.some((c) => c.id === 'explain-query-times')) parts.push(htmlChart('explain-query-times'));
  const slow = slowQueries(s);
  if (slow.length) {
    parts.push(htmlHeading('Plan node time shares', 3));
    parts.push(htmlParagraph(`Exclusive time of each plan node (children subtracted, loops multiplied) as a share of its query's execution time; ${slow.length === 1 ? 'the query' : `the ${slow.length} queries`} taking ≥ ${SHARE_CHART_MIN_MS} ms, slowest first.`, 'note'));
    parts.push(`<div class="chart-grid">\n${slow.map((q) => htmlChart(shareChartId(q))).join('\n')}\n</div>`);
  }
  parts.push(htmlHeading(`Suggested indexes (${s.indexes.length}, verified)`, 3));
  if (s.indexes.length) {
    const it = indexesTable(s);
    parts.push(htmlTable({ head: it.head, rows: it.rows, ...(it.align ? { align: it.align } : {}) }));
    parts.push(`<pre><code>${s.indexes.map((ix) => escapeHtml(ix.ddl)).join('\n')}</code></pre>`);
    if (ch.some((c) => c.id === 'explain-index-effect')) parts.push(htmlChart('explain-index-effect'));
    for (const n of writeNotes(s)) parts.push(htmlParagraph(n, 'warn'));
  } else {
    parts.push(htmlParagraph('No index passed verification.', 'note'));
  }
  const detailed = detailedQueries(s);
  for (const q of detailed) {
    if (q.status === 'error') {
      parts.push(htmlParagraph(rawHtml(`<b>${escapeHtml(q.id)}</b> (${escapeHtml(q.source)}): ${htmlBadge('error', 'bad')} ${escapeHtml(q.error ?? '')}`)));
      continue;
    }
    if (q.findings.length === 0) continue;
    const c = counts(q);
    const badges = SEVERITIES.filter((sev) => c[sev]).map((sev) => htmlBadge(`${c[sev]} ${sev}`, BADGE[sev])).join(' ');
    const pt = planTable(q);
    const body = [
      q.sql ? `<pre><code>${escapeHtml(clipSql(q.sql))}</code></pre>` : '',
      q.plan.length ? htmlTable({ head: pt.head, rows: pt.rows.map((r) => [rawHtml(`<code>${escapeHtml(String(r[0])).replace(/ /g, '&nbsp;')}</code>`), ...r.slice(1)]), ...(pt.align ? { align: pt.align } : {}), className: 'compact' }) : '',
      htmlList(q.findings.map((f) => rawHtml(
        `${htmlBadge(f.severity, BADGE[f.severity])} <b>${escapeHtml(f.rule)}</b>${findingWhere(f) ? ` <i>(${escapeHtml(findingWhere(f))})</i>` : ''}: ${escapeHtml(f.message)}` +
        `<br><small>evidence: <code>${escapeHtml(f.evidence)}</code></small><br><small>advice: ${escapeHtml(f.advice)}</small>`))),
      q.plan.length > PLAN_ROWS ? htmlParagraph(`… ${q.plan.length - PLAN_ROWS} more plan nodes in the JSON report.`, 'note') : '',
      q.advisedIndexes.length ? htmlList(q.advisedIndexes.map((d) => rawHtml(`index: <code>${escapeHtml(d)}</code>`))) : '',
    ].join('');
    parts.push(`<details><summary><b>${escapeHtml(q.id)}</b> <small>${escapeHtml(q.source)}</small> — ${escapeHtml(queryStatus(q))} ${badges}</summary>${body}</details>`);
  }
  const mdt = more(detailed.length, detailCount(s), 'queries with findings');
  if (mdt) parts.push(htmlParagraph(mdt, 'note'));
  return { body: parts.join('\n'), charts: ch };
}

// ── headlines ────────────────────────────────────────────────────────────────────────────

function headlines(report: ExplainReport): Headline[] {
  const s = report.explain;
  const out: Headline[] = [
    { key: 'explain/findings/critical', label: 'critical findings', value: s.summary.critical, unit: '', better: 'lower' },
    { key: 'explain/findings/warning', label: 'warnings', value: s.summary.warning, unit: '', better: 'lower' },
    { key: 'explain/indexes/advised', label: 'verified indexes advised', value: s.indexes.length, unit: '', better: 'lower' },
  ];
  if (s.summary.totalExecutionTimeMs !== null) {
    out.push({ key: 'explain/totalExecutionTimeMs', label: 'total execution time', value: s.summary.totalExecutionTimeMs, unit: 'ms', better: 'lower' });
  }
  for (const q of listedQueries(s)) {
    if (q.executionTimeMs !== null) out.push({ key: `explain/${q.id}/executionTimeMs`, label: `${q.id} execution time`, value: q.executionTimeMs, unit: 'ms', better: 'lower' });
  }
  return out;
}

export const explainRenderer: SectionRenderer<ExplainReport> = { terminal, markdown, html, headlines };
