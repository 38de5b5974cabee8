/**
 * The HTML shell: one self-contained page (works offline, no CDN) with the command's section,
 * its charts drawn by Chart.js (inlined from node_modules), the run and environment tables and
 * the raw JSON in a collapsed block. A pure function of the report.
 */
import type { Report } from './types.js';
import type { ChartSpec } from './chart.js';
import type { HtmlSection } from './render-types.js';
import { chartHeightPx, chartJsConfig, type ChartJsConfig } from './chart-config.js';
import { chartJsSource } from './chartjs-source.js';
import { HTML_RUNTIME } from './html-runtime.js';
import { escapeHtml, htmlChart } from './html.js';
import { htmlKeyValue } from './table.js';
import { formatBytes, formatElapsed, formatTimestamp } from '../util/format.js';
import { stringifyReport } from './json-text.js';
import { commandTitle, environmentLine, environmentPairs, INTERRUPTED_NOTICE, runPairs } from './shell-common.js';
import { HTML_STYLES } from './html-styles.js';
import { reportBaseName } from './file-name.js';

/** Escapes element text (not attributes): only `&`, `<` and `>`, so JSON's many quotes stay one byte. */
function escapeHtmlText(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** Makes code safe inside <script>…</script>: no closing tag or comment opener can appear. */
export function escapeInlineScript(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON for a <script type="application/json"> block; `<` is escaped so no tag can close it. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export interface PlacedChart {
  id: string;
  heightPx: number;
  config: ChartJsConfig;
}

/**
 * Charts whose canvas the section body already holds are drawn there; the rest get a figure in
 * a "Charts" block after the section. Duplicate ids are renamed so every chart gets its canvas.
 */
function placeCharts(section: HtmlSection): { extraMarkup: string; charts: PlacedChart[] } {
  const seen = new Set<string>();
  const extra: string[] = [];
  const charts: PlacedChart[] = [];
  for (const spec of section.charts) {
    let id = spec.id;
    const inBody = !seen.has(id) && section.body.includes(`id="${escapeHtml(id)}"`);
    for (let n = 2; seen.has(id); n++) id = `${spec.id}-${n}`;
    seen.add(id);
    if (!inBody) extra.push(htmlChart(id));
    charts.push({ id, heightPx: chartHeightPx(spec), config: chartJsConfig(spec) });
  }
  const extraMarkup = extra.length ? `<section class="charts">\n<h2>Charts</h2>\n<div class="chart-grid">\n${extra.join('\n')}\n</div>\n</section>` : '';
  return { extraMarkup, charts };
}

/** Accessible text alternative for a chart: its title and series names. */
export function chartAltText(spec: ChartSpec): string {
  return `${spec.title}: ${spec.series.map((s) => s.label).join(', ')} by ${spec.xLabel}`;
}

/** The parts of a page; htmlDocument assembles them with styles, Chart.js and the runtime. */
export interface HtmlDocumentParts {
  title: string;
  /** markup inside <header> (escaped by the caller) */
  header: string;
  /** markup inside <main> before the raw JSON block */
  main: string;
  /** charts whose canvases are in `main` (placeCharts adds any that are not) */
  charts: PlacedChart[];
  /**
   * pretty JSON shown in the collapsed raw block, with a download button; `text` null when it
   * is too large to embed (`bytes` then says how large), and the block points at `fileName`
   */
  rawJson: { text: string | null; bytes?: number; fileName: string; summary: string };
  /** footer text (escaped by the caller); the Chart.js credit is appended */
  footer: string;
  generator: string;
}

/** A complete self-contained page (no external resources). */
export function htmlDocument(parts: HtmlDocumentParts): string {
  const chartJs = parts.charts.length ? chartJsSource() : undefined;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(parts.generator)}">
<title>${escapeHtml(parts.title)}</title>
<style>
${HTML_STYLES}
</style>
</head>
<body>
<header class="report-header">
${parts.header}
</header>
<main>
${parts.main}
<details class="raw">
<summary>${escapeHtml(parts.rawJson.summary)}</summary>
${
  parts.rawJson.text === null
    ? `<p class="note">The report JSON (${escapeHtml(formatBytes(parts.rawJson.bytes ?? null))}) is too large to embed here and keep this page light; every figure is in <code>${escapeHtml(parts.rawJson.fileName)}</code>.</p>`
    : `<p><button type="button" id="download-json" data-filename="${escapeHtml(parts.rawJson.fileName)}">Download JSON</button></p>
<pre id="authz-perf-report">${escapeHtmlText(parts.rawJson.text)}</pre>`
}
</details>
</main>
<footer>${parts.footer}${chartJs ? ` · charts by Chart.js ${escapeHtml(chartJs.version)} (inlined; this file works offline)` : ''}</footer>
${
  chartJs
    ? `<script type="application/json" id="authz-perf-charts">${jsonForScript(parts.charts)}</script>
<script>${escapeInlineScript(chartJs.code)}</script>
`
    : ''
}<script>${escapeInlineScript(HTML_RUNTIME)}</script>
</body>
</html>
`;
}

/** Section markup and charts with every chart given a canvas and an aria-label. */
export function placeSection(section: HtmlSection): { body: string; extraMarkup: string; charts: PlacedChart[] } {
  const placed = placeCharts(section);
  const altTexts = new Map(section.charts.map((s) => [s.id, chartAltText(s)]));
  const labelCanvases = (markup: string): string =>
    markup.replace(/<canvas id="([^"]+)"/g, (m, id: string) =>
      altTexts.has(id) ? `${m} aria-label="${escapeHtml(altTexts.get(id)!)}"` : m,
    );
  return { body: labelCanvases(section.body), extraMarkup: labelCanvases(placed.extraMarkup), charts: placed.charts };
}

/** JSON embedded in a page up to this size, escaped; a larger report is only pointed at (the page stays < 2 MB) */
export const EMBEDDED_JSON_MAX_BYTES = 384 * 1024;

/** The report's JSON text for the page, or null and its size when it is over EMBEDDED_JSON_MAX_BYTES. */
function embeddedJson(report: Report, made?: string): { text: string | null; bytes?: number } {
  const text = made ?? stringifyReport(report);
  // characters, not bytes: close enough for a size cap, and free; escaping only grows it
  if (text.length > EMBEDDED_JSON_MAX_BYTES || escapeHtmlText(text).length > EMBEDDED_JSON_MAX_BYTES) return { text: null, bytes: Buffer.byteLength(text) };
  return { text };
}

/** The full page for a report whose section rendered to `section`; `fileName` is where its JSON is saved. */
export function renderHtmlPage(report: Report, section: HtmlSection, fileName = `${reportBaseName(report)}.json`, jsonText?: string): string {
  const { body, extraMarkup, charts } = placeSection(section);
  const argsText = report.args.length ? report.args.join(' ') : '(no arguments)';
  const interrupted = report.interrupted
    ? `<div class="banner banner-warn" role="alert"><strong>Interrupted.</strong> ${escapeHtml(INTERRUPTED_NOTICE.replace(/^Interrupted: /, ''))}</div>`
    : '';
  const warnings = (report.warnings ?? []).map((w) => `<div class="banner banner-warn" role="alert"><strong>Warning.</strong> ${escapeHtml(w)}</div>`).join('\n');
  const header = `<div class="brand">authz-perf <span class="version">${escapeHtml(report.version)}</span></div>
<h1>${escapeHtml(commandTitle(report))} <span class="command">${escapeHtml(report.command)}</span></h1>
<p class="meta">${escapeHtml(formatTimestamp(report.startedAt))} · took ${escapeHtml(formatElapsed(report.startedAt, report.finishedAt))} · <code>${escapeHtml(argsText)}</code></p>
<p class="meta env-line">${escapeHtml(environmentLine(report.environment))}</p>
${interrupted}${warnings}`;
  const main = `<section class="section" id="section-${escapeHtml(report.command)}">
${body}
</section>
${extraMarkup}
<section class="environment">
<h2>Run and environment</h2>
<div class="kv-grid">
${htmlKeyValue(runPairs(report))}
${htmlKeyValue(environmentPairs(report.environment))}
</div>
</section>`;
  return htmlDocument({
    title: `authz-perf ${report.command} — ${formatTimestamp(report.startedAt)}`,
    header,
    main,
    charts,
    rawJson: { ...embeddedJson(report, jsonText), fileName, summary: `Raw report JSON (schema version ${report.schemaVersion})` },
    footer: `Generated by ${escapeHtml(`${report.tool} ${report.version}`)} · re-render with <code>authz-perf report ${escapeHtml(fileName)}</code>`,
    generator: `${report.tool} ${report.version}`,
  });
}
