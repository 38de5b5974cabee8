/** Assembles the report section from per-expression results: sorting, per-file summaries, totals. */
import { compareWorstFirst, type AnalyzeOptions } from './analyze.js';
import { COST, DIVERGENCES } from './cost.js';
import type { CelAnalysisSection, ExpressionAnalysis, ExpressionError, FileSummary, MeasureSummary } from './types.js';

export interface SectionInput {
  /** every analysis, or (with `tally`) only the ones to list */
  expressions: ExpressionAnalysis[];
  /** totals and per-file figures gathered while analysing (`--corpus`, which keeps only the worst) */
  tally?: SectionTally;
  errors: ExpressionError[];
  options: AnalyzeOptions;
  failOverUnits: number | null;
  /** wall time of parse + analysis */
  analysisMs: number;
  /** process CPU time (all threads) of parse + analysis, when measured */
  analysisCpuMs?: number;
  measure?: MeasureSummary;
  skipped?: Array<{ file: string; reason: string }>;
  /** --corpus runs: list only the `keep` worst expressions (totals and per-file figures cover all) */
  corpus?: { seed: number; keep: number };
}

export const STDIN_OR_EXPR = '(--expr)';

/**
 * Totals and per-file summaries over analyses as they arrive, keeping only the `keep` worst
 * (all of them by default), so a large corpus need not be held in memory to be reported.
 */
export class SectionTally {
  expressions = 0;
  unbounded = 0;
  overBudget = 0;
  overFailThreshold = 0;
  recommendations = 0;
  private readonly byFile = new Map<string, FileSummary>();
  /** per file, its worst analysis so far */
  private readonly worstByFile = new Map<string, ExpressionAnalysis>();
  private kept: ExpressionAnalysis[] = [];

  constructor(
    private readonly failOverUnits: number | null,
    private readonly keep = Infinity,
  ) {}

  add(e: ExpressionAnalysis): void {
    this.expressions++;
    const max = e.cost.maxCostUnits;
    if (max === null) this.unbounded++;
    if (e.budget.status !== 'within') this.overBudget++;
    if (this.failOverUnits !== null && (max === null || max > this.failOverUnits)) this.overFailThreshold++;
    this.recommendations += e.recommendations.length;

    const file = e.origin.file ?? STDIN_OR_EXPR;
    const s = this.summary(file);
    s.expressions++;
    if (max === null) s.unbounded++;
    if (s.maxCostUnits !== null) s.maxCostUnits = max === null ? null : Math.max(s.maxCostUnits, max);
    if (e.budget.status !== 'within') s.overBudget++;
    s.recommendations += e.recommendations.length;
    const worst = this.worstByFile.get(file);
    if (!worst || compareWorstFirst(e, worst) < 0) {
      this.worstByFile.set(file, e);
      s.worst = e.id;
    }

    this.kept.push(e);
    // trim in batches: one sort per `keep` arrivals, not one per arrival
    if (this.kept.length >= 2 * this.keep) this.kept = this.kept.sort(compareWorstFirst).slice(0, this.keep);
  }

  addError(err: ExpressionError): void {
    this.summary(err.origin.file ?? STDIN_OR_EXPR).parseErrors++;
  }

  /** The kept analyses, worst first. */
  worst(): ExpressionAnalysis[] {
    const sorted = this.kept.sort(compareWorstFirst);
    return sorted.length > this.keep ? sorted.slice(0, this.keep) : sorted;
  }

  /** Per-file summaries, by file name. */
  files(): FileSummary[] {
    return [...this.byFile.values()].sort((a, b) => a.file.localeCompare(b.file));
  }

  private summary(file: string): FileSummary {
    let s = this.byFile.get(file);
    if (!s) {
      s = { file, expressions: 0, parseErrors: 0, maxCostUnits: 0, unbounded: 0, overBudget: 0, recommendations: 0, worst: null };
      this.byFile.set(file, s);
    }
    return s;
  }
}

export function buildSection(input: SectionInput): CelAnalysisSection {
  let tally = input.tally;
  if (!tally) {
    tally = new SectionTally(input.failOverUnits);
    for (const e of input.expressions) tally.add(e);
  }
  // errors are counted here, also for a tally built while analysing
  for (const err of input.errors) tally.addError(err);
  const expressions = input.tally ? input.expressions : tally.worst();
  const files = tally.files();

  const sizeHints: Record<string, number> = {};
  for (const [k, v] of input.options.sizeHints) sizeHints[k] = v;
  // file-level errors (not a policy, invalid YAML) are not expressions
  const count = tally.expressions + input.errors.filter((e) => e.expression !== '').length;
  return {
    model: {
      name: 'cel-go checker/cost.go estimator',
      constants: {
        selectAndIdent: COST.selectAndIdent,
        constant: COST.constant,
        listCreate: COST.listCreate,
        mapCreate: COST.mapCreate,
        stringTraversalFactor: COST.stringTraversalFactor,
        regexLengthFactor: COST.regexLengthFactor,
        presenceTest: COST.presenceTest,
        call: COST.call,
      },
      assumedSize: input.options.assumedSize,
      sizeHints,
      divergences: [...DIVERGENCES],
    },
    budgetUnits: input.options.budgetUnits,
    failOverUnits: input.failOverUnits,
    expressions: input.corpus ? expressions.slice(0, input.corpus.keep) : expressions,
    errors: input.errors,
    files,
    skipped: input.skipped ?? [],
    totals: {
      expressions: tally.expressions,
      parseErrors: input.errors.length,
      unbounded: tally.unbounded,
      overBudget: tally.overBudget,
      overFailThreshold: tally.overFailThreshold,
      recommendations: tally.recommendations,
      expressionsPerSecond: input.analysisMs > 0 ? Math.round((count / input.analysisMs) * 1000) : 0,
      analysisMs: Math.round(input.analysisMs * 1000) / 1000,
      ...(input.analysisCpuMs !== undefined
        ? {
            analysisCpuMs: Math.round(input.analysisCpuMs * 1000) / 1000,
            expressionsPerCpuSecond: input.analysisCpuMs > 0 ? Math.round((count / input.analysisCpuMs) * 1000) : 0,
          }
        : {}),
    },
    ...(input.measure ? { measure: input.measure } : {}),
    ...(input.corpus ? { corpus: { seed: input.corpus.seed, expressions: tally.expressions, listed: Math.min(tally.expressions, input.corpus.keep) } } : {}),
  };
}
