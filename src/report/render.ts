/**
 * Renders a report in one of the output formats. Pure: the same report gives the same text.
 * The command's section renderer (src/report/sections/) supplies the body; the shells here add
 * the header, environment and (HTML) charts.
 */
import type { Report } from './types.js';
import type { Headline, HtmlSection, RenderOptions, SectionRenderer } from './render-types.js';
import { sectionRenderer } from './sections/index.js';
import { renderTerminalPage } from './render-terminal.js';
import { renderMarkdownPage } from './render-markdown.js';
import { renderHtmlPage } from './render-html.js';
import { stringifyReport } from './json-text.js';

export type ReportFormat = 'terminal' | 'md' | 'html' | 'json';
export const REPORT_FORMATS: readonly ReportFormat[] = ['terminal', 'md', 'html', 'json'];

/** The section renderer for a report's own command, typed for the union. */
export function rendererFor(report: Report): SectionRenderer<Report> {
  return sectionRenderer(report.command) as unknown as SectionRenderer<Report>;
}

export function renderReport(report: Report, format: ReportFormat, options: RenderOptions): string {
  const section = rendererFor(report);
  switch (format) {
    case 'json':
      return stringifyReport(report) + '\n';
    case 'terminal':
      return renderTerminalPage(report, section.terminal(report, options), options);
    case 'md':
      return renderMarkdownPage(report, section.markdown(report));
    case 'html':
      return renderHtmlPage(report, section.html(report), options.jsonFileName, options.jsonText);
  }
}

/** The headline figures of a report (what comparisons join on). */
export function reportHeadlines(report: Report): Headline[] {
  return rendererFor(report).headlines(report);
}

/** The section's HTML alone (for embedding), without the page shell. */
export function reportHtmlSection(report: Report): HtmlSection {
  return rendererFor(report).html(report);
}
