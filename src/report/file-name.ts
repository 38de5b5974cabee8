/** How saved reports are named: the CLI writes `<base>.json|.md|.html`, the HTML page names its JSON. */
import type { Report } from './types.js';

/** `<command>-<UTC timestamp>` e.g. bench-20261123T093000Z */
export function reportBaseName(report: Pick<Report, 'command' | 'startedAt'>): string {
  const stamp = report.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${report.command}-${stamp}`;
}
