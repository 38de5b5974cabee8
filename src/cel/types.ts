/**
 * The `analyze-cel` report section: static cost (cel-go compatible estimator), complexity
 * metrics and span-precise recommendations for every CEL expression analysed.
 */

/** A span inside the expression's file (or inside the expression text when it has no file). 1-based. */
export interface SourceSpan {
  line: number;
  column: number;
  endLine: number;
  /** exclusive end column */
  endColumn: number;
}

/** Where an expression came from. */
export interface ExpressionOrigin {
  /** 'text' (expression file / stdin), 'expr' (--expr), 'policy' (Cerbos policy file) */
  kind: 'text' | 'expr' | 'policy';
  /** file path as given (relative to the working directory), `-` for stdin, null for --expr */
  file: string | null;
  /** policy files: e.g. `resourcePolicy album:object` or `derivedRoles common_roles` */
  policy?: string;
  /** policy files: rule name / derived-role name / variable name */
  rule?: string;
  /** policy files: `condition`, `variable`, `constant` ... */
  role?: string;
}

export interface ExpressionMetrics {
  astDepth: number;
  nodeCount: number;
  /** distinct attribute paths read, canonical alias form (R.attr.tags, P.id, V.x) */
  paths: string[];
  /** root variables read (R, P, V, C, request, now, ...), distinct */
  variables: string[];
  /** function/macro calls by name, including operators that are calls in CEL (matches, size, in...) */
  calls: Record<string, number>;
  comprehensionCount: number;
  /** deepest nesting of comprehensions (0 = none, 2 = a comprehension inside another) */
  maxComprehensionNesting: number;
}

export interface CostFigures {
  minCostUnits: number;
  /** null when the cost is unbounded (a size the model cannot bound without a --size-hint) */
  maxCostUnits: number | null;
  /** paths (or sub-expressions) whose unknown size made maxCostUnits unbounded */
  unboundedBy: string[];
  /**
   * max cost if every unbounded size were `assumedSize` (see the section's model). Used to rank
   * expressions; never presented as the bound.
   */
  rankCostUnits: number;
}

export type BudgetStatus = 'within' | 'exceeds' | 'unbounded';

export type RecommendationRule =
  | 'cheaper-operand-first'
  | 'nested-comprehension'
  | 'repeated-subexpression'
  | 'regex-non-constant'
  | 'regex-as-string-function'
  | 'in-large-list'
  | 'constant-fold'
  | 'unguarded-optional-select'
  | 'exceeds-budget';

export type Severity = 'info' | 'warning' | 'error';

export interface Recommendation {
  rule: RecommendationRule;
  severity: Severity;
  message: string;
  /** how to fix it (concrete rewrite where possible) */
  suggestion: string;
  span: SourceSpan;
  /** the sub-expression the recommendation points at, verbatim from the source */
  text: string;
}

export interface MeasuredCost {
  /** median ns per evaluation over the timed batches */
  nsPerEval: number;
  evaluations: number;
  /** evaluation error message when every evaluation failed (e.g. missing attribute in the input) */
  error: string | null;
  /** the value of the first evaluation (JSON-ish, truncated), for the user's sanity check */
  result: string | null;
}

export interface ExpressionAnalysis {
  /** stable id within the report: `file:line:column` (or `expr#N`) */
  id: string;
  origin: ExpressionOrigin;
  /** the expression text as analysed (continuations joined) */
  expression: string;
  span: SourceSpan;
  metrics: ExpressionMetrics;
  cost: CostFigures;
  /**
   * Policy conditions that read policy variables (V.x): cost including every variable read,
   * transitively, once each — what the engine evaluates for this condition. Absent when none.
   */
  costWithVariables?: CostFigures & { variables: string[] };
  budget: { status: BudgetStatus; factor: number | null };
  recommendations: Recommendation[];
  measured?: MeasuredCost;
}

export interface ExpressionError {
  origin: ExpressionOrigin;
  expression: string;
  /** file position of the error */
  span: SourceSpan;
  message: string;
}

export interface FileSummary {
  file: string;
  expressions: number;
  parseErrors: number;
  /** max over the file's expressions; null when any is unbounded */
  maxCostUnits: number | null;
  unbounded: number;
  overBudget: number;
  recommendations: number;
  /** id of the worst expression (by rank cost), null when none parsed */
  worst: string | null;
}

export interface CostModelInfo {
  /** e.g. `cel-go checker/cost.go estimator (v0.2x semantics)` */
  name: string;
  constants: Record<string, number>;
  /** size used for rankCostUnits when a size is unbounded */
  assumedSize: number;
  sizeHints: Record<string, number>;
  /** divergences from cel-go, one sentence each */
  divergences: string[];
}

/**
 * A straight-line fit of measured ns per evaluation against static rank cost units over the
 * measured expressions (least squares of relative error): what one cost unit means in time on
 * this engine, and where the static model misleads (outliers).
 */
export interface CalibrationFit {
  /** slope: ns per evaluation for each static cost unit */
  nsPerCostUnit: number;
  /** intercept: ns per evaluation at zero cost units (fixed overhead of one evaluation) */
  interceptNs: number;
  /**
   * coefficient of determination of the fit (1 = every point on the line); the fit weighs each
   * point by 1/ns², i.e. by its relative error, and is refitted once without the outliers
   */
  r2: number;
  points: number;
  /** measured/predicted at or beyond which a point is an outlier (and 1/factor below) */
  outlierFactor: number;
  /** worst first by how far off the prediction they are; at most 20 */
  outliers: CalibrationOutlier[];
  /** how many points were outliers in all (the list is capped) */
  outlierCount: number;
}

