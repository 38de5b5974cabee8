/**
 * The analyze-cel command's front door: input paths and settings → the report section, the lines
 * for stderr and the exit code. The CLI parses flags, calls `runAnalyzeCel`, wraps the section in
 * the report envelope and emits it; the analysis pipeline itself is `analyzeCel` (run.ts).
 */
import path from 'node:path';
import { InputError } from '../util/errors.js';
import type { AnalyzeOptions } from './analyze.js';
import { readRequestFile, readSources, type CelInputIo } from './inputs.js';
import { analyzeCel, type CelClock } from './run.js';
import type { CelAnalysisSection } from './types.js';

export interface AnalyzeCelRun {
  /** paths are resolved against it and shown relative to it */
  cwd: string;
  /** files, folders or `-` (stdin), in order */
  inputs: readonly string[];
  /** --expr values */
  expressions: readonly string[];
  options: AnalyzeOptions;
  failOverUnits: number | null;
  /** --budget was given: expressions over it (or unbounded) fail the run */
  budgetGates: boolean;
  measure?: { seed: number; listSize: number; inputFile?: string };
  corpus?: { size: number; seed: number };
  io: CelInputIo;
  clock?: CelClock;
}

export interface AnalyzeCelOutcome {
  section: CelAnalysisSection;
  /** one line per input error (at most STDERR_ERRORS, then a count), printed before the report */
  errorLines: string[];
  /** why a gate failed, printed after the report */
  gateLines: string[];
  /** 0 ok, 1 a gate failed, 2 input errors */
  exitCode: 0 | 1 | 2;
}

/** error lines printed on stderr; the report holds all of them */
const STDERR_ERRORS = 50;

const PROCESS_CLOCK: CelClock = {
  wallNs: (): bigint => process.hrtime.bigint(),
  cpuUs: (): number => {
    const u = process.cpuUsage();
    return u.user + u.system;
  },
};

/** Runs analyze-cel. An input that cannot be read, or inputs holding no expression at all, throw InputError. */
export async function runAnalyzeCel(run: AnalyzeCelRun): Promise<AnalyzeCelOutcome> {
  const inputFile = run.measure?.inputFile;
  const input = inputFile ? { request: await readRequestFile(path.resolve(run.cwd, inputFile), inputFile), name: inputFile } : undefined;
  const { section, errors } = await analyzeCel({
    sources: readSources(run.cwd, run.inputs, run.io),
    expressions: run.expressions,
    options: run.options,
    failOverUnits: run.failOverUnits,
    ...(run.measure ? { measure: { seed: run.measure.seed, listSize: run.measure.listSize, ...(input ? { input } : {}) } } : {}),
    ...(run.corpus ? { corpus: run.corpus } : {}),
    clock: run.clock ?? PROCESS_CLOCK,
  });
  if (section.totals.expressions === 0 && errors.length === 0 && section.skipped.length === 0) {
    throw new InputError('no inputs found: the inputs hold no CEL expression', {});
  }
  const errorLines = errors.slice(0, STDERR_ERRORS).map((err) => `${err.origin.file ?? '--expr'}:${err.span.line}:${err.span.column}: ${err.message}`);
  if (errors.length > STDERR_ERRORS) errorLines.push(`… and ${errors.length - STDERR_ERRORS} more errors (all in the JSON report)`);
  if (errors.length > 0) return { section, errorLines, gateLines: [], exitCode: 2 };
  const gateLines: string[] = [];
  const t = section.totals;
  if (run.failOverUnits !== null && t.overFailThreshold > 0) {
    gateLines.push(`${t.overFailThreshold} expression(s) over --fail-over ${run.failOverUnits}`);
  }
  if (run.budgetGates && t.overBudget > 0) {
    const unbounded = t.unbounded > 0 ? ` (${t.unbounded} unbounded: bound them with --size-hint)` : '';
    gateLines.push(`${t.overBudget} expression(s) over --budget ${run.options.budgetUnits}${unbounded}`);
  }
  return { section, errorLines, gateLines, exitCode: gateLines.length > 0 ? 1 : 0 };
}
