/**
 * Parse + full static analysis of CEL expressions: metrics, cost, budget, recommendations.
 * `analyzeExpressions` is the entry point the bench room times (expressions per second).
 */
import { type CelNode, CelSyntaxError, parseCel } from './ast.js';
import { estimateCost, type CostResult } from './cost.js';
import { computeMetrics } from './metrics.js';
import { recommend, type RawRecommendation, type RecommendOptions } from './recommend.js';
import { textPosition } from '../util/text-position.js';
import { celNestingError } from '../engine/index.js';
import type { ExpressionAnalysis, ExpressionError, ExpressionOrigin, Recommendation, SourceSpan } from './types.js';

/** Kubernetes' per-call CEL cost limit, the default --budget. */
export const DEFAULT_BUDGET_UNITS = 1_000_000;
/** Size assumed for unbounded lists/strings when ranking (never reported as the bound). */
export const DEFAULT_ASSUMED_SIZE = 100;

export interface Position {
  line: number;
  column: number;
}

export interface ExpressionInput {
  text: string;
  origin: ExpressionOrigin;
  /** file line/column (1-based) of `offset` characters into `text` */
  position(offset: number): Position;
  /** policy expressions: variable scopes searched for V.x, in order (own policy, then imports) */
  variableScopes?: string[];
  /** policy variables: the scope and name this expression defines */
  defines?: { scope: string; name: string };
  /** policy conditions: where in the document, e.g. `rules[2].condition.match.all.of[0]` */
  conditionPath?: string;
  /** sizes the policy itself fixes (its constants), canonical path → [min, max] */
  knownSizes?: ReadonlyMap<string, { min: number; max: number }>;
}

export interface AnalyzeOptions {
  sizeHints: ReadonlyMap<string, number>;
  assumedSize: number;
  budgetUnits: number;
}

export const DEFAULT_ANALYZE_OPTIONS: AnalyzeOptions = {
  sizeHints: new Map(),
  assumedSize: DEFAULT_ASSUMED_SIZE,
  budgetUnits: DEFAULT_BUDGET_UNITS,
};

export type AnalysisOutcome =
  | { ok: true; analysis: ExpressionAnalysis; root: CelNode; cost: CostResult }
  | { ok: false; error: ExpressionError };

/** A position mapper for an expression given on its own (line 1, columns from 1; newlines count). */
export function standalonePosition(text: string): (offset: number) => Position {
  if (!text.includes('\n')) return (offset) => ({ line: 1, column: offset + 1 });
  return (offset) => textPosition(text, offset);
}

export function spanOf(input: ExpressionInput, start: number, end: number): SourceSpan {
  const a = input.position(start);
  const b = input.position(end);
  return { line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
}

function expressionId(input: ExpressionInput, span: SourceSpan): string {
  return input.origin.file === null ? `expr:${span.line}:${span.column}` : `${input.origin.file}:${span.line}:${span.column}`;
}

/** Analyses one expression; a syntax error is a per-expression result, never a throw. */
export function analyzeExpression(
  input: ExpressionInput,
  options: AnalyzeOptions = DEFAULT_ANALYZE_OPTIONS,
  recommendOptions: RecommendOptions = {},
): AnalysisOutcome {
  const text = input.text;
  let root: CelNode;
  try {
    // the parser and every walk below recurse once per level: refuse depths that would overflow
    const nesting = celNestingError(text);
    if (nesting) throw new CelSyntaxError(nesting.message, nesting.offset, nesting.offset + 1);
    root = parseCel(text);
  } catch (err) {
    const e = err instanceof CelSyntaxError ? err : new CelSyntaxError(err instanceof Error ? err.message : String(err), 0, 0);
    const start = Math.min(e.start, text.length);
    return {
      ok: false,
      error: { origin: input.origin, expression: text, span: spanOf(input, start, Math.max(start, Math.min(e.end, text.length))), message: e.message },
    };
  }
  const cost = estimateCost(root, {
    sizeHints: options.sizeHints,
    assumedSize: options.assumedSize,
    ...(input.knownSizes ? { knownSizes: input.knownSizes } : {}),
  });
  const metrics = computeMetrics(root, cost.paths);
  const locate = (offset: number): string => {
    const p = input.position(offset);
    return `${p.line}:${p.column}`;
  };
  const raw = recommend(root, text, cost, { locate, ...recommendOptions });
  const recommendations = raw.map((r) => located(input, r));

  const total = cost.total;
  const maxCostUnits = total.max === Infinity ? null : total.max;
  const budget =
    maxCostUnits === null
      ? { status: 'unbounded' as const, factor: null }
      : maxCostUnits > options.budgetUnits
        ? { status: 'exceeds' as const, factor: maxCostUnits / options.budgetUnits }
        : { status: 'within' as const, factor: null };

  const span = spanOf(input, root.start, root.end);
  if (budget.status !== 'within') recommendations.unshift(budgetAdvice(input, root, cost, options, maxCostUnits));
  sortRecommendations(recommendations);

  return {
    ok: true,
    root,
    cost,
    analysis: {
      id: expressionId(input, span),
      origin: input.origin,
      expression: text,
      span,
      metrics,
      cost: { minCostUnits: total.min, maxCostUnits, unboundedBy: cost.unboundedBy, rankCostUnits: total.rank },
      budget,
      recommendations,
    },
  };
}

const SEVERITY_RANK = { error: 0, warning: 1, info: 2 } as const;

/** Errors first, then warnings, then info; by position within a severity. */
export function sortRecommendations(recs: Recommendation[]): Recommendation[] {
  return recs.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.span.line - b.span.line || a.span.column - b.span.column);
}

