/** Renders a ReportComparison in every format: terminal, Markdown, HTML page (with a change chart), JSON. */
import type { ReportComparison, HeadlineComparison, ComparedRun } from './compare.js';
import type { RenderOptions } from './render-types.js';
import type { ChartSpec } from './chart.js';
import type { ReportFormat } from './render.js';
import { formatChangePercent, formatTimestamp, formatValue } from '../util/format.js';
import { markdownCode, markdownTable, paint, terminalTable } from './table.js';
import { htmlTable } from './table.js';
import { escapeHtml, htmlBadge, htmlChart, htmlStatCards, rawHtml } from './html.js';
import { htmlDocument, placeSection } from './render-html.js';

const VERDICT_TEXT = { better: 'better', worse: 'worse', unchanged: 'unchanged' } as const;
const VERDICT_EMOJI = { better: '✅ better', worse: '❌ worse', unchanged: '➖ unchanged' } as const;
const VERDICT_COLOUR = { better: '#1a7f37', worse: '#cf222e', unchanged: '#8c959f' } as const;

function runLine(run: ComparedRun): string {
  const parts = [run.file, formatTimestamp(run.startedAt), `v${run.version}`, run.gitSha ? `git ${run.gitSha.slice(0, 12)}` : 'no git'];
  if (run.interrupted) parts.push('INTERRUPTED');
  return parts.join(' · ');
}

function direction(row: HeadlineComparison): string {
  return row.better === 'higher' ? '↑ higher' : '↓ lower';
}

function summaryLine(c: ReportComparison): string {
  const s = c.summary;
  return `${s.better} better · ${s.worse} worse · ${s.unchanged} unchanged (within ±${c.thresholdPercent}%) of ${c.rows.length} figures in both reports`;
}

function tableRows(c: ReportComparison): Array<[string, string, string, string, string]> {
  return c.rows.map((r) => [r.label, formatValue(r.a, r.unit), formatValue(r.b, r.unit), r.changePercent === null ? 'n/a' : formatChangePercent(r.changePercent), direction(r)]);
}

function onlyIn(c: ReportComparison): string[] {
  const lines: string[] = [];
  if (c.onlyInA.length) lines.push(`Only in A: ${c.onlyInA.map((h) => h.label).join(', ')}`);
  if (c.onlyInB.length) lines.push(`Only in B: ${c.onlyInB.map((h) => h.label).join(', ')}`);
  return lines;
}

export function comparisonTerminal(c: ReportComparison, options: RenderOptions): string {
  const p = paint(options);
  const colourVerdict = (r: HeadlineComparison): string =>
    r.verdict === 'better' ? p.green(VERDICT_TEXT.better) : r.verdict === 'worse' ? p.red.bold(VERDICT_TEXT.worse) : p.dim(VERDICT_TEXT.unchanged);
  const rows = tableRows(c).map((cells, i) => [...cells, colourVerdict(c.rows[i]!)]);
  const lines = [
    `${p.bold.cyan(`authz-perf ${c.command}`)} ${p.bold('· comparison')}`,
    `A (baseline):  ${runLine(c.a)}`,
    `B (candidate): ${runLine(c.b)}`,
  ];
  for (const d of c.environmentDifferences) lines.push(p.yellow(`! environments differ: ${d}`));
  lines.push(p.gray('─'.repeat(72)), '');
  if (c.rows.length === 0) lines.push('No headline figure is present in both reports.');
  else lines.push(terminalTable({ head: ['figure', 'A', 'B', 'change', 'better', 'verdict'], rows, align: ['left', 'right', 'right', 'right', 'left', 'left'] }, options));
  lines.push(summaryLine(c), ...onlyIn(c));
  return lines.join('\n') + '\n';
}

