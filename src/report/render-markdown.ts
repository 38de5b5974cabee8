/** The Markdown shell: title, run line, environment in a collapsible <details>, then the section. */
import type { Report } from './types.js';
import { formatElapsed, formatTimestamp } from '../util/format.js';
import { markdownCode, markdownTable } from './table.js';
import { commandTitle, environmentPairs, INTERRUPTED_NOTICE } from './shell-common.js';

/** GitHub rejects comments over 65,536 characters; keep a margin for what the user adds. */
export const MARKDOWN_LIMIT_CHARS = 60_000;

export function renderMarkdownPage(report: Report, sectionMarkdown: string): string {
  const command = `authz-perf ${report.command}${report.args.length ? ' ' + report.args.join(' ') : ''}`;
  const head = [
    `## authz-perf ${report.command} · ${commandTitle(report)}`,
    '',
    `**${formatTimestamp(report.startedAt)}** · took ${formatElapsed(report.startedAt, report.finishedAt)} · ${report.tool} ${report.version} · ${markdownCode(command)}`,
    '',
  ];
  if (report.interrupted) head.push('> [!WARNING]', `> ${INTERRUPTED_NOTICE}`, '');
  for (const warning of report.warnings ?? []) head.push('> [!WARNING]', `> ${warning}`, '');
  head.push(
    '<details><summary>Environment</summary>',
    '',
    markdownTable({ head: ['Host', ''], rows: environmentPairs(report.environment), align: ['left', 'left'] }),
    '',
    '</details>',
    '',
  );
  const headText = head.join('\n');
  let section = sectionMarkdown.replace(/\s+$/, '');
  const budget = MARKDOWN_LIMIT_CHARS - headText.length - 200;
  if (section.length > budget) {
    // cut at a line boundary so tables stay well-formed up to the cut
    const cut = section.lastIndexOf('\n', budget);
    section = `${section.slice(0, cut > 0 ? cut : budget)}\n\n_…truncated to fit a pull-request comment; the HTML and JSON reports hold everything._`;
  }
  return `${headText}\n${section}\n`;
}
