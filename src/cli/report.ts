/**
 * `authz-perf report FILE.json [FILE2.json]`: re-render a saved report in any format, or compare
 * two reports of the same command headline by headline.
 *
 * Inputs are gathered as a list of { report, file } before anything renders, so importers of
 * other tools' output (e.g. a k6 summary → loadtest report) add a flag and push onto that list.
 */
import path from 'node:path';
import { Command } from 'commander';
import type { CliContext } from './context.js';
import { wantsColor } from './context.js';
import { readProcessStdin, readTextOr, runAction, writeOutputFile } from './action.js';
import { InputError, UsageError } from '../util/errors.js';
import { loadReport } from '../report/load.js';
import { REPORT_SCHEMA } from '../report/schema.js';
import { REPORT_FORMATS, type ReportFormat } from '../report/render.js';
import { DEFAULT_THRESHOLD_PERCENT } from '../report/compare.js';
import { renderInputs, type ReportInput } from '../report/render-inputs.js';
import { readK6Reports, readLocustReport } from './k6-import.js';
import { parsePercent } from './flags.js';

interface ReportFlags {
  format?: string;
  json?: boolean;
  out?: string;
  threshold?: string;
  schema?: boolean;
  importK6?: string[];
  importLocust?: string;
}

export function parseFormat(value: string | undefined, json: boolean | undefined): ReportFormat {
  if (json) {
    if (value !== undefined && value !== 'json') throw new UsageError(`--json conflicts with --format ${value}; give one of them`);
    return 'json';
  }
  if (value === undefined) return 'terminal';
  if ((REPORT_FORMATS as readonly string[]).includes(value)) return value as ReportFormat;
  throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(', ')} (got '${value}')`);
}

export function parseThreshold(value: string | undefined): number {
  if (value === undefined) return DEFAULT_THRESHOLD_PERCENT;
  return parsePercent('--threshold', value, 1000);
}

/** Loads the named files (`-` = stdin, at most once); stdin is injectable for tests. */
export async function readReportInputs(ctx: CliContext, files: string[], readStdin: () => Promise<string> = readProcessStdin): Promise<ReportInput[]> {
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('stdin (-) can be given only once');
  const inputs: ReportInput[] = [];
  for (const file of files) {
    if (file === '-') inputs.push({ report: loadReport(await readStdin(), '(stdin)'), file: '(stdin)' });
    else inputs.push(await readReportFile(ctx, file));
  }
  return inputs;
}

async function readReportFile(ctx: CliContext, file: string): Promise<ReportInput> {
  const text = await readTextOr(ctx, file, (why) => new InputError(`cannot read report: ${why}`, { file }));
  return { report: loadReport(text, file), file };
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = new Command('report')
    .description('re-render a saved report (terminal, Markdown, HTML, JSON), or compare two reports of the same command')
    .argument('[files...]', 'one report JSON file to re-render, or two (A = baseline, B = candidate) to compare; - reads stdin')
    .option('--format <format>', `output format: ${REPORT_FORMATS.join(' | ')} (default terminal)`)
    .option('--json', 'same as --format json')
    .option('--out <file>', 'write the output to this file instead of stdout')
    .option('--threshold <percent>', `comparison: changes within ±this % count as unchanged (default ${DEFAULT_THRESHOLD_PERCENT})`)
    .option('--schema', 'print the JSON Schema of report files and exit')
    .option('--import-k6 <files...>', 'k6 end-of-test summaries as one loadtest report: one plain summary, or any number of runners\' summaries (JSON files or `kubectl logs` output) from `loadtest --export k6`, merged exactly; with one report FILE before it, compares them')
    .option('--import-locust <dir>', 'a folder of Locust workers\' result files (worker-K.json) from `loadtest --export locust`, merged exactly into one loadtest report')
    .addHelpText(
      'after',
      `
Examples:
  authz-perf report reports/bench-20261123T093000Z.json
  authz-perf report reports/loadtest-A.json --format html --out loadtest.html
  authz-perf report before.json after.json --format md > comment.md
  authz-perf size --rps 50k --json --no-report | authz-perf report - --format html --out size.html
  authz-perf report --schema > authz-perf-report.schema.json`,
    )
    .action(
      runAction(ctx, async (files: string[], flags: ReportFlags) => {
        const format = parseFormat(flags.format, flags.json);
        const threshold = parseThreshold(flags.threshold);
        let output: string;
        if (flags.schema) {
          if (files.length) throw new UsageError('--schema takes no report files');
          output = JSON.stringify(REPORT_SCHEMA, null, 2) + '\n';
        } else {
          if (flags.importK6 !== undefined && flags.importLocust !== undefined) throw new UsageError('--import-k6 and --import-locust exclude each other; give one');
          const imported = flags.importK6 !== undefined || flags.importLocust !== undefined ? 1 : 0;
          if (files.length + imported === 0) throw new UsageError('give a report file to render (FILE.json), or two to compare');
          if (files.length + imported > 2) throw new UsageError(`give one report file, or two to compare (got ${files.length + imported})`);
          const inputs = await readReportInputs(ctx, files);
          if (flags.importK6 !== undefined)
            inputs.unshift({ report: await readK6Reports(ctx, flags.importK6, ['--import-k6', ...flags.importK6]), file: flags.importK6.join(' ') });
          if (flags.importLocust !== undefined)
            inputs.unshift({ report: await readLocustReport(ctx, flags.importLocust, ['--import-locust', flags.importLocust]), file: flags.importLocust });
          const color = !flags.out && format === 'terminal' && wantsColor(ctx);
          output = renderInputs(inputs, format, { color, thresholdPercent: threshold });
        }
        if (flags.out) {
          const target = path.resolve(ctx.cwd, flags.out);
          await writeOutputFile(target, output, '--out');
          ctx.stderr.write(`report: wrote ${path.relative(ctx.cwd, target) || target}\n`);
        } else {
          ctx.stdout.write(output);
        }
        return 0;
      }),
    );
  program.addCommand(cmd);
}
