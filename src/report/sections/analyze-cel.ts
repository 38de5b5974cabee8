/**
 * Renderers for `analyze-cel`: worst-first expression table, span-precise recommendations,
 * per-file summary, parse errors, the cost model note and (with --measure) static vs measured.
 * Pure functions of the report.
 */
import type { CelAnalysisReport } from '../types.js';
import type { Headline, HtmlSection, RenderOptions, SectionRenderer } from '../render-types.js';
import type { ChartSpec } from '../chart.js';
import type { CelAnalysisSection, ExpressionAnalysis, ExpressionError, Recommendation } from '../../cel/types.js';
import {
  escapeHtml,
  formatCount,
  formatDurationNs,
  formatNumber,
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
} from '../helpers.js';

/** rows shown in the terminal before "… N more" (the files hold everything) */
const TERMINAL_ROWS = 25;
/** rows in Markdown, sized for a PR comment */
const MARKDOWN_ROWS = 50;

function location(file: string | null, line: number, column: number): string {
  return `${file ?? '--expr'}:${line}:${column}`;
}

function where(e: ExpressionAnalysis): string {
  return location(e.origin.file, e.span.line, e.span.column);
}

function owner(e: { origin: ExpressionAnalysis['origin'] }): string {
  const o = e.origin;
  if (o.kind !== 'policy') return '';
  return [o.rule, o.role ? `(${o.role})` : ''].filter(Boolean).join(' ');
}

function maxCost(e: ExpressionAnalysis): string {
  return e.cost.maxCostUnits === null ? 'unbounded' : formatCount(e.cost.maxCostUnits);
}

function comprehensions(e: ExpressionAnalysis): string {
  const m = e.metrics;
  return m.comprehensionCount === 0 ? '0' : `${m.comprehensionCount} (nest ${m.maxComprehensionNesting})`;
}

