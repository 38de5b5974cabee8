import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { writeOutputFile } from './action.js';
import { wantsColor } from './context.js';
import type { Report } from '../report/types.js';
import { renderReport, type ReportFormat } from '../report/render.js';
import { reportBaseName } from '../report/file-name.js';
import { UsageError } from '../util/errors.js';

export interface ReportOutputOptions {
  /** --json: print the report object alone on stdout */
  json?: boolean;
  /** --out DIR (default reports/) */
  out?: string;
  /** false with --no-report */
  report?: boolean;
}

/** Adds --json, --out DIR and --no-report to a subcommand. */
export function addReportOptions(cmd: Command): Command {
  return cmd
    .option('--json', 'print the JSON report on stdout (and nothing else there)')
    .option('--out <dir>', 'folder for report files', 'reports')
    .option('--no-report', 'do not write report files');
}

/** `base`, or `base-2`, `base-3`, … when a report from the same second is already there. */
async function freeBase(base: string): Promise<string> {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    try {
      await access(`${candidate}.json`);
    } catch {
      return candidate;
    }
  }
}

/**
 * Writes JSON + Markdown + HTML into the out folder (unless --no-report), then prints the report
 * (terminal rendering, or the JSON alone with --json). The JSON is written first, so a renderer
 * failure never loses a run's figures: the failing format is skipped with a warning on stderr.
 */
export async function emitReport(ctx: CliContext, report: Report, options: ReportOutputOptions): Promise<string[]> {
  const written: string[] = [];
  let jsonText: string | undefined;
  if (options.report !== false) {
    const dir = path.resolve(ctx.cwd, options.out ?? 'reports');
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw new UsageError(`--out ${options.out ?? 'reports'}: cannot create the report folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const base = await freeBase(path.join(dir, reportBaseName(report)));
    const formats: Array<[string, ReportFormat]> = [
      [`${base}.json`, 'json'],
      [`${base}.md`, 'md'],
      [`${base}.html`, 'html'],
    ];
    for (const [file, format] of formats) {
      let text: string;
      try {
        const renderOptions = { color: false, jsonFileName: path.basename(`${base}.json`), ...(jsonText !== undefined ? { jsonText } : {}) };
        text = renderReport(report, format, renderOptions);
        // the JSON file's text, minus its final newline, is what the HTML page embeds
        if (format === 'json') jsonText = text.slice(0, -1);
      } catch (err) {
        if (format === 'json') throw err;
        ctx.stderr.write(`authz-perf: warning: could not render the ${format} report (${(err as Error).message}); the JSON report is saved\n`);
        continue;
      }
      await writeOutputFile(file, text, `--out ${options.out ?? 'reports'}`);
      written.push(file);
    }
  }
  if (options.json) {
    ctx.stdout.write(jsonText !== undefined ? `${jsonText}\n` : renderReport(report, 'json', { color: false }));
  } else {
    ctx.stdout.write(renderReport(report, 'terminal', { color: wantsColor(ctx) }));
  }
  if (written.length) {
    const first = path.relative(ctx.cwd, written[0]!) || written[0]!;
    const others = written.slice(1).map((f) => path.extname(f));
    ctx.stderr.write(`report: ${first}${others.length ? ` (+ ${others.join(', ')})` : ''}\n`);
  }
  return written;
}