export interface CalibrationOutlier {
  /** expression id (`file:line:column`) */
  id: string;
  costUnits: number;
  nsPerEval: number;
  predictedNs: number;
  /** measured ÷ predicted: > 1 slower than its cost says, < 1 faster */
  ratio: number;
}

export interface MeasureSummary {
  /** where inputs came from: `generated (seed N)` or the --input file */
  input: string;
  /** Spearman rank correlation between rankCostUnits and measured ns/eval; null when < 3 points */
  spearman: number | null;
  points: number;
  /** null when fewer than 3 points or every point has the same cost */
  fit?: CalibrationFit | null;
}

/** Cerbos policy (or derived roles / exportVariables) within a file. */
export interface PolicySummary {
  file: string;
  /** e.g. `resourcePolicy album:object` */
  policy: string;
  expressions: number;
  /** max over the policy's expressions; null when any is unbounded */
  maxCostUnits: number | null;
  unbounded: number;
  overBudget: number;
  recommendations: number;
  /** id of the worst expression */
  worst: string | null;
}

/**
 * A histogram: `counts[i]` expressions with a value in [bounds[i], bounds[i + 1]) (the last
 * bucket up to `top`, or open when `top` is null), plus `unbounded` for values the model cannot
 * bound. Buckets step 1-2-5 (0, 1, 2, 5, 10, 20, …); empty buckets at either end are left out.
 */
export interface Histogram {
  bounds: number[];
  counts: number[];
  top: number | null;
  unbounded: number;
}

/** Position of each column in an index row (`ExpressionRow`): `row[ROW.maxCost]`. */
export const ROW = {
  origin: 0,
  line: 1,
  column: 2,
  minCost: 3,
  maxCost: 4,
  rankCost: 5,
  maxCostWithVariables: 6,
  depth: 7,
  nodes: 8,
  comprehensions: 9,
  nesting: 10,
  budget: 11,
  recommendations: 12,
  unboundedBy: 13,
  nsPerEval: 14,
} as const;

/** The column names of an index row, in order. */
export const EXPRESSION_ROW_COLUMNS = Object.keys(ROW) as Array<keyof typeof ROW>;

/**
 * One expression's figures in compact form, a positional array named by EXPRESSION_ROW_COLUMNS
 * (also saved as the index's `columns`): index into `origins`, line, column, min cost, max cost
 * (null = unbounded), rank cost, max cost including policy variables (null when none read, or
 * unbounded), AST depth, node count, comprehensions, deepest comprehension nesting, budget
 * status, recommendation rule names (at most 10), the first 5 paths that make the max cost
 * unbounded, measured ns/eval (null when not measured or evaluation failed). The expression's
 * text is at its file, line and column (and in full for the worst ones in `expressions`).
 */
export type ExpressionRow = [
  origin: number,
  line: number,
  column: number,
  minCost: number,
  maxCost: number | null,
  rankCost: number,
  maxCostWithVariables: number | null,
  depth: number,
  nodes: number,
  comprehensions: number,
  nesting: number,
  budget: BudgetStatus,
  recommendations: RecommendationRule[],
  unboundedBy: string[],
  nsPerEval: number | null,
];

export interface ExpressionIndex {
  /** names of the row positions (EXPRESSION_ROW_COLUMNS) */
  columns: string[];
  /** distinct origins the rows point at (for text files: one per file) */
  origins: ExpressionOrigin[];
  /** one per analysed expression: expression files in input order, then policy expressions */
  rows: ExpressionRow[];
}

export interface CelAnalysisSection {
  model: CostModelInfo;
  budgetUnits: number;
  /** --fail-over threshold, null when not given */
  failOverUnits: number | null;
  /**
   * The worst expressions in full (at most 100), worst first (unbounded first, then by max cost,
   * then rank cost). `index` has every expression's figures.
   */
  expressions: ExpressionAnalysis[];
  /** every analysed expression's figures, compact */
  index: ExpressionIndex;
  errors: ExpressionError[];
  files: FileSummary[];
  /** policy inputs: one per policy document, by file then policy name */
  policies: PolicySummary[];
  /** cost distributions over every analysed expression */
  distributions: { maxCost: Histogram; rankCost: Histogram };
  /** files found in directories that are not policies (scenario files, Cerbos test suites), skipped */
  skipped: Array<{ file: string; reason: string }>;
  totals: {
    expressions: number;
    parseErrors: number;
    unbounded: number;
    overBudget: number;
    overFailThreshold: number;
    recommendations: number;
    /** static analysis throughput of this run (parse + analysis), expressions per second */
    expressionsPerSecond: number;
    analysisMs: number;
    /**
     * process CPU time (all threads, incl. GC) of the same work, and the throughput per CPU second:
     * on a busy shared host the wall-clock figure mostly measures waiting for a core
     */
    analysisCpuMs?: number;
    expressionsPerCpuSecond?: number;
    /**
     * the whole run up to the report (reading inputs, analysis, --measure, summaries), wall clock
     * and process CPU; writing the report files comes after and is not included
     */
    runMs?: number;
    runCpuMs?: number;
  };
  measure?: MeasureSummary;
  /**
   * `--corpus N` (throughput benchmark): the expressions were generated (seeded); `expressions`
   * lists only the `listed` worst of them, totals and per-file figures cover all.
   */
  corpus?: { seed: number; expressions: number; listed: number };
}

/** The section as saved by schemaVersion 1: every expression in full, no index, policies or distributions. */
export type CelAnalysisSectionV1 = Omit<CelAnalysisSection, 'index' | 'policies' | 'distributions'>;
