/**
 * Assembles the report section from per-expression results as they arrive: totals, per-file and
 * per-policy summaries, cost histograms, one compact row per expression, and the worst few in
 * full. Nothing here grows with the input except the compact rows (a few hundred bytes each).
 */
import { compareWorstFirst, type AnalyzeOptions } from './analyze.js';
import { COST, DIVERGENCES } from './cost.js';
import { EXPRESSION_ROW_COLUMNS } from './types.js';
import type {
  CelAnalysisSection,
  CelAnalysisSectionV1,
  ExpressionAnalysis,
  ExpressionError,
  ExpressionOrigin,
  ExpressionRow,
  FileSummary,
  Histogram,
  MeasureSummary,
  PolicySummary,
  RecommendationRule,
} from './types.js';

/** How many of the worst expressions the section lists in full (the index has every one). */
export const LISTED_WORST = 100;
/** unboundedBy paths kept in a compact row */
const ROW_UNBOUNDED_PATHS = 5;
/** recommendation rule names kept in a compact row */
const ROW_RULES = 10;

export interface SectionInput {
  /** the analyses gathered while analysing (see SectionTally) */
  tally: SectionTally;
  errors: ExpressionError[];
  options: AnalyzeOptions;
  failOverUnits: number | null;
  /** wall time of parse + analysis */
  analysisMs: number;
  /** process CPU time (all threads) of parse + analysis, when measured */
  analysisCpuMs?: number;
  /** the whole run up to the section: wall clock and process CPU */
  run?: { wallMs: number; cpuMs: number };
  measure?: MeasureSummary;
  skipped?: Array<{ file: string; reason: string }>;
  /** --corpus runs: the expressions were generated with this seed */
  corpus?: { seed: number };
}

export const STDIN_OR_EXPR = '(--expr)';

/** Lower edges of the cost histogram buckets: 0, 1, 2, 5, 10, 20, 50, … 5e11 (1-2-5 steps). */
const COST_BOUNDS: readonly number[] = (() => {
  const b = [0];
  for (let p = 1; p < 1e12; p *= 10) b.push(p, 2 * p, 5 * p);
  return b;
})();

/** Counts values into the 1-2-5 buckets; `histogram()` trims empty buckets at both ends. */
class CostHistogram {
  private readonly counts = new Array<number>(COST_BOUNDS.length).fill(0);
  private unbounded = 0;

  add(value: number | null): void {
    if (value === null || value === Infinity) {
      this.unbounded++;
      return;
    }
    let i = COST_BOUNDS.length - 1;
    while (i > 0 && value < COST_BOUNDS[i]!) i--;
    this.counts[i]!++;
  }

  histogram(): Histogram {
    let first = this.counts.findIndex((c) => c > 0);
    if (first === -1) return { bounds: [], counts: [], top: null, unbounded: this.unbounded };
    let last = this.counts.length - 1;
    while (this.counts[last] === 0) last--;
    first = Math.max(0, first);
    return {
      bounds: COST_BOUNDS.slice(first, last + 1),
      counts: this.counts.slice(first, last + 1),
      top: last + 1 < COST_BOUNDS.length ? COST_BOUNDS[last + 1]! : null,
      unbounded: this.unbounded,
    };
  }
}

/**
 * Totals, per-file and per-policy summaries, histograms and compact rows over analyses as they
 * arrive, keeping only the `keep` worst in full, so a large input need not be held in memory.
 */
export class SectionTally {
  expressions = 0;
  unbounded = 0;
  overBudget = 0;
  overFailThreshold = 0;
  recommendations = 0;
  private readonly byFile = new Map<string, FileSummary>();
  private readonly byPolicy = new Map<string, PolicySummary>();
  /** per file / policy key, its worst analysis so far */
  private readonly worstOf = new Map<string, ExpressionAnalysis>();
  private readonly maxCost = new CostHistogram();
  private readonly rankCost = new CostHistogram();
  private readonly origins: ExpressionOrigin[] = [];
  private readonly originIndex = new Map<string, number>();
  private readonly rows: ExpressionRow[] = [];
  private kept: ExpressionAnalysis[] = [];
  /** after a trim: the best of the kept; an arrival that is not worse than it cannot be listed */
  private cutoff: ExpressionAnalysis | null = null;

