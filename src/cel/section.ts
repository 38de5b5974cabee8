/** Assembles the report section from per-expression results: sorting, per-file summaries, totals. */
import { compareWorstFirst, type AnalyzeOptions } from './analyze.js';
import { COST, DIVERGENCES } from './cost.js';
import type { CelAnalysisSection, ExpressionAnalysis, ExpressionError, FileSummary, MeasureSummary } from './types.js';

export interface SectionInput {
  expressions: ExpressionAnalysis[];
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

export function buildSection(input: SectionInput): CelAnalysisSection {
  const expressions = [...input.expressions].sort(compareWorstFirst);
  const overFail = (e: ExpressionAnalysis): boolean =>
    input.failOverUnits !== null && (e.cost.maxCostUnits === null || e.cost.maxCostUnits > input.failOverUnits);

  const byFile = new Map<string, FileSummary>();
  const summary = (file: string): FileSummary => {
    let s = byFile.get(file);
    if (!s) {
      s = { file, expressions: 0, parseErrors: 0, maxCostUnits: 0, unbounded: 0, overBudget: 0, recommendations: 0, worst: null };
      byFile.set(file, s);
    }
    return s;
  };
  for (const e of expressions) {
    const s = summary(e.origin.file ?? STDIN_OR_EXPR);
    s.expressions++;
    if (e.cost.maxCostUnits === null) s.unbounded++;
    if (s.maxCostUnits !== null) s.maxCostUnits = e.cost.maxCostUnits === null ? null : Math.max(s.maxCostUnits, e.cost.maxCostUnits);
    if (e.budget.status !== 'within') s.overBudget++;
    s.recommendations += e.recommendations.length;
    if (s.worst === null) s.worst = e.id; // expressions are sorted worst first
  }
  for (const err of input.errors) summary(err.origin.file ?? STDIN_OR_EXPR).parseErrors++;
  const files = [...byFile.values()].sort((a, b) => a.file.localeCompare(b.file));

  const sizeHints: Record<string, number> = {};
  for (const [k, v] of input.options.sizeHints) sizeHints[k] = v;
  // file-level errors (not a policy, invalid YAML) are not expressions
  const count = expressions.length + input.errors.filter((e) => e.expression !== '').length;
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
      expressions: expressions.length,
      parseErrors: input.errors.length,
      unbounded: expressions.filter((e) => e.cost.maxCostUnits === null).length,
      overBudget: expressions.filter((e) => e.budget.status !== 'within').length,
      overFailThreshold: expressions.filter(overFail).length,
      recommendations: expressions.reduce((n, e) => n + e.recommendations.length, 0),
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
    ...(input.corpus ? { corpus: { seed: input.corpus.seed, expressions: expressions.length, listed: Math.min(expressions.length, input.corpus.keep) } } : {}),
  };
}
