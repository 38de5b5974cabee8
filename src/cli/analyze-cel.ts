/**
 * `authz-perf analyze-cel [FILE|DIR|-]... [--expr CEL]... [--size-hint PATH=N]... [--budget N]
 *  [--fail-over COST] [--measure] [--input FILE]` — static cost and complexity of CEL conditions.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { argsAfterCommand, readInputFile, readProcessStdin, runAction } from './action.js';
import { addReportOptions, emitReport, type ReportOutputOptions } from './report-output.js';
import { reportEnvelope } from '../report/build.js';
import { collectEnvironment } from '../report/environment.js';
import type { CelAnalysisReport } from '../report/types.js';
import { InputError, UsageError } from '../util/errors.js';
import { parseIntegerFlag } from './integer-flag.js';
import { DEFAULT_ASSUMED_SIZE, DEFAULT_BUDGET_UNITS, type AnalyzeOptions } from '../cel/analyze.js';
import { parseSizeHints } from '../cel/paths.js';
import { isPolicyFile } from '../cel/sources.js';
import { analyzeCel, type CelSource } from '../cel/run.js';
import type { RequestInput } from '../cel/measure.js';

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

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('analyze-cel')
    .description('static cost (cel-go estimator), complexity and rewrite advice for CEL conditions and Cerbos policies')
    .argument('[inputs...]', 'expression files (one per line), Cerbos policy files (.yaml/.yml/.json), directories, or - for stdin')
    .option('--expr <cel>', 'analyse this expression (repeatable)', collect, [])
    .option('--size-hint <path=n>', 'bound a list/map/string size, e.g. R.attr.tags=100 (repeatable)', collect, [])
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
function integerFlag(flag: string, raw: string | undefined, fallback: number, min: number): number {
  return raw === undefined ? fallback : parseIntegerFlag(flag, raw, { min });
}

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
  const seed = integerFlag('--seed', flags.seed, 1, 0);
  const listSize = integerFlag('--list-size', flags.listSize, 20, 0);
  if (flags.input && !flags.measure) throw new UsageError('--input: only used with --measure');
  const corpusSize = flags.corpus === undefined ? null : integerFlag('--corpus', flags.corpus, 0, 1);
  if (inputs.length === 0 && (flags.expr ?? []).length === 0 && corpusSize === null) {
    throw new UsageError('analyze-cel: give at least one FILE, DIR or - (stdin), or --expr \'CEL\', or --corpus N');
  }
  if (corpusSize !== null && (inputs.length > 0 || (flags.expr ?? []).length > 0 || flags.measure)) {
    throw new UsageError('--corpus: analyses a generated corpus on its own (no FILE, --expr or --measure with it)');
  }
  const input = flags.input ? { request: await readRequest(path.resolve(ctx.cwd, flags.input), flags.input), name: flags.input } : undefined;

  const { section, errors } = await analyzeCel({
    sources: readSources(ctx, inputs, io),
    expressions: flags.expr ?? [],
    options,
    failOverUnits,
    ...(flags.measure ? { measure: { seed, listSize, ...(input ? { input } : {}) } } : {}),
    ...(corpusSize !== null ? { corpus: { size: corpusSize, seed } } : {}),
    clock: PROCESS_CLOCK,
  });
  for (const err of errors.slice(0, STDERR_ERRORS)) {
    const where = `${err.origin.file ?? '--expr'}:${err.span.line}:${err.span.column}`;
    ctx.stderr.write(`authz-perf: ${where}: ${err.message}\n`);
  }
  if (errors.length > STDERR_ERRORS) ctx.stderr.write(`authz-perf: … and ${errors.length - STDERR_ERRORS} more errors (all in the JSON report)\n`);
  const report: CelAnalysisReport = {
    ...reportEnvelope('analyze-cel', args, startedAt, new Date(), collectEnvironment(ctx.cwd)),
    celAnalysis: section,
  };
  await emitReport(ctx, report, flags);
  if (errors.length > 0) return 2;
  let gate = 0;
  if (failOverUnits !== null && section.totals.overFailThreshold > 0) {
    ctx.stderr.write(`authz-perf: ${section.totals.overFailThreshold} expression(s) over --fail-over ${failOverUnits}\n`);
    gate = 1;
  }
  if (flags.budget !== undefined && section.totals.overBudget > 0) {
    const t = section.totals;
    const unbounded = t.unbounded > 0 ? ` (${t.unbounded} unbounded: bound them with --size-hint)` : '';
    ctx.stderr.write(`authz-perf: ${t.overBudget} expression(s) over --budget ${options.budgetUnits}${unbounded}\n`);
    gate = 1;
  }
  return gate;
}

/** error lines printed on stderr; the report holds all of them */
const STDERR_ERRORS = 50;

const PROCESS_CLOCK = {
  wallNs: (): bigint => process.hrtime.bigint(),
  cpuUs: (): number => {
    const u = process.cpuUsage();
    return u.user + u.system;
  },
};

/** The inputs in order, each file read only when the analysis reaches it. */
async function* readSources(ctx: CliContext, inputs: readonly string[], io: AnalyzeCelIo): AsyncGenerator<CelSource> {
  for (const input of inputs) {
    if (input === '-') {
      yield { file: '-', text: await io.readStdin(), policy: false, fromDirectory: false };
      continue;
    }
    const { files, fromDirectory } = await expandInput(ctx.cwd, input);
    for (const file of files) {
      const relative = path.relative(ctx.cwd, file);
      const display = relative && !relative.startsWith('..') ? relative : file;
      yield { file: display, text: await readInputFile(ctx, file), policy: isPolicyFile(file), fromDirectory };
    }
  }
}

async function readRequest(file: string, display: string): Promise<RequestInput> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new InputError(`--input: ${(err as Error).message.split('\n')[0]}`, { file: display });
  }
  const r = raw as Partial<RequestInput> | null;
  if (!r || typeof r !== 'object' || typeof r.principal !== 'object' || typeof r.resource !== 'object' || !r.principal || !r.resource) {
    throw new InputError('--input: expected a JSON object with "principal" and "resource" objects (optional "variables", "constants")', { file: display });
  }
  return r as RequestInput;
}

const SKIP_DIRS = new Set(['node_modules', '.git', 'dist']);

/** A file → itself; a directory → its policy (.yaml/.yml/.json) and .cel files, recursively, sorted. */
async function expandInput(cwd: string, input: string): Promise<{ files: string[]; fromDirectory: boolean }> {
  const full = path.resolve(cwd, input);
  let info;
  try {
    info = await stat(full);
  } catch {
    throw new InputError(`no such file or directory`, { file: input });
  }
  if (!info.isDirectory()) return { files: [full], fromDirectory: false };
  const out: string[] = [];
  const walkDir = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) await walkDir(p);
      } else if (isPolicyFile(e.name) || /\.cel$/i.test(e.name)) out.push(p);
    }
  };
  await walkDir(full);
  return { files: out, fromDirectory: true };
}
