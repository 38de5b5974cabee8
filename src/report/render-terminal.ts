/** The terminal shell: a header (command, version, start, duration, environment, interrupted) then the section. */
import type { Report } from './types.js';
import type { RenderOptions } from './render-types.js';
import { paint } from './table.js';
import { formatElapsed, formatTimestamp } from '../util/format.js';
import { commandTitle, environmentLine, INTERRUPTED_NOTICE } from './shell-common.js';

export function renderTerminalPage(report: Report, sectionText: string, options: RenderOptions): string {
  const c = paint(options);
  const args = report.args.length ? ` ${report.args.join(' ')}` : '';
  const lines = [
    `${c.bold.cyan(`authz-perf ${report.command}`)} ${c.bold(`· ${commandTitle(report)}`)}${report.interrupted ? ' ' + c.black.bgYellow(' INTERRUPTED ') : ''}`,
    c.dim(`${formatTimestamp(report.startedAt)} · took ${formatElapsed(report.startedAt, report.finishedAt)} · v${report.version} · args:${args || ' (none)'}`),
    c.dim(environmentLine(report.environment)),
  ];
  if (report.interrupted) lines.push(c.yellow(INTERRUPTED_NOTICE));
  for (const warning of report.warnings ?? []) lines.push(c.yellow(`Warning: ${warning}`));
  lines.push(c.gray('─'.repeat(72)), '');
  return `${lines.join('\n')}\n${sectionText.replace(/\s+$/, '')}\n`;
}
