/**
 * Renderers for `analyze-cel`: worst-first expression table, span-precise recommendations,
 * per-file summary, parse errors, the cost model note and (with --measure) static vs measured.
 * Pure functions of the report.
 */
import type { CelAnalysisReport } from '../types.js';
import type { Headline, HtmlSection, RenderOptions, SectionRenderer } from '../render-types.js';
import type { ChartSpec } from '../chart.js';
import { ROW, type CelAnalysisSection, type ExpressionAnalysis, type ExpressionError, type Histogram, type Recommendation } from '../../cel/types.js';
import {
  escapeHtml,
  formatCount,
  formatDurationNs,
  formatNumber,
  formatSi,
  htmlBadge,
  htmlChart,
  htmlHeading,
  htmlList,
  htmlParagraph,
  htmlStatCards,
  htmlTable,
  markdownCode,
  markdownTable,
  paint,
  rawHtml,
  terminalHeading,
  terminalTable,
  escapeMarkdown,
  MISSING,
} from '../helpers.js';

/**
 * Every list below is capped and every text clipped, so a report of any size renders to a bounded
 * page: Markdown under 200 KB, and HTML under 2 MB even if every character needed escaping
 * (about 6 bytes each); the JSON's `index` has every expression's figures.
 */
/** rows shown in the terminal before "… N more" (the files hold everything) */
const TERMINAL_ROWS = 25;
const TERMINAL_RECS_PER_EXPRESSION = 4;
const TERMINAL_OUTLIERS = 5;
/** worst expressions in the Markdown and HTML tables (the section lists at most this many) */
const LISTED_ROWS = 100;
/** recommendations: Markdown (sized for a PR comment) and HTML */
const MARKDOWN_RECS = 60;
const HTML_RECS = 150;
/** per-file and per-policy rows: terminal, Markdown, HTML (worst first) */
const TERMINAL_SUMMARY_ROWS = 25;
const MARKDOWN_SUMMARY_ROWS = 50;
const HTML_SUMMARY_ROWS = 100;
/** parse errors listed in Markdown and HTML */
const LISTED_ERRORS = 50;
/** characters of free text in a cell */
const TEXT_CHARS = 240;
/** characters of an expression shown "in full" in the HTML table */
const HTML_EXPRESSION_CHARS = 600;
/** characters of a file path or owner in a cell (middle clipped) */
const NAME_CHARS = 80;

function location(file: string | null, line: number, column: number): string {
  return `${file ?? '--expr'}:${line}:${column}`;
}

function where(e: ExpressionAnalysis): string {
  return location(e.origin.file === null ? null : clipMiddle(e.origin.file, NAME_CHARS), e.span.line, e.span.column);
}

function owner(e: { origin: ExpressionAnalysis['origin'] }): string {
  const o = e.origin;
  if (o.kind !== 'policy') return '';
  return clipMiddle([o.rule, o.role ? `(${o.role})` : ''].filter(Boolean).join(' '), NAME_CHARS);
}

/** Long names keep their start and end: `policies/…/album.yaml`. */
function clipMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

function maxCost(e: ExpressionAnalysis): string {
  return e.cost.maxCostUnits === null ? 'unbounded' : formatCount(e.cost.maxCostUnits);
}

function comprehensions(e: ExpressionAnalysis): string {
  const m = e.metrics;
  return m.comprehensionCount === 0 ? '0' : `${m.comprehensionCount} (nest ${m.maxComprehensionNesting})`;
}

