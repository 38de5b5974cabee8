/**
 * Renderers for the `compare` section: pure functions of the report. One row per engine × protocol
 * (highest rate holding the SLO, latency at the common rate, CPU per 1,000 checks, RSS), the
 * decision agreement per action, and (HTML) a chart of the find-max steps.
 */
import type { CompareReport } from '../types.js';
import type { Headline, HtmlSection, RenderOptions, SectionRenderer } from '../render-types.js';
import type { ChartSpec } from '../chart.js';
import type { CompareSection, EngineMeasure } from '../../compare/types.js';
import {
  escapeMarkdown,
  formatBytes,
  formatCount,
  formatDurationMs,
  formatFixed,
  formatPercent,
  htmlChart,
  htmlHeading,
  htmlKeyValue,
  htmlList,
  htmlTable,
  markdownKeyValue,
  markdownTable,
  paint,
  terminalHeading,
  terminalKeyValue,
  terminalTable,
  type TableSpec,
} from '../helpers.js';

function label(m: EngineMeasure): string {
  return `${m.engine} ${m.version} (${m.protocol})`;
}

function summaryPairs(s: CompareSection): Array<[string, string]> {
  return [
    ['scenario', `${s.scenario} (seed ${s.seed}): the same requests for every engine`],
    ['CPU budget', s.cpuBudget.how],
    ['SLO', `p99 ≤ ${s.slo.p99Ms} ms, errors ≤ ${formatPercent(s.slo.errorRate, 2)}`],
    ['common rate', s.commonRps === null ? '–' : `${formatCount(s.commonRps)} req/s for ${s.commonDurationS} s (half the lowest highest-passing rate)`],
    ['find-max steps', `${s.stepDurationS} s each`],
    ['decisions', agreementText(s)],
    ['run time', formatDurationMs(s.durationS * 1000)],
  ];
}

function agreementText(s: CompareSection): string {
  const a = s.agreement;
  if (!a) return 'not compared (no Cerbos engine)';
  return a.differingActions === 0 ? `all ${formatCount(a.actions)} actions of ${formatCount(a.requests)} requests agree` : `${formatCount(a.differingActions)} of ${formatCount(a.actions)} actions differ`;
}

function enginesTable(s: CompareSection): TableSpec {
  return {
    head: ['engine', 'highest rate holding SLO', `p50 @ common`, `p99 @ common`, 'CPU ms / 1,000 checks', 'RSS', 'errors', 'mismatches'],
    rows: s.measures.map((m) => [
      label(m),
      m.highestPassingRps === null ? 'none held' : `${formatCount(m.highestPassingRps)} req/s`,
      m.atCommonRate?.p50Ms != null ? `${formatFixed(m.atCommonRate.p50Ms, 2)} ms` : '–',
      m.atCommonRate?.p99Ms != null ? `${formatFixed(m.atCommonRate.p99Ms, 2)} ms` : '–',
      m.cpuMsPer1000Checks === null ? '–' : formatFixed(m.cpuMsPer1000Checks, 1),
      formatBytes(m.rssBytes),
      formatCount(m.atCommonRate?.errors ?? null),
      formatCount(m.atCommonRate?.mismatches ?? null),
    ]),
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  };
}

function ratioLines(s: CompareSection): string[] {
  const out: string[] = [];
  for (const protocol of s.protocols) {
    const ref = s.measures.find((m) => m.engine === 'reference' && m.protocol === protocol);
    const cer = s.measures.find((m) => m.engine === 'cerbos' && m.protocol === protocol);
    if (!ref || !cer) continue;
    if (ref.highestPassingRps && cer.highestPassingRps) out.push(`${protocol}: the reference engine held ${formatFixed(ref.highestPassingRps / cer.highestPassingRps, 2)}× Cerbos's rate`);
    if (ref.cpuMsPer1000Checks && cer.cpuMsPer1000Checks) out.push(`${protocol}: Cerbos used ${formatFixed(cer.cpuMsPer1000Checks / ref.cpuMsPer1000Checks, 2)}× the reference engine's CPU per check`);
  }
  return out;
}