  constructor(
    private readonly failOverUnits: number | null,
    private readonly keep = LISTED_WORST,
  ) {}

  add(e: ExpressionAnalysis): void {
    this.expressions++;
    const max = e.cost.maxCostUnits;
    const nRecs = e.recommendations.length;
    if (max === null) this.unbounded++;
    if (e.budget.status !== 'within') this.overBudget++;
    if (this.failOverUnits !== null && (max === null || max > this.failOverUnits)) this.overFailThreshold++;
    this.recommendations += nRecs;
    this.maxCost.add(max);
    this.rankCost.add(e.cost.rankCostUnits);

    const file = e.origin.file ?? STDIN_OR_EXPR;
    const s = this.fileSummary(file);
    s.expressions++;
    if (max === null) s.unbounded++;
    if (s.maxCostUnits !== null) s.maxCostUnits = max === null ? null : Math.max(s.maxCostUnits, max);
    if (e.budget.status !== 'within') s.overBudget++;
    s.recommendations += nRecs;
    if (this.isWorstOf(file, e)) s.worst = e.id;

    if (e.origin.kind === 'policy' && e.origin.policy !== undefined) {
      const key = `${file}\u0000${e.origin.policy}`;
      let p = this.byPolicy.get(key);
      if (!p) {
        p = { file, policy: e.origin.policy, expressions: 0, maxCostUnits: 0, unbounded: 0, overBudget: 0, recommendations: 0, worst: null };
        this.byPolicy.set(key, p);
      }
      p.expressions++;
      if (max === null) p.unbounded++;
      if (p.maxCostUnits !== null) p.maxCostUnits = max === null ? null : Math.max(p.maxCostUnits, max);
      if (e.budget.status !== 'within') p.overBudget++;
      p.recommendations += nRecs;
      if (this.isWorstOf(key, e)) p.worst = e.id;
    }

    this.rows.push(this.row(e));

    if (this.cutoff !== null && compareWorstFirst(e, this.cutoff) >= 0) return;
    this.kept.push(e);
    // trim in batches: one sort per `keep` arrivals, not one per arrival
    if (this.kept.length >= 2 * this.keep) {
      this.kept = this.kept.sort(compareWorstFirst).slice(0, this.keep);
      this.cutoff = this.kept[this.kept.length - 1] ?? null;
    }
  }

  addError(err: ExpressionError): void {
    this.fileSummary(err.origin.file ?? STDIN_OR_EXPR).parseErrors++;
  }

  /** The kept analyses, worst first. */
  worst(): ExpressionAnalysis[] {
    const sorted = this.kept.sort(compareWorstFirst);
    return sorted.length > this.keep ? sorted.slice(0, this.keep) : sorted;
  }

  /** Per-file summaries, by file name. */
  files(): FileSummary[] {
    return [...this.byFile.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  }

  /** Per-policy summaries, by file then policy. */
  policies(): PolicySummary[] {
    return [...this.byPolicy.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0));
  }

  index(): CelAnalysisSection['index'] {
    return { columns: [...EXPRESSION_ROW_COLUMNS], origins: this.origins, rows: this.rows };
  }

  distributions(): CelAnalysisSection['distributions'] {
    return { maxCost: this.maxCost.histogram(), rankCost: this.rankCost.histogram() };
  }

  private isWorstOf(key: string, e: ExpressionAnalysis): boolean {
    const worst = this.worstOf.get(key);
    if (worst && compareWorstFirst(e, worst) >= 0) return false;
    this.worstOf.set(key, e);
    return true;
  }

  private fileSummary(file: string): FileSummary {
    let s = this.byFile.get(file);
    if (!s) {
      s = { file, expressions: 0, parseErrors: 0, maxCostUnits: 0, unbounded: 0, overBudget: 0, recommendations: 0, worst: null };
      this.byFile.set(file, s);
    }
    return s;
  }

  private originOf(o: ExpressionOrigin): number {
    const key = o.kind === 'policy' ? `${o.file}\u0000${o.policy ?? ''}\u0000${o.rule ?? ''}\u0000${o.role ?? ''}` : `${o.kind}\u0000${o.file ?? ''}`;
    let i = this.originIndex.get(key);
    if (i === undefined) {
      i = this.origins.length;
      this.origins.push(o);
      this.originIndex.set(key, i);
    }
    return i;
  }