export function comparisonMarkdown(c: ReportComparison): string {
  const lines = [
    `## authz-perf ${c.command} · comparison`,
    '',
    `- **A** (baseline): ${markdownCode(runLine(c.a))}`,
    `- **B** (candidate): ${markdownCode(runLine(c.b))}`,
    '',
  ];
  if (c.environmentDifferences.length) {
    lines.push('> [!WARNING]', `> The environments differ, so figures are less comparable: ${c.environmentDifferences.join('; ')}`, '');
  }
  lines.push(`**${summaryLine(c)}**`, '');
  if (c.rows.length) {
    lines.push(
      markdownTable({
        head: ['Figure', 'A', 'B', 'Change', 'Better', 'Verdict'],
        rows: tableRows(c).map((cells, i) => [...cells, VERDICT_EMOJI[c.rows[i]!.verdict]]),
        align: ['left', 'right', 'right', 'right', 'left', 'left'],
      }),
      '',
    );
  } else {
    lines.push('_No headline figure is present in both reports._', '');
  }
  lines.push(...onlyIn(c).map((l) => `_${l}_`));
  return lines.join('\n').replace(/\s+$/, '') + '\n';
}

/** The change chart: one bar per headline, green when better, red when worse, grey within the threshold. */
export function comparisonChart(c: ReportComparison): ChartSpec {
  const rows = c.rows.filter((r) => r.changePercent !== null);
  return {
    id: 'comparison-change',
    title: `Change of each figure, B vs A (%; ±${c.thresholdPercent}% counts as unchanged)`,
    type: 'horizontalBar',
    xLabel: 'figure',
    yLabel: 'change (%)',
    labels: rows.map((r) => r.label),
    series: [{ label: 'change %', values: rows.map((r) => r.changePercent), color: rows.map((r) => VERDICT_COLOUR[r.verdict]) }],
  };
}

export function comparisonHtml(c: ReportComparison): string {
  const badge = (r: HeadlineComparison): string =>
    htmlBadge(VERDICT_TEXT[r.verdict], r.verdict === 'better' ? 'good' : r.verdict === 'worse' ? 'bad' : 'info');
  const charts = c.rows.some((r) => r.changePercent !== null) ? [comparisonChart(c)] : [];
  const table = c.rows.length
    ? htmlTable({
        head: ['Figure', 'A', 'B', 'Change', 'Better', 'Verdict'],
        rows: tableRows(c).map((cells, i) => [...cells, rawHtml(badge(c.rows[i]!))]),
        align: ['left', 'right', 'right', 'right', 'left', 'left'],
      })
    : '<p class="note">No headline figure is present in both reports.</p>';
  const body = [
    htmlStatCards([
      { label: 'better', value: String(c.summary.better), ...(c.summary.better ? { tone: 'good' as const } : {}) },
      { label: 'worse', value: String(c.summary.worse), ...(c.summary.worse ? { tone: 'bad' as const } : {}) },
      { label: `unchanged (±${c.thresholdPercent}%)`, value: String(c.summary.unchanged) },
    ]),
    c.environmentDifferences.length
      ? `<div class="banner banner-warn"><strong>The environments differ</strong>, so figures are less comparable: ${escapeHtml(c.environmentDifferences.join('; '))}</div>`
      : '',
    '<h2>Headline figures</h2>',
    table,
    ...onlyIn(c).map((l) => `<p class="note">${escapeHtml(l)}</p>`),
    charts.length ? htmlChart('comparison-change') : '',
  ].join('\n');
  const placed = placeSection({ body, charts });
  const header = `<div class="brand">authz-perf</div>
<h1>${escapeHtml(c.command)} comparison</h1>
<p class="meta"><strong>A</strong> (baseline): ${escapeHtml(runLine(c.a))}</p>
<p class="meta"><strong>B</strong> (candidate): ${escapeHtml(runLine(c.b))}</p>`;
  return htmlDocument({
    title: `authz-perf ${c.command} comparison — ${c.a.file} vs ${c.b.file}`,
    header,
    main: `<section class="section">\n${placed.body}\n</section>\n${placed.extraMarkup}`,
    charts: placed.charts,
    rawJson: { text: JSON.stringify(c, null, 2), fileName: `${c.command}-comparison.json`, summary: 'Raw comparison JSON' },
    footer: `Generated by authz-perf · <code>authz-perf report ${escapeHtml(c.a.file)} ${escapeHtml(c.b.file)}</code>`,
    generator: 'authz-perf',
  });
}

export function renderComparison(c: ReportComparison, format: ReportFormat, options: RenderOptions): string {
  switch (format) {
    case 'json':
      return JSON.stringify(c, null, 2) + '\n';
    case 'terminal':
      return comparisonTerminal(c, options);
    case 'md':
      return comparisonMarkdown(c);
    case 'html':
      return comparisonHtml(c);
  }
}