function clip(text: string, max: number): string {
  // at most max * 4 characters are looked at, so a huge expression costs no more than a long one
  const one = (text.length > max * 4 ? text.slice(0, max * 4) : text).replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function recWhere(e: ExpressionAnalysis, r: Recommendation): string {
  return location(e.origin.file === null ? null : clipMiddle(e.origin.file, NAME_CHARS), r.span.line, r.span.column);
}

function summaryLine(s: CelAnalysisSection): string {
  const t = s.totals;
  const files = s.files.length;
  return (
    `${formatCount(t.expressions)} expression${t.expressions === 1 ? '' : 's'} in ${files} source${files === 1 ? '' : 's'}` +
    ` · ${formatCount(t.parseErrors)} parse error${t.parseErrors === 1 ? '' : 's'} · ${formatCount(t.unbounded)} unbounded · ${formatCount(t.overBudget)} over budget (${formatCount(s.budgetUnits)})` +
    ` · ${formatCount(t.recommendations)} recommendation${t.recommendations === 1 ? '' : 's'}`
  );
}

/** How many expressions the lists leave out, and where they all are. */
function listedLine(s: CelAnalysisSection): string | null {
  const total = s.totals.expressions;
  const listed = s.expressions.length;
  if (listed >= total) return null;
  return `The worst ${formatCount(listed)} of ${formatCount(total)} expressions are listed in full; the other ${formatCount(total - listed)} are left out here. The JSON report has every expression's figures (celAnalysis.index: location, costs, depth, nodes, comprehensions, budget, recommendation rules).`;
}

/** Whole-run time: reading, analysis, summaries (the report files are written after). */
function runLine(s: CelAnalysisSection): string | null {
  const t = s.totals;
  if (t.runMs === undefined) return null;
  const rate = t.runMs > 0 ? Math.round((t.expressions / t.runMs) * 1000) : 0;
  const cpu = t.runCpuMs !== undefined ? `, ${formatNumber(t.runCpuMs)} ms CPU` : '';
  return `Whole run up to the report: ${formatNumber(t.runMs)} ms wall${cpu} (${formatCount(rate)} expressions/s, reading inputs included).`;
}

/** The highest bounded max cost over every expression (from the index). */
function maxBoundedCost(s: CelAnalysisSection): number | null {
  let max: number | null = null;
  const rows = s.index.rows;
  for (let i = 0; i < rows.length; i++) {
    const m = rows[i]![ROW.maxCost];
    if (m !== null && (max === null || m > max)) max = m;
  }
  return max;
}

function calibrationLine(s: CelAnalysisSection): string | null {
  const fit = s.measure?.fit;
  if (!s.measure) return null;
  if (!fit) return 'Calibration: not enough measured expressions with differing costs to fit ns/eval against cost units (3 or more needed).';
  return (
    `Calibration over ${formatCount(fit.points)} measured expressions: ns/eval ≈ ${formatNumber(fit.interceptNs)} + ${formatNumber(fit.nsPerCostUnit)} × cost units ` +
    `(one cost unit ≈ ${formatDurationNs(fit.nsPerCostUnit)} on this engine), R² = ${fit.r2.toFixed(3)}; ` +
    `${formatCount(fit.outlierCount)} outlier${fit.outlierCount === 1 ? '' : 's'} (measured ≥ ${fit.outlierFactor}× or ≤ 1/${fit.outlierFactor} of the fit: where the static model misleads).`
  );
}

function outlierRows(s: CelAnalysisSection): Array<Array<string | number>> {
  return (s.measure?.fit?.outliers ?? []).map((o) => [
    clipMiddle(o.id, NAME_CHARS),
    formatCount(o.costUnits),
    formatDurationNs(o.nsPerEval),
    formatDurationNs(o.predictedNs),
    `${o.ratio >= 1 ? formatNumber(o.ratio) : `1/${formatNumber(1 / o.ratio)}`}`,
  ]);
}
const OUTLIER_HEAD = ['Expression', 'Rank cost', 'Measured', 'Fit', 'Measured ÷ fit'];

/** Buckets of a histogram as labels and counts; the unbounded count is a last bucket. */
function histogramBuckets(h: Histogram): Array<{ label: string; count: number }> {
  const out = h.bounds.map((lo, i) => {
    const hi = h.bounds[i + 1] ?? h.top;
    return { label: hi === null || hi === undefined ? `≥ ${formatSi(lo, 1)}` : `${formatSi(lo, 1)}–${formatSi(hi, 1)}`, count: h.counts[i]! };
  });
  if (h.unbounded > 0) out.push({ label: 'unbounded', count: h.unbounded });
  return out;
}

function histogramMarkdown(title: string, h: Histogram): string {
  const buckets = histogramBuckets(h);
  const most = Math.max(1, ...buckets.map((b) => b.count));
  return markdownTable({
    head: [title, 'Expressions', ''],
    rows: buckets.map((b) => [b.label, formatCount(b.count), '█'.repeat(Math.ceil((b.count / most) * 30))]),
    align: ['left', 'right', 'left'],
  });
}

function histogramChart(id: string, title: string, h: Histogram): ChartSpec {
  const buckets = histogramBuckets(h);
  return {
    id,
    title,
    type: 'bar',
    xLabel: 'cost units (bucket from–to)',
    yLabel: 'expressions',
    labels: buckets.map((b) => b.label),
    series: [{ label: 'expressions', values: buckets.map((b) => b.count), color: buckets.map((b) => (b.label === 'unbounded' ? '#d55e00' : '#0072b2')) }],
  };
}

/** Worst first: unbounded, then by max cost, then by count over budget. */
function worstSummariesFirst<T extends { maxCostUnits: number | null; unbounded: number; overBudget: number }>(items: readonly T[], limit: number): T[] {
  return [...items]
    .sort((a, b) => (b.maxCostUnits ?? Infinity) - (a.maxCostUnits ?? Infinity) || b.unbounded - a.unbounded || b.overBudget - a.overBudget)
    .slice(0, limit);
}

function hintsText(s: CelAnalysisSection): string {
  const entries = Object.entries(s.model.sizeHints);
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(', ') : 'none';
}

function modelLine(s: CelAnalysisSection): string {
  return (
    `Cost model: ${s.model.name} (units as in cel-go; "unbounded" = needs a --size-hint). Rank cost = max cost with unbounded sizes taken as ${s.model.assumedSize}, used only for ordering. ` +
    `Size hints: ${hintsText(s)}. ${s.model.divergences.length} documented divergences from cel-go (model.divergences).`
  );
}

function skippedLine(s: CelAnalysisSection): string | null {
  const skipped = s.skipped ?? [];
  if (!skipped.length) return null;
  const names = skipped.slice(0, 5).map((f) => clipMiddle(f.file, NAME_CHARS)).join(', ');
  return `Skipped ${skipped.length} non-policy file${skipped.length === 1 ? '' : 's'}: ${names}${skipped.length > 5 ? ', …' : ''}.`;
}

function throughputLine(s: CelAnalysisSection): string {
  let n = s.totals.expressions;
  for (const e of s.errors) if (e.expression !== '') n++;
  const cpu = s.totals.analysisCpuMs !== undefined ? `, ${formatNumber(s.totals.analysisCpuMs)} ms CPU` : '';
  return `Analysed ${formatCount(n)} expression${n === 1 ? '' : 's'} in ${formatNumber(s.totals.analysisMs)} ms${cpu} (${formatCount(s.totals.expressionsPerSecond)} expressions/s, parse + full analysis).`;
}

function measureLine(s: CelAnalysisSection): string | null {
  if (!s.measure) return null;
  const rho = s.measure.spearman === null ? 'n/a (fewer than 3 measured expressions)' : s.measure.spearman.toFixed(2);
  return `Measured with ${s.measure.input}: Spearman rank correlation between static rank cost and ns/eval = ${rho} over ${s.measure.points} expressions.`;
}

function withVariables(e: ExpressionAnalysis): string {
  const c = e.costWithVariables;
  if (!c) return '';
  return c.maxCostUnits === null ? 'unbounded' : formatCount(c.maxCostUnits);
}

function hasVariableCosts(s: CelAnalysisSection): boolean {
  return s.expressions.some((e) => e.costWithVariables);
}

function expressionHead(s: CelAnalysisSection, measured: boolean): { head: string[]; align: Array<'left' | 'right'> } {
  const head = [...EXPR_HEAD];
  const align: Array<'left' | 'right'> = [...EXPR_ALIGN];
  if (hasVariableCosts(s)) {
    head.splice(4, 0, 'With V.');
    align.splice(4, 0, 'right');
  }
  if (measured) {
    head.push('ns/eval');
    align.push('right');
  }
  return { head, align };
}

function expressionRows(s: CelAnalysisSection, limit: number, measured: boolean): Array<Array<string | number>> {
  const vars = hasVariableCosts(s);
  return s.expressions.slice(0, limit).map((e, i) => {
    const row: Array<string | number> = [
      i + 1,
      where(e),
      owner(e),
      maxCost(e),
      ...(vars ? [withVariables(e)] : []),
      formatCount(e.cost.minCostUnits),
      formatCount(e.cost.rankCostUnits),
      e.metrics.astDepth,
      e.metrics.nodeCount,
      comprehensions(e),
      e.recommendations.length,
    ];
    if (measured) row.push(e.measured ? (e.measured.error ? 'error' : formatDurationNs(e.measured.nsPerEval)) : '');
    return row;
  });
}

const EXPR_HEAD = ['#', 'Location', 'Rule / owner', 'Max cost', 'Min', 'Rank cost', 'Depth', 'Nodes', 'Compr.', 'Recs'];
const EXPR_ALIGN = ['right', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'] as const;

function fileRows(s: CelAnalysisSection, limit: number): Array<Array<string | number>> {
  return worstSummariesFirst(s.files, limit).map((f) => [
    clipMiddle(f.file, NAME_CHARS),
    f.expressions,
    f.parseErrors,
    f.maxCostUnits === null ? 'unbounded' : formatCount(f.maxCostUnits),
    f.unbounded,
    f.overBudget,
    f.recommendations,
    f.worst === null ? '' : clipMiddle(f.worst, NAME_CHARS),
  ]);
}

function policyRows(s: CelAnalysisSection, limit: number): Array<Array<string | number>> {
  return worstSummariesFirst(s.policies, limit).map((p) => [
    clipMiddle(p.file, NAME_CHARS),
    clipMiddle(p.policy, NAME_CHARS),
    p.expressions,
    p.maxCostUnits === null ? 'unbounded' : formatCount(p.maxCostUnits),
    p.unbounded,
    p.overBudget,
    p.recommendations,
    p.worst === null ? '' : clipMiddle(p.worst, NAME_CHARS),
  ]);
}
const POLICY_HEAD = ['File', 'Policy', 'Expressions', 'Max cost', 'Unbounded', 'Over budget', 'Recs', 'Worst'];
const POLICY_ALIGN = ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'] as const;

/** "_… N more X in the JSON report._" when a list was capped. */
function more(shown: number, total: number, what: string): string | null {
  return total > shown ? `… ${formatCount(total - shown)} more ${what} in the JSON report.` : null;
}
const FILE_HEAD = ['File', 'Expressions', 'Parse errors', 'Max cost', 'Unbounded', 'Over budget', 'Recs', 'Worst'];
const FILE_ALIGN = ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'] as const;

function errorWhere(e: ExpressionError): string {
  return location(e.origin.file === null ? null : clipMiddle(e.origin.file, NAME_CHARS), e.span.line, e.span.column);
}

// ---------------------------------------------------------------- terminal

function terminal(report: CelAnalysisReport, options: RenderOptions): string {
  const s = report.celAnalysis;
  const c = paint(options);
  const measured = s.expressions.some((e) => e.measured);
  const out: string[] = [];
  out.push(terminalHeading('CEL cost analysis', options));
  out.push(summaryLine(s));
  const bounded = maxBoundedCost(s);
  out.push(`highest bounded max cost: ${bounded === null ? MISSING : formatCount(bounded)}`);
  out.push('');

  if (s.expressions.length) {
    const rows = expressionRows(s, TERMINAL_ROWS, measured).map((row, i) => {
      const e = s.expressions[i]!;
      const bad = e.budget.status !== 'within';
      return row.map((cell, j) => (j === 3 && bad ? c.red(String(cell)) : cell));
    });
    out.push(terminalTable({ ...expressionHead(s, measured), rows }, options));
    const hidden = s.totals.expressions - Math.min(TERMINAL_ROWS, s.expressions.length);
    if (hidden > 0) out.push(c.gray(`… ${formatCount(hidden)} more expressions in the report files`));
    out.push('');
  }

  const withRecs = s.expressions.filter((e) => e.recommendations.length).slice(0, TERMINAL_ROWS);
  if (withRecs.length) {
    out.push(terminalHeading('Recommendations (worst expressions first)', options));
    for (const e of withRecs) {
      let extra = e.cost.unboundedBy.length ? `unbounded by ${e.cost.unboundedBy.join(', ')}` : `max cost ${maxCost(e)}`;
      if (e.costWithVariables) extra += `; with ${e.costWithVariables.variables.map((v) => `V.${v}`).join(', ')}: ${withVariables(e)}`;
      out.push(c.bold(`${where(e)}${owner(e) ? `  ${owner(e)}` : ''}`) + c.gray(`  (${extra})`));
      out.push(c.gray(`  ${clip(e.expression, 110)}`));
      for (const r of e.recommendations.slice(0, TERMINAL_RECS_PER_EXPRESSION)) {
        const sev = r.severity === 'error' ? c.red('error  ') : r.severity === 'warning' ? c.yellow('warning') : c.cyan('info   ');
        out.push(`  ${recWhere(e, r)}  ${sev} ${c.bold(r.rule)}: ${r.message}`);
        if (r.text !== e.expression) out.push(c.gray(`      at: ${clip(r.text, 100)}`));
        out.push(`      ${c.green('fix')}: ${r.suggestion}`);
      }
      if (e.recommendations.length > TERMINAL_RECS_PER_EXPRESSION) out.push(c.gray(`  … ${e.recommendations.length - TERMINAL_RECS_PER_EXPRESSION} more for this expression in the report files`));
    }
    out.push('');
  }

  if (s.errors.length) {
    out.push(terminalHeading('Parse errors', options));
    for (const e of s.errors.slice(0, TERMINAL_ROWS)) out.push(`  ${c.red(errorWhere(e))}: ${e.message}${e.expression ? c.gray(`  (${clip(e.expression, 60)})`) : ''}`);
    const m = more(TERMINAL_ROWS, s.errors.length, 'parse errors');
    if (m) out.push(c.gray(m));
    out.push('');
  }

  if (s.files.length > 1) {
    out.push(terminalHeading('Per file (worst first)', options));
    out.push(terminalTable({ head: FILE_HEAD, rows: fileRows(s, TERMINAL_SUMMARY_ROWS), align: [...FILE_ALIGN] }, options));
    const m = more(TERMINAL_SUMMARY_ROWS, s.files.length, 'files');
    if (m) out.push(c.gray(m));
    out.push('');
  }

  const m = measureLine(s);
  if (m) out.push(m);
  const cal = calibrationLine(s);
  if (cal) out.push(cal);
  for (const [id, cost, measuredNs, fitNs, ratio] of outlierRows(s).slice(0, TERMINAL_OUTLIERS)) {
    out.push(c.gray(`  ${id}: rank cost ${cost}, measured ${measuredNs}, fit ${fitNs} (measured ÷ fit ${ratio})`));
  }
  const listed = listedLine(s);
  if (listed) out.push(c.gray(listed));
  const skipped = skippedLine(s);
  if (skipped) out.push(c.gray(skipped));
  out.push(c.gray(throughputLine(s)));
  const run = runLine(s);
  if (run) out.push(c.gray(run));
  out.push(c.gray(modelLine(s)));
  if (s.failOverUnits !== null) {
    const n = s.totals.overFailThreshold;
    out.push(n ? c.red(`FAIL: ${n} expression(s) over --fail-over ${formatCount(s.failOverUnits)}`) : c.green(`PASS: no expression over --fail-over ${formatCount(s.failOverUnits)}`));
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- markdown

function recommendationList(s: CelAnalysisSection): Array<{ e: ExpressionAnalysis; r: Recommendation }> {
  const out: Array<{ e: ExpressionAnalysis; r: Recommendation }> = [];
  for (const e of s.expressions) for (const r of e.recommendations) out.push({ e, r });
  return out;
}

function markdown(report: CelAnalysisReport): string {
  const s = report.celAnalysis;
  const measured = s.expressions.some((e) => e.measured);
  const out: string[] = [];
  const note = (line: string | null): void => {
    if (line) out.push(`_${escapeMarkdown(line)}_`, '');
  };
  out.push('## CEL cost analysis', '', `**${escapeMarkdown(summaryLine(s))}**`, '');
  const bounded = maxBoundedCost(s);
  out.push(`Highest bounded max cost: ${bounded === null ? 'none (every expression is unbounded)' : formatCount(bounded)} · ${escapeMarkdown(throughputLine(s))}`, '');
  if (s.failOverUnits !== null) {
    const n = s.totals.overFailThreshold;
    out.push(n ? `❌ **${n} expression(s) over --fail-over ${formatCount(s.failOverUnits)}**` : `✅ no expression over --fail-over ${formatCount(s.failOverUnits)}`, '');
  }
  note(listedLine(s));
  if (s.totals.expressions > 0) {
    out.push('### Cost distribution', '');
    out.push(histogramMarkdown('Max cost', s.distributions.maxCost), '');
    out.push(histogramMarkdown(`Rank cost (unbounded sizes as ${s.model.assumedSize})`, s.distributions.rankCost), '');
  }
  if (s.expressions.length) {
    out.push(`### Expressions (worst ${formatCount(Math.min(LISTED_ROWS, s.expressions.length))} first)`, '');
    out.push(markdownTable({ ...expressionHead(s, measured), rows: expressionRows(s, LISTED_ROWS, measured) }));
    out.push('');
  }
  const recs = recommendationList(s);
  if (recs.length) {
    out.push('### Recommendations (worst expressions first)', '');
    out.push(
      markdownTable({
        head: ['Where', 'Severity', 'Rule', 'Sub-expression', 'Message', 'Fix'],
        rows: recs.slice(0, MARKDOWN_RECS).map(({ e, r }) => [
          recWhere(e, r),
          r.severity,
          r.rule,
          markdownCode(clip(r.text, 80)),
          clip(r.message, TEXT_CHARS),
          clip(r.suggestion, TEXT_CHARS),
        ]),
        align: ['left', 'left', 'left', 'left', 'left', 'left'],
      }),
    );
    const m = more(Math.min(MARKDOWN_RECS, recs.length), s.totals.recommendations, 'recommendations');
    if (m) out.push('', `_${escapeMarkdown(m)}_`);
    out.push('');
  }
  if (s.errors.length) {
    out.push('### Parse errors', '');
    for (const e of s.errors.slice(0, LISTED_ERRORS)) out.push(`- \`${errorWhere(e)}\`: ${escapeMarkdown(clip(e.message, TEXT_CHARS))}`);
    const m = more(LISTED_ERRORS, s.errors.length, 'parse errors');
    if (m) out.push('', `_${escapeMarkdown(m)}_`);
    out.push('');
  }
  if (s.files.length > 1) {
    out.push('### Per file (worst first)', '', markdownTable({ head: FILE_HEAD, rows: fileRows(s, MARKDOWN_SUMMARY_ROWS), align: [...FILE_ALIGN] }), '');
    note(more(MARKDOWN_SUMMARY_ROWS, s.files.length, 'files'));
  }
  if (s.policies.length) {
    out.push('### Per policy (worst first)', '', markdownTable({ head: POLICY_HEAD, rows: policyRows(s, MARKDOWN_SUMMARY_ROWS), align: [...POLICY_ALIGN] }), '');
    note(more(MARKDOWN_SUMMARY_ROWS, s.policies.length, 'policies'));
  }
  const m = measureLine(s);
  if (m) out.push(escapeMarkdown(m), '');
  const cal = calibrationLine(s);
  if (cal) out.push(escapeMarkdown(cal), '');
  if (s.measure?.fit?.outliers.length) out.push(markdownTable({ head: OUTLIER_HEAD, rows: outlierRows(s), align: ['left', 'right', 'right', 'right', 'right'] }), '');
  const skipped = skippedLine(s);
  if (skipped) out.push(escapeMarkdown(skipped), '');
  const run = runLine(s);
  if (run) out.push(escapeMarkdown(run), '');
  out.push('<details><summary>Cost model</summary>', '', escapeMarkdown(modelLine(s)), '');
  for (const d of s.model.divergences) out.push(`- ${escapeMarkdown(d)}`);
  out.push('', '</details>');
  return out.join('\n');
}

// ---------------------------------------------------------------- html

function html(report: CelAnalysisReport): HtmlSection {
  const s = report.celAnalysis;
  const t = s.totals;
  const measured = s.expressions.some((e) => e.measured);
  const parts: string[] = [];
  const note = (line: string | null): void => {
    if (line) parts.push(htmlParagraph(line, 'note'));
  };
  const bounded = maxBoundedCost(s);
  parts.push(htmlHeading('CEL cost analysis', 2, 'analyze-cel'));
  parts.push(
    htmlStatCards([
      { label: 'expressions', value: formatCount(t.expressions) },
      { label: 'parse errors', value: formatCount(t.parseErrors), ...(t.parseErrors ? { tone: 'bad' as const } : { tone: 'good' as const }) },
      { label: 'unbounded', value: formatCount(t.unbounded), ...(t.unbounded ? { tone: 'warn' as const } : {}) },
      { label: `over budget ${formatCount(s.budgetUnits)}`, value: formatCount(t.overBudget), ...(t.overBudget ? { tone: 'bad' as const } : {}) },
      { label: 'recommendations', value: formatCount(t.recommendations) },
      { label: 'highest bounded max cost', value: bounded === null ? MISSING : formatCount(bounded) },
      { label: 'expressions/s analysed', value: formatCount(t.expressionsPerSecond) },
    ]),
  );
  if (s.failOverUnits !== null) {
    parts.push(
      htmlParagraph(
        rawHtml(
          t.overFailThreshold
            ? `${htmlBadge('FAIL', 'bad')} ${escapeHtml(`${t.overFailThreshold} expression(s) over --fail-over ${formatCount(s.failOverUnits)}`)}`
            : `${htmlBadge('PASS', 'good')} ${escapeHtml(`no expression over --fail-over ${formatCount(s.failOverUnits)}`)}`,
        ),
      ),
    );
  }
  note(listedLine(s));
  const charts: ChartSpec[] = [];
  if (t.expressions > 0) {
    parts.push(htmlHeading('Cost distribution', 3));
    charts.push(histogramChart('analyze-cel-max-cost-histogram', 'Max cost per expression (cel-go units; unbounded = needs a --size-hint)', s.distributions.maxCost));
    charts.push(histogramChart('analyze-cel-rank-cost-histogram', `Rank cost per expression (unbounded sizes taken as ${s.model.assumedSize})`, s.distributions.rankCost));
    parts.push(`<div class="chart-grid">${htmlChart('analyze-cel-max-cost-histogram')}${htmlChart('analyze-cel-rank-cost-histogram')}</div>`);
  }
  if (s.expressions.length) {
    const top = s.expressions.slice(0, 15);
    charts.push({
      id: 'analyze-cel-rank-cost',
      title: `Costliest expressions (rank cost; unbounded sizes taken as ${s.model.assumedSize})`,
      type: 'horizontalBar',
      xLabel: 'expression',
      yLabel: 'cost units',
      labels: top.map((e) => where(e)),
      series: [{ label: 'rank cost', values: top.map((e) => e.cost.rankCostUnits) }],
      logY: true,
    });
    parts.push(htmlChart('analyze-cel-rank-cost'));
    const listed = s.expressions.slice(0, LISTED_ROWS);
    parts.push(htmlHeading(`Expressions (worst ${formatCount(listed.length)} first)`, 3));
    const { head, align } = expressionHead(s, measured);
    const baseRows = expressionRows(s, LISTED_ROWS, measured);
    parts.push(
      htmlTable({
        head: [...head, 'Expression'],
        rows: listed.map((e, i) => {
          const cells: Array<string | number | ReturnType<typeof rawHtml>> = [...baseRows[i]!];
          if (e.budget.status !== 'within') cells[3] = rawHtml(htmlBadge(maxCost(e), e.budget.status === 'unbounded' ? 'warn' : 'bad'));
          const text = e.expression.length > HTML_EXPRESSION_CHARS ? `${e.expression.slice(0, HTML_EXPRESSION_CHARS - 1)}…` : e.expression;
          cells.push(rawHtml(`<code>${escapeHtml(text)}</code>`));
          return cells;
        }),
        align: [...align, 'left'],
      }),
    );
  }
  if (measured) {
    const points = s.expressions.filter((e) => e.measured && !e.measured.error).slice(0, 30);
    charts.push({
      id: 'analyze-cel-measured',
      title: 'Static rank cost vs measured ns/eval',
      type: 'bar',
      xLabel: 'expression',
      yLabel: 'cost units',
      y2Label: 'ns/eval',
      labels: points.map((e) => where(e)),
      series: [
        { label: 'rank cost', values: points.map((e) => e.cost.rankCostUnits) },
        { label: 'ns/eval', values: points.map((e) => e.measured!.nsPerEval), axis: 'right', as: 'line' },
      ],
    });
    parts.push(htmlChart('analyze-cel-measured'));
    const m = measureLine(s);
    if (m) parts.push(htmlParagraph(m));
  }
  if (s.measure) {
    const cal = calibrationLine(s);
    if (cal) parts.push(htmlParagraph(cal));
    if (s.measure.fit?.outliers.length) {
      parts.push(htmlHeading('Calibration outliers (where the static model misleads)', 3));
      parts.push(htmlTable({ head: OUTLIER_HEAD, rows: outlierRows(s), align: ['left', 'right', 'right', 'right', 'right'] }));
    }
  }
  const recs = recommendationList(s);
  if (recs.length) {
    parts.push(htmlHeading('Recommendations (worst expressions first)', 3));
    parts.push(
      htmlTable({
        head: ['Where', 'Severity', 'Rule', 'Sub-expression', 'Message', 'Fix'],
        rows: recs.slice(0, HTML_RECS).map(({ e, r }) => [
          recWhere(e, r),
          rawHtml(htmlBadge(r.severity, r.severity === 'error' ? 'bad' : r.severity === 'warning' ? 'warn' : 'info')),
          r.rule,
          rawHtml(`<code>${escapeHtml(clip(r.text, 120))}</code>`),
          clip(r.message, TEXT_CHARS),
          rawHtml(`<code>${escapeHtml(clip(r.suggestion, TEXT_CHARS))}</code>`),
        ]),
        align: ['left', 'left', 'left', 'left', 'left', 'left'],
      }),
    );
    note(more(Math.min(HTML_RECS, recs.length), t.recommendations, 'recommendations'));
  }
  if (s.errors.length) {
    parts.push(htmlHeading('Parse errors', 3));
    parts.push(htmlList(s.errors.slice(0, LISTED_ERRORS).map((e) => rawHtml(`<code>${escapeHtml(errorWhere(e))}</code>: ${escapeHtml(clip(e.message, TEXT_CHARS))}`))));
    note(more(LISTED_ERRORS, s.errors.length, 'parse errors'));
  }
  if (s.files.length) {
    parts.push(htmlHeading('Per file (worst first)', 3));
    parts.push(htmlTable({ head: FILE_HEAD, rows: fileRows(s, HTML_SUMMARY_ROWS), align: [...FILE_ALIGN] }));
    note(more(HTML_SUMMARY_ROWS, s.files.length, 'files'));
  }
  if (s.policies.length) {
    parts.push(htmlHeading('Per policy (worst first)', 3));
    parts.push(htmlTable({ head: POLICY_HEAD, rows: policyRows(s, HTML_SUMMARY_ROWS), align: [...POLICY_ALIGN] }));
    note(more(HTML_SUMMARY_ROWS, s.policies.length, 'policies'));
  }
  note(skippedLine(s));
  note(throughputLine(s));
  note(runLine(s));
  parts.push(htmlHeading('Cost model', 3));
  parts.push(htmlParagraph(modelLine(s), 'note'));
  parts.push(htmlList(s.model.divergences));
  return { body: parts.join('\n'), charts };
}

// ---------------------------------------------------------------- headlines

function headlines(report: CelAnalysisReport): Headline[] {
  const s = report.celAnalysis;
  const t = s.totals;
  const h: Headline[] = [
    { key: 'analyze-cel/expressions', label: 'expressions analysed', value: t.expressions, unit: 'count', better: 'higher' },
    { key: 'analyze-cel/parse-errors', label: 'parse errors', value: t.parseErrors, unit: 'count', better: 'lower' },
    { key: 'analyze-cel/unbounded', label: 'unbounded expressions', value: t.unbounded, unit: 'count', better: 'lower' },
    { key: 'analyze-cel/over-budget', label: 'expressions over budget', value: t.overBudget, unit: 'count', better: 'lower' },
    { key: 'analyze-cel/recommendations', label: 'recommendations', value: t.recommendations, unit: 'count', better: 'lower' },
    { key: 'analyze-cel/throughput', label: 'analysis throughput', value: t.expressionsPerSecond, unit: 'expr/s', better: 'higher' },
  ];
  const worst = s.expressions[0];
  if (worst) h.push({ key: 'analyze-cel/worst-rank-cost', label: 'worst rank cost', value: worst.cost.rankCostUnits, unit: 'cost units', better: 'lower' });
  const bounded = maxBoundedCost(s);
  if (bounded !== null) {
    h.push({ key: 'analyze-cel/max-bounded-cost', label: 'highest bounded max cost', value: bounded, unit: 'cost units', better: 'lower' });
  }
  if (s.measure?.spearman !== null && s.measure?.spearman !== undefined) {
    h.push({ key: 'analyze-cel/spearman', label: 'static vs measured rank correlation', value: s.measure.spearman, unit: 'rho', better: 'higher' });
  }
  return h;
}

export const celAnalysisRenderer: SectionRenderer<CelAnalysisReport> = { terminal, markdown, html, headlines };