function perActionTable(s: CompareSection): TableSpec {
  return {
    head: ['resource kind', 'action', 'actions', 'differing', 'agreement'],
    rows: (s.agreement?.perAction ?? []).map((a) => [a.kind, a.action, formatCount(a.actions), formatCount(a.differing), formatPercent(a.actions === 0 ? 1 : (a.actions - a.differing) / a.actions, 2)]),
    align: ['left', 'left', 'right', 'right', 'right'],
  };
}

function warnings(s: CompareSection): string[] {
  return s.measures.flatMap((m) => [...new Set(m.warnings)].map((w) => `${label(m)}: ${w}`));
}

function terminal(report: CompareReport, options: RenderOptions): string {
  const s = report.compare;
  const c = paint(options);
  const out: string[] = [terminalHeading('Engines side by side', options), terminalKeyValue(summaryPairs(s), options), '', terminalTable(enginesTable(s), options)];
  for (const line of ratioLines(s)) out.push(c.bold(line));
  if (s.agreement) out.push('', terminalHeading('Decision agreement per action', options), terminalTable(perActionTable(s), options));
  const w = warnings(s);
  if (w.length) out.push('', ...w.map((x) => c.yellow(`! ${x}`)));
  return out.join('\n');
}

function markdown(report: CompareReport): string {
  const s = report.compare;
  const out: string[] = ['## Engines side by side', '', markdownKeyValue(summaryPairs(s), ['', '']), '', markdownTable(enginesTable(s)), ''];
  for (const line of ratioLines(s)) out.push(`- ${escapeMarkdown(line)}`);
  if (s.agreement) out.push('', '### Decision agreement per action', '', markdownTable(perActionTable(s)));
  const w = warnings(s);
  if (w.length) out.push('', '### Warnings', '', ...w.map((x) => `- ${escapeMarkdown(x)}`));
  return out.join('\n').trimEnd();
}

function findMaxChart(s: CompareSection): ChartSpec {
  const rates = [...new Set(s.measures.flatMap((m) => m.findMaxSteps.map((st) => st.targetRps)))].sort((a, b) => a - b);
  return {
    id: 'compare-find-max',
    title: 'p99 per target rate (find-max steps)',
    type: 'line',
    xLabel: 'target rate (req/s)',
    yLabel: 'p99 (ms)',
    labels: rates,
    logY: true,
    series: s.measures.map((m) => ({ label: label(m), values: rates.map((r) => m.findMaxSteps.find((st) => st.targetRps === r)?.p99Ms ?? null) })),
  };
}

function html(report: CompareReport): HtmlSection {
  const s = report.compare;
  const parts = [htmlHeading('Engines side by side', 2, 'compare'), htmlKeyValue(summaryPairs(s)), htmlTable(enginesTable(s))];
  const ratios = ratioLines(s);
  if (ratios.length) parts.push(htmlList(ratios));
  const chart = findMaxChart(s);
  const charts = chart.labels.length ? [chart] : [];
  if (charts.length) parts.push(htmlHeading('Find-max steps', 3), htmlChart(chart.id));
  if (s.agreement) parts.push(htmlHeading('Decision agreement per action', 3), htmlTable(perActionTable(s)));
  const w = warnings(s);
  if (w.length) parts.push(htmlHeading('Warnings', 3), htmlList(w));
  return { body: parts.join('\n'), charts };
}

function headlines(report: CompareReport): Headline[] {
  const out: Headline[] = [];
  for (const m of report.compare.measures) {
    const key = `compare/${m.engine}/${m.protocol}`;
    if (m.highestPassingRps !== null) out.push({ key: `${key}/highestPassingRps`, label: `${label(m)} highest rate holding SLO`, value: m.highestPassingRps, unit: 'req/s', better: 'higher' });
    if (m.cpuMsPer1000Checks !== null) out.push({ key: `${key}/cpuMsPer1000Checks`, label: `${label(m)} CPU per 1,000 checks`, value: m.cpuMsPer1000Checks, unit: 'ms', better: 'lower' });
  }
  const a = report.compare.agreement;
  if (a) out.push({ key: 'compare/differingActions', label: 'differing actions', value: a.differingActions, unit: 'actions', better: 'lower' });
  return out;
}

export const compareRenderer: SectionRenderer<CompareReport> = { terminal, markdown, html, headlines };
