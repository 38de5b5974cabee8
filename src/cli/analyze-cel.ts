/**
 * `authz-perf analyze-cel [FILE|DIR|-]... [--expr CEL]... [--size-hint PATH=N]... [--budget N]
 *  [--fail-over COST] [--measure] [--input FILE]` — static cost and complexity of CEL conditions.
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { argsAfterCommand, readInputFile, readProcessStdin, runAction } from './action.js';
import { addReportOptions, emitReport, type ReportOutputOptions } from './report-output.js';
import { reportEnvelope } from '../report/build.js';
import { collectEnvironment } from '../report/environment.js';
import type { CelAnalysisReport } from '../report/types.js';
import { UsageError } from '../util/errors.js';
import { SEED_RANGE, parseInteger, repeatable } from './flags.js';
import { DEFAULT_ASSUMED_SIZE, DEFAULT_BUDGET_UNITS, type AnalyzeOptions } from '../cel/analyze.js';
import { parseSizeHints } from '../cel/paths.js';
import { runAnalyzeCel } from '../cel/command.js';

export interface AnalyzeCelFlags extends ReportOutputOptions {
  expr: string[];
  sizeHint: string[];
  budget?: string;
  failOver?: string;
  assumedSize?: string;
  measure?: boolean;
  input?: string;
  seed?: string;
  listSize?: string;
  corpus?: string;
}

export interface AnalyzeCelIo {
  /** reads all of stdin (for `-`) */
  readStdin(): Promise<string>;
}


export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('analyze-cel')
    .description('static cost (cel-go estimator), complexity and rewrite advice for CEL conditions and Cerbos policies')
    .argument('[inputs...]', 'expression files (one per line), Cerbos policy files (.yaml/.yml/.json), directories, or - for stdin')
    .option('--expr <cel>', 'analyse this expression (repeatable)', repeatable, [])
    .option('--size-hint <path=n>', 'bound a list/map/string size, e.g. R.attr.tags=100 (repeatable)', repeatable, [])
    .option('--budget <units>', `cost budget per expression (default ${DEFAULT_BUDGET_UNITS}, the Kubernetes per-call limit); given explicitly it is a gate: exit 1 when any max cost exceeds it or is unbounded`)
    .option('--fail-over <units>', 'exit 1 when any expression\'s max cost exceeds this (or is unbounded)')
    .option('--assumed-size <n>', `size assumed for unbounded values when ranking (default ${DEFAULT_ASSUMED_SIZE})`)
    .option('--measure', 'also evaluate each expression and report ns/eval and the rank correlation with the static cost')
    .option('--input <file>', 'with --measure: JSON request {principal, resource, variables?, constants?} instead of generated ones')
    .option('--seed <n>', 'seed for --measure inputs and --corpus expressions', '1')
    .option('--list-size <n>', 'with --measure: elements per generated list', '20')
    .option('--corpus <n>', 'throughput benchmark: analyse N generated Cerbos-style expressions (seeded by --seed) instead of files; lists the 100 worst');
  addReportOptions(cmd);
  cmd.action(
    runAction(ctx, async (inputs: string[], flags: AnalyzeCelFlags) => {
      return analyzeCelCommand(ctx, inputs, flags, { readStdin: readProcessStdin }, argsAfterCommand(cmd));
    }),
  );
}

/** An optional integer flag: its value, or `fallback` when not given. */
function integerFlag(flag: string, raw: string | undefined, fallback: number, min: number, max?: number): number {
  return raw === undefined ? fallback : parseInteger(flag, raw, max === undefined ? { min } : { min, max });
}

/**
 * Largest accepted values of the flags that size what this process holds. --corpus: the generated
 * expressions and their figures stay in memory until the report is written; --list-size: the
 * lists built for --measure inputs hold this many elements per attribute.
 */
const ANALYZE_LIMITS = { listSize: 100_000, corpus: 1_000_000 } as const;

/** The command body, with stdin injectable for tests. Resolves to the exit code. */
export async function analyzeCelCommand(
  ctx: CliContext,
  inputs: string[],
  flags: AnalyzeCelFlags,
  io: AnalyzeCelIo,
  args: string[] = [],
): Promise<number> {
  const startedAt = new Date();
  const options: AnalyzeOptions = {
    sizeHints: parseSizeHints(flags.sizeHint ?? []),
    budgetUnits: integerFlag('--budget', flags.budget, DEFAULT_BUDGET_UNITS, 1),
    assumedSize: integerFlag('--assumed-size', flags.assumedSize, DEFAULT_ASSUMED_SIZE, 1),
  };
  const failOverUnits = flags.failOver === undefined ? null : integerFlag('--fail-over', flags.failOver, 0, 0);
  const seed = integerFlag('--seed', flags.seed, 1, SEED_RANGE.min, SEED_RANGE.max);
  const listSize = integerFlag('--list-size', flags.listSize, 20, 0, ANALYZE_LIMITS.listSize);
  if (flags.input && !flags.measure) throw new UsageError('--input: only used with --measure');
  const corpusSize = flags.corpus === undefined ? null : integerFlag('--corpus', flags.corpus, 0, 1, ANALYZE_LIMITS.corpus);
  if (inputs.length === 0 && (flags.expr ?? []).length === 0 && corpusSize === null) {
    throw new UsageError('analyze-cel: give at least one FILE, DIR or - (stdin), or --expr \'CEL\', or --corpus N');
  }
  if (corpusSize !== null && (inputs.length > 0 || (flags.expr ?? []).length > 0 || flags.measure)) {
    throw new UsageError('--corpus: analyses a generated corpus on its own (no FILE, --expr or --measure with it)');
  }

  const outcome = await runAnalyzeCel({
    cwd: ctx.cwd,
    inputs,
    expressions: flags.expr ?? [],
    options,
    failOverUnits,
    budgetGates: flags.budget !== undefined,
    ...(flags.measure ? { measure: { seed, listSize, ...(flags.input ? { inputFile: flags.input } : {}) } } : {}),
    ...(corpusSize !== null ? { corpus: { size: corpusSize, seed } } : {}),
    io: { readStdin: io.readStdin, readFile: (file) => readInputFile(ctx, file) },
  });
  for (const line of outcome.errorLines) ctx.stderr.write(`authz-perf: ${line}\n`);
  const report: CelAnalysisReport = {
    ...reportEnvelope('analyze-cel', args, startedAt, new Date(), collectEnvironment(ctx.cwd)),
    celAnalysis: outcome.section,
  };
  await emitReport(ctx, report, flags);
  for (const line of outcome.gateLines) ctx.stderr.write(`authz-perf: ${line}\n`);
  return outcome.exitCode;
}