function clip(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function recWhere(e: ExpressionAnalysis, r: Recommendation): string {
  return location(e.origin.file, r.span.line, r.span.column);
}

function summaryLine(s: CelAnalysisSection): string {
  const t = s.totals;
  const files = s.files.length;
  return (
    `${formatCount(t.expressions)} expression${t.expressions === 1 ? '' : 's'} in ${files} source${files === 1 ? '' : 's'}` +
    ` · ${t.parseErrors} parse error${t.parseErrors === 1 ? '' : 's'} · ${t.unbounded} unbounded · ${t.overBudget} over budget (${formatCount(s.budgetUnits)})` +
    ` · ${t.recommendations} recommendation${t.recommendations === 1 ? '' : 's'}`
  );
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
  const names = skipped.slice(0, 5).map((f) => f.file).join(', ');
  return `Skipped ${skipped.length} non-policy file${skipped.length === 1 ? '' : 's'}: ${names}${skipped.length > 5 ? ', …' : ''}.`;
}

function throughputLine(s: CelAnalysisSection): string {
  const n = s.totals.expressions + s.errors.filter((e) => e.expression !== '').length;
  return `Analysed ${formatCount(n)} expression${n === 1 ? '' : 's'} in ${formatNumber(s.totals.analysisMs)} ms (${formatCount(s.totals.expressionsPerSecond)} expressions/s, parse + full analysis).`;
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

function fileRows(s: CelAnalysisSection): Array<Array<string | number>> {
  return s.files.map((f) => [
    f.file,
    f.expressions,
    f.parseErrors,
    f.maxCostUnits === null ? 'unbounded' : formatCount(f.maxCostUnits),
    f.unbounded,
    f.overBudget,
    f.recommendations,
    f.worst ?? '',
  ]);
}
const FILE_HEAD = ['File', 'Expressions', 'Parse errors', 'Max cost', 'Unbounded', 'Over budget', 'Recs', 'Worst'];
const FILE_ALIGN = ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'] as const;

function errorWhere(e: ExpressionError): string {
  return location(e.origin.file, e.span.line, e.span.column);
}

// ---------------------------------------------------------------- terminal

function terminal(report: CelAnalysisReport, options: RenderOptions): string {
  const s = report.celAnalysis;
  const c = paint(options);
  const measured = s.expressions.some((e) => e.measured);
  const out: string[] = [];
  out.push(terminalHeading('CEL cost analysis', options));
  out.push(summaryLine(s));
  out.push('');

  if (s.expressions.length) {
    const rows = expressionRows(s, TERMINAL_ROWS, measured).map((row, i) => {
      const e = s.expressions[i]!;
      const bad = e.budget.status !== 'within';
      return row.map((cell, j) => (j === 3 && bad ? c.red(String(cell)) : cell));
    });
    out.push(terminalTable({ ...expressionHead(s, measured), rows }, options));
    if (s.expressions.length > TERMINAL_ROWS) out.push(c.gray(`… ${s.expressions.length - TERMINAL_ROWS} more expressions in the report files`));
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
      for (const r of e.recommendations) {
        const sev = r.severity === 'error' ? c.red('error  ') : r.severity === 'warning' ? c.yellow('warning') : c.cyan('info   ');
        out.push(`  ${recWhere(e, r)}  ${sev} ${c.bold(r.rule)}: ${r.message}`);
        if (r.text !== e.expression) out.push(c.gray(`      at: ${clip(r.text, 100)}`));
        out.push(`      ${c.green('fix')}: ${r.suggestion}`);
      }
    }
    out.push('');
  }

  if (s.errors.length) {
    out.push(terminalHeading('Parse errors', options));
    for (const e of s.errors) out.push(`  ${c.red(errorWhere(e))}: ${e.message}${e.expression ? c.gray(`  (${clip(e.expression, 60)})`) : ''}`);
    out.push('');
  }

  if (s.files.length > 1) {
    out.push(terminalHeading('Per file', options));
    out.push(terminalTable({ head: FILE_HEAD, rows: fileRows(s), align: [...FILE_ALIGN] }, options));
    out.push('');
  }

  const m = measureLine(s);
  if (m) out.push(m);
  const skipped = skippedLine(s);
  if (skipped) out.push(c.gray(skipped));
  out.push(c.gray(throughputLine(s)));
  out.push(c.gray(modelLine(s)));
  if (s.failOverUnits !== null) {
    const n = s.totals.overFailThreshold;
    out.push(n ? c.red(`FAIL: ${n} expression(s) over --fail-over ${formatCount(s.failOverUnits)}`) : c.green(`PASS: no expression over --fail-over ${formatCount(s.failOverUnits)}`));
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- markdown

function markdown(report: CelAnalysisReport): string {
  const s = report.celAnalysis;
  const measured = s.expressions.some((e) => e.measured);
  const out: string[] = [];
  out.push('## CEL cost analysis', '', `**${escapeMarkdown(summaryLine(s))}**`, '');
  if (s.failOverUnits !== null) {
    const n = s.totals.overFailThreshold;
    out.push(n ? `❌ **${n} expression(s) over --fail-over ${formatCount(s.failOverUnits)}**` : `✅ no expression over --fail-over ${formatCount(s.failOverUnits)}`, '');
  }
  if (s.expressions.length) {
    out.push('### Expressions (worst first)', '');
    out.push(markdownTable({ ...expressionHead(s, measured), rows: expressionRows(s, MARKDOWN_ROWS, measured) }));
    if (s.expressions.length > MARKDOWN_ROWS) out.push('', `_… ${s.expressions.length - MARKDOWN_ROWS} more in the JSON report._`);
    out.push('');
  }
  const recs = s.expressions.flatMap((e) => e.recommendations.map((r) => ({ e, r })));
  if (recs.length) {
    out.push('### Recommendations', '');
    out.push(
      markdownTable({
        head: ['Where', 'Severity', 'Rule', 'Sub-expression', 'Message', 'Fix'],
        rows: recs.slice(0, MARKDOWN_ROWS).map(({ e, r }) => [
          recWhere(e, r),
          r.severity,
          r.rule,
          markdownCode(clip(r.text, 80)),
          r.message,
          r.suggestion,
        ]),
        align: ['left', 'left', 'left', 'left', 'left', 'left'],
      }),
    );
    if (recs.length > MARKDOWN_ROWS) out.push('', `_… ${recs.length - MARKDOWN_ROWS} more in the JSON report._`);
    out.push('');
  }
  if (s.errors.length) {
    out.push('### Parse errors', '');
    for (const e of s.errors) out.push(`- \`${errorWhere(e)}\`: ${escapeMarkdown(e.message)}`);
    out.push('');
  }
  if (s.files.length > 1) {
    out.push('### Per file', '', markdownTable({ head: FILE_HEAD, rows: fileRows(s), align: [...FILE_ALIGN] }), '');
  }
  const m = measureLine(s);
  if (m) out.push(escapeMarkdown(m), '');
  const skipped = skippedLine(s);
  if (skipped) out.push(escapeMarkdown(skipped), '');
  out.push(escapeMarkdown(throughputLine(s)), '');
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
  parts.push(htmlHeading('CEL cost analysis', 2, 'analyze-cel'));
  parts.push(
    htmlStatCards([
      { label: 'expressions', value: formatCount(t.expressions) },
      { label: 'parse errors', value: formatCount(t.parseErrors), ...(t.parseErrors ? { tone: 'bad' as const } : { tone: 'good' as const }) },
      { label: 'unbounded', value: formatCount(t.unbounded), ...(t.unbounded ? { tone: 'warn' as const } : {}) },
      { label: `over budget ${formatCount(s.budgetUnits)}`, value: formatCount(t.overBudget), ...(t.overBudget ? { tone: 'bad' as const } : {}) },
      { label: 'recommendations', value: formatCount(t.recommendations) },
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
  const charts: ChartSpec[] = [];
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
    parts.push(htmlHeading('Expressions (worst first)', 3));
    const { head, align } = expressionHead(s, measured);
    parts.push(
      htmlTable({
        head: [...head, 'Expression'],
        rows: s.expressions.map((e, i) => {
          const base = expressionRows(s, s.expressions.length, measured)[i]!;
          const cells: Array<string | number | ReturnType<typeof rawHtml>> = [...base];
          if (e.budget.status !== 'within') cells[3] = rawHtml(htmlBadge(maxCost(e), e.budget.status === 'unbounded' ? 'warn' : 'bad'));
          cells.push(rawHtml(`<code>${escapeHtml(clip(e.expression, 160))}</code>`));
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
  const recs = s.expressions.flatMap((e) => e.recommendations.map((r) => ({ e, r })));
  if (recs.length) {
    parts.push(htmlHeading('Recommendations', 3));
    parts.push(
      htmlTable({
        head: ['Where', 'Severity', 'Rule', 'Sub-expression', 'Message', 'Fix'],
        rows: recs.map(({ e, r }) => [
          recWhere(e, r),
          rawHtml(htmlBadge(r.severity, r.severity === 'error' ? 'bad' : r.severity === 'warning' ? 'warn' : 'info')),
          r.rule,
          rawHtml(`<code>${escapeHtml(clip(r.text, 120))}</code>`),
          r.message,
          rawHtml(`<code>${escapeHtml(r.suggestion)}</code>`),
        ]),
        align: ['left', 'left', 'left', 'left', 'left', 'left'],
      }),
    );
  }
  if (s.errors.length) {
    parts.push(htmlHeading('Parse errors', 3));
    parts.push(htmlList(s.errors.map((e) => rawHtml(`<code>${escapeHtml(errorWhere(e))}</code>: ${escapeHtml(e.message)}`))));
  }
  if (s.files.length) {
    parts.push(htmlHeading('Per file', 3));
    parts.push(htmlTable({ head: FILE_HEAD, rows: fileRows(s), align: [...FILE_ALIGN] }));
  }
  const skipped = skippedLine(s);
  if (skipped) parts.push(htmlParagraph(skipped, 'note'));
  parts.push(htmlParagraph(throughputLine(s), 'note'));
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
  const bounded = s.expressions.filter((e) => e.cost.maxCostUnits !== null);
  if (bounded.length) {
    h.push({
      key: 'analyze-cel/max-bounded-cost',
      label: 'highest bounded max cost',
      value: Math.max(...bounded.map((e) => e.cost.maxCostUnits!)),
      unit: 'cost units',
      better: 'lower',
    });
  }
  if (s.measure?.spearman !== null && s.measure?.spearman !== undefined) {
    h.push({ key: 'analyze-cel/spearman', label: 'static vs measured rank correlation', value: s.measure.spearman, unit: 'rho', better: 'higher' });
  }
  return h;
}

export const celAnalysisRenderer: SectionRenderer<CelAnalysisReport> = { terminal, markdown, html, headlines };