/**
 * The cheaper-operand-first advice recomputed with measured operand costs (`--measure`): `operandNs`
 * times one operand's text on its own. Replaces the static advice of the same rule.
 */
export function measuredOperandAdvice(
  input: ExpressionInput,
  root: CelNode,
  cost: CostResult,
  operandNs: (text: string) => number | undefined,
): Recommendation[] {
  const text = input.text;
  const raw = recommend(root, text, cost, { operandCost: (node) => operandNs(text.slice(node.start, node.end)) });
  return raw.filter((r) => r.rule === 'cheaper-operand-first').map((r) => located(input, r));
}

/** A recommendation with its span in the source file and the text it is about. */
function located(input: ExpressionInput, r: RawRecommendation): Recommendation {
  return {
    rule: r.rule,
    severity: r.severity,
    message: r.message,
    suggestion: r.suggestion,
    span: spanOf(input, r.start, r.end),
    text: input.text.slice(r.start, r.end),
  };
}

function budgetAdvice(input: ExpressionInput, root: CelNode, cost: CostResult, options: AnalyzeOptions, max: number | null): Recommendation {
  // point at the costliest comprehension (the usual culprit), else the whole expression
  const worst = costliestComprehension(root, cost, null);
  const target: CelNode = worst ?? root;
  const hints = cost.unboundedBy.filter((p) => !p.startsWith('size('));
  const hintText = hints.length ? hints.map((p) => `--size-hint ${p}=N`).join(' ') : '--size-hint PATH=N';
  const message =
    max === null
      ? `max cost is unbounded: it depends on the size of ${cost.unboundedBy.join(', ') || 'an unbounded value'}, so it exceeds any budget (budget ${options.budgetUnits})`
      : `max cost ${max} exceeds budget ${options.budgetUnits} by factor ${(max / options.budgetUnits).toFixed(1)}`;
  const suggestion =
    max === null
      ? `bound the sizes: ${hintText} (or cap the list/string in the data model)${worst ? `, or restructure the comprehension at this span` : ''}`
      : `reduce the sizes with --size-hint / list caps, or restructure${worst ? ' this comprehension (it dominates the cost)' : ''}`;
  return {
    rule: 'exceeds-budget',
    severity: 'error',
    message,
    suggestion,
    span: spanOf(input, target.start, target.end),
    text: input.text.slice(target.start, target.end),
  };
}

/** The first comprehension (pre-order) with the highest rank cost, or `worst` when none beats it. */
function costliestComprehension(n: CelNode, cost: CostResult, worst: CelNode | null): CelNode | null {
  if (n.kind === 'comprehension' && (!worst || (cost.costs.get(n)?.rank ?? 0) > (cost.costs.get(worst)?.rank ?? 0))) worst = n;
  const kids = n.children;
  for (let i = 0; i < kids.length; i++) worst = costliestComprehension(kids[i]!, cost, worst);
  return worst;
}

/** Analyses many expressions; syntax errors are collected, analysis continues. */
export function analyzeExpressions(
  inputs: Iterable<ExpressionInput>,
  options: AnalyzeOptions = DEFAULT_ANALYZE_OPTIONS,
): { expressions: ExpressionAnalysis[]; errors: ExpressionError[] } {
  const expressions: ExpressionAnalysis[] = [];
  const errors: ExpressionError[] = [];
  for (const input of inputs) {
    const r = analyzeExpression(input, options);
    if (r.ok) expressions.push(r.analysis);
    else errors.push(r.error);
  }
  return { expressions, errors };
}

/**
 * Worst first: unbounded, then by max cost, then by rank cost — of the expression's own text, the
 * thing a reviewer rewrites. A condition that only reads `V.x` ranks by its own cost; its cost
 * including the variables (`costWithVariables`) breaks ties, so the variable holding the nested
 * comprehension, not every condition that mentions it, comes first.
 */
export function compareWorstFirst(a: ExpressionAnalysis, b: ExpressionAnalysis): number {
  const am = a.cost.maxCostUnits ?? Infinity;
  const bm = b.cost.maxCostUnits ?? Infinity;
  if (am !== bm) return bm - am;
  const byRank = b.cost.rankCostUnits - a.cost.rankCostUnits;
  if (byRank !== 0) return byRank;
  const av = a.costWithVariables?.rankCostUnits ?? a.cost.rankCostUnits;
  const bv = b.costWithVariables?.rankCostUnits ?? b.cost.rankCostUnits;
  // ids by code unit (not localeCompare: this runs for every expression of a large input)
  return bv - av || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
