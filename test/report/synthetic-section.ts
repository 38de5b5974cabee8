/**
 * A synthetic section renderer for testing the shells independently of the rooms' renderers:
 * it exercises every chart feature (line, bar, horizontal bar, dual axis, log scale, error bars,
 * charts placed in the body and appended by the shell) and markup with characters to escape.
 */
import { readFileSync } from 'node:fs';
import type { Report } from '../../src/report/types.js';
import type { Headline, HtmlSection, RenderOptions, SectionRenderer } from '../../src/report/render-types.js';
import type { ChartSpec } from '../../src/report/chart.js';
import {
  formatDurationNs,
  formatRate,
  htmlBadge,
  htmlChart,
  htmlStatCards,
  htmlTable,
  markdownTable,
  rawHtml,
  terminalTable,
} from '../../src/report/helpers.js';

export const FIXTURES = new URL('../../../test/fixtures/', import.meta.url);

export function shellFixture(): Report {
  return JSON.parse(readFileSync(new URL('report-shell-envelope.json', FIXTURES), 'utf8')) as Report;
}

const tasks = [
  { name: 'check-uncached <abac>', opsPerSec: 48_210, rme: 1.8, p99Ns: 41_200 },
  { name: 'check-cached', opsPerSec: 1_912_000, rme: 0.9, p99Ns: 900 },
  { name: 'cel:owner | admin', opsPerSec: 912_400, rme: 3.2, p99Ns: 2_400 },
];

const seconds = Array.from({ length: 120 }, (_, i) => i + 1);

export const syntheticCharts: ChartSpec[] = [
  {
    id: 'ops-per-task',
    title: 'Throughput per task (± margin of error)',
    type: 'bar',
    xLabel: 'task',
    yLabel: 'ops/s',
    labels: tasks.map((t) => t.name),
    series: [{ label: 'ops/s', values: tasks.map((t) => t.opsPerSec), errors: tasks.map((t) => (t.opsPerSec * t.rme) / 100) }],
    logY: true,
  },
  {
    id: 'latency-over-time',
    title: 'Latency percentiles and throughput over time',
    type: 'line',
    xLabel: 'elapsed (s)',
    yLabel: 'latency (ms)',
    y2Label: 'req/s',
    labels: seconds,
    series: [
      { label: 'p50', values: seconds.map((s) => 1.2 + Math.sin(s / 9) * 0.2) },
      { label: 'p99', values: seconds.map((s) => (s === 60 ? null : 4.5 + Math.sin(s / 7))) },
      { label: 'req/s', values: seconds.map((s) => 900 + (s % 10) * 5), axis: 'right', as: 'bar' },
    ],
  },
  {
    id: 'cost-per-expression',
    title: 'Cost per expression',
    type: 'horizontalBar',
    xLabel: 'expression',
    yLabel: 'cost units',
    labels: ['R.attr.owner == P.id', 'P.attr.teams.exists(t, t in R.attr.teams)', '"admin" in P.roles'],
    series: [
      { label: 'max cost', values: [3, 5400, 12], errors: [0, 1200, 2] },
      { label: 'min cost', values: [3, 40, 4] },
    ],
  },
];

export const syntheticHeadlines: Headline[] = tasks.map((t) => ({
  key: `abac-cel/${t.name}/opsPerSec`,
  label: `${t.name} ops/s`,
  value: t.opsPerSec,
  unit: 'ops/s',
  better: 'higher',
}));

export const syntheticRenderer: SectionRenderer<Report> = {
  terminal: (_r: Report, options: RenderOptions) =>
    terminalTable(
      { head: ['task', 'ops/s', '±', 'p99'], rows: tasks.map((t) => [t.name, formatRate(t.opsPerSec), `${t.rme}%`, formatDurationNs(t.p99Ns)]) },
      options,
    ),
  markdown: () =>
    markdownTable({ head: ['task', 'ops/s', '±', 'p99'], rows: tasks.map((t) => [t.name, formatRate(t.opsPerSec), `${t.rme}%`, formatDurationNs(t.p99Ns)]) }),
  html: (): HtmlSection => ({
    body: [
      '<h2>Tasks</h2>',
      htmlStatCards([
        { label: 'fastest task', value: formatRate(1_912_000) },
        { label: 'verdict', value: 'within budget', tone: 'good' },
      ]),
      htmlTable({
        head: ['task', 'ops/s', '±', 'p99', 'status'],
        rows: tasks.map((t, i) => [t.name, formatRate(t.opsPerSec), `${t.rme}%`, formatDurationNs(t.p99Ns), rawHtml(htmlBadge(i === 2 ? 'slower' : 'ok', i === 2 ? 'warn' : 'good'))]),
      }),
      htmlChart('ops-per-task'),
      '<p class="note">Payload with &lt;/script&gt; in text stays escaped.</p>',
    ].join('\n'),
    charts: syntheticCharts,
  }),
  headlines: () => syntheticHeadlines,
};