  private row(e: ExpressionAnalysis): ExpressionRow {
    const m = e.metrics;
    const recs = e.recommendations;
    let rules: RecommendationRule[] = NO_RULES;
    if (recs.length) {
      rules = new Array<RecommendationRule>(Math.min(ROW_RULES, recs.length));
      for (let i = 0; i < rules.length; i++) rules[i] = recs[i]!.rule;
    }
    const unboundedBy = e.cost.unboundedBy;
    return [
      this.originOf(e.origin),
      e.span.line,
      e.span.column,
      e.cost.minCostUnits,
      e.cost.maxCostUnits,
      e.cost.rankCostUnits,
      e.costWithVariables ? e.costWithVariables.maxCostUnits : null,
      m.astDepth,
      m.nodeCount,
      m.comprehensionCount,
      m.maxComprehensionNesting,
      e.budget.status,
      rules,
      unboundedBy.length > ROW_UNBOUNDED_PATHS ? unboundedBy.slice(0, ROW_UNBOUNDED_PATHS) : unboundedBy,
      e.measured && e.measured.error === null ? e.measured.nsPerEval : null,
    ];
  }
}

/** shared by every row without recommendations (rows are never changed after they are made) */
const NO_RULES: RecommendationRule[] = [];

/** A tally of a whole list (tests, re-reading a saved schemaVersion 1 section). */
export function tallyOf(expressions: readonly ExpressionAnalysis[], failOverUnits: number | null, keep = LISTED_WORST): SectionTally {
  const tally = new SectionTally(failOverUnits, keep);
  for (const e of expressions) tally.add(e);
  return tally;
}

export function costModelInfo(options: AnalyzeOptions): CelAnalysisSection['model'] {
  const sizeHints: Record<string, number> = {};
  for (const [k, v] of options.sizeHints) sizeHints[k] = v;
  return {
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
    assumedSize: options.assumedSize,
    sizeHints,
    divergences: [...DIVERGENCES],
  };
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function buildSection(input: SectionInput): CelAnalysisSection {
  const tally = input.tally;
  // errors are counted here, also for a tally built while analysing
  for (const err of input.errors) tally.addError(err);
  const expressions = tally.worst();

  // file-level errors (not a policy, invalid YAML) are not expressions
  let count = tally.expressions;
  for (const e of input.errors) if (e.expression !== '') count++;
  return {
    model: costModelInfo(input.options),
    budgetUnits: input.options.budgetUnits,
    failOverUnits: input.failOverUnits,
    expressions,
    index: tally.index(),
    errors: input.errors,
    files: tally.files(),
    policies: tally.policies(),
    distributions: tally.distributions(),
    skipped: input.skipped ?? [],
    totals: {
      expressions: tally.expressions,
      parseErrors: input.errors.length,
      unbounded: tally.unbounded,
      overBudget: tally.overBudget,
      overFailThreshold: tally.overFailThreshold,
      recommendations: tally.recommendations,
      expressionsPerSecond: input.analysisMs > 0 ? Math.round((count / input.analysisMs) * 1000) : 0,
      analysisMs: round3(input.analysisMs),
      ...(input.analysisCpuMs !== undefined
        ? {
            analysisCpuMs: round3(input.analysisCpuMs),
            expressionsPerCpuSecond: input.analysisCpuMs > 0 ? Math.round((count / input.analysisCpuMs) * 1000) : 0,
          }
        : {}),
      ...(input.run ? { runMs: round3(input.run.wallMs), runCpuMs: round3(input.run.cpuMs) } : {}),
    },
    ...(input.measure ? { measure: input.measure } : {}),
    ...(input.corpus ? { corpus: { seed: input.corpus.seed, expressions: tally.expressions, listed: expressions.length } } : {}),
  };
}

/**
 * A section saved by schemaVersion 1 (every expression in full) in the current shape: the worst
 * listed in full, every listed expression in the index, per-policy summaries and histograms
 * recomputed from them. (A version 1 `--corpus` report held only its worst expressions; its
 * index has those.)
 */
export function sectionFromV1(v1: CelAnalysisSectionV1): CelAnalysisSection {
  const tally = tallyOf(v1.expressions ?? [], v1.failOverUnits ?? null);
  return {
    ...v1,
    expressions: tally.worst(),
    index: tally.index(),
    policies: tally.policies(),
    distributions: tally.distributions(),
  };
}
