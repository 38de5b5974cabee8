/**
 * Checks applied to every room's fixture report (test/fixtures/*-report.json): it validates, it
 * renders in every format, and each headline figure is visible in terminal, Markdown and HTML
 * output. Sections format numbers their own way, so a headline counts as visible when any usual
 * rendering of its value appears in the text (the HTML's raw-JSON block and scripts excluded).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../../src/report/types.js';
import type { Headline } from '../../src/report/render-types.js';
import { loadReport } from '../../src/report/load.js';
import {
  formatBytes,
  formatCount,
  formatDurationMs,
  formatDurationNs,
  formatDurationS,
  formatDurationUs,
  formatFixed,
  formatNumber,
  formatPercent,
  formatPercentValue,
  formatSi,
  formatValue,
} from '../../src/report/format.js';

export interface FixtureReport {
  name: string;
  text: string;
  report: Report;
}

/** Every `*-report.json` in `dir`, loaded with loadReport (so the schema check runs). */
export function fixtureReports(dir: string): FixtureReport[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('-report.json'))
    .sort()
    .map((name) => {
      const text = readFileSync(path.join(dir, name), 'utf8');
      return { name, text, report: loadReport(text, name) };
    });
}

/** Unit conversions sections commonly apply before printing (millicores shown as cores, …). */
const CONVERSIONS: Record<string, Array<(v: number) => number>> = {
  millicores: [(v) => v / 1000],
  fraction: [(v) => v * 100],
  ratio: [(v) => v * 100],
  '%': [(v) => v / 100],
};

/** Strings a renderer might print for a value (and for its unit-converted forms). */
export function valueSpellings(h: Headline): string[] {
  const all = new Set<string>(numberSpellings(h.value, h.unit));
  for (const convert of CONVERSIONS[h.unit] ?? []) for (const s of numberSpellings(convert(h.value), '')) all.add(s);
  return [...all];
}

function numberSpellings(v: number, unit: string): string[] {
  const h = { value: v, unit };
  const out = new Set<string>([String(v), formatValue(v, h.unit), formatCount(v), formatSi(v), formatBytes(v)]);
  for (let d = 0; d <= 4; d++) {
    out.add(v.toFixed(d));
    out.add(formatFixed(v, d));
    out.add(formatPercent(v, d));
    out.add(formatPercentValue(v, d));
  }
  for (let s = 1; s <= 6; s++) {
    out.add(formatNumber(v, s));
    out.add(formatSi(v, s));
    out.add(String(Number(v.toPrecision(s))));
  }
  for (const f of [formatDurationNs, formatDurationUs, formatDurationMs, formatDurationS]) out.add(f(v));
  out.add(v.toLocaleString('en-US'));
  out.delete('–');
  return [...out].filter((s) => s.length > 0);
}

/** The text a reader sees: no ANSI codes, no HTML tags, scripts or raw JSON, entities decoded, Markdown escapes dropped. */
export function visibleText(output: string, format: 'terminal' | 'md' | 'html'): string {
  let text = output.replace(/\u001b\[[0-9;]*m/g, '');
  if (format === 'md') text = text.replace(/\\([\\`*_{}[\]<>#|~])/g, '$1');
  if (format === 'html') {
    text = text
      .replace(/<script[\s\S]*?<\/script>/g, ' ')
      .replace(/<style[\s\S]*?<\/style>/g, ' ')
      .replace(/<pre id="authz-perf-report">[\s\S]*?<\/pre>/, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
  }
  return text;
}

/** Headlines none of whose spellings occur in the visible text. */
export function missingHeadlines(headlines: Headline[], visible: string): Headline[] {
  return headlines.filter((h) => !valueSpellings(h).some((s) => visible.includes(s)));
}
