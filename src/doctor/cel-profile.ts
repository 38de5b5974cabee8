/**
 * Time of each CEL expression over a scenario's requests, measured in-process: every request goes
 * through the engine's traceCheck (uncached), and each evaluation it recorded is re-run on the
 * same activation and timed alone (bench's method). `serve` exposes only CEL totals, so this is
 * how doctor names the expression that costs most; the figures are joined with analyze-cel's
 * static cost of the same text.
 */
import path from 'node:path';
import { analyzeExpression } from '../cel/analyze.js';
import { createEngine, exprPosition, type CheckRequest, type CompiledExpr, type PolicySet } from '../engine/index.js';
import type { CelExpressionStat } from './types.js';

export interface CelProfileOptions {
  policySet: PolicySet;
  requests: readonly CheckRequest[];
  /** stop tracing new requests after this many ms (the run's clock) */
  budgetMs: number;
  /** timed re-runs of each recorded evaluation */
  repeats?: number;
  /** monotonic clock, ms */
  now: () => number;
  /** file paths in locations are relative to this */
  cwd: string;
}

export interface CelProfile {
  stats: CelExpressionStat[];
  requestsTraced: number;
  evaluations: number;
}

interface Tally {
  expr: CompiledExpr;
  evaluations: number;
  errors: number;
  errorSample: string | null;
  ns: number;
}

export function profileCel(o: CelProfileOptions): CelProfile {
  const engine = createEngine(o.policySet, { cache: false });
  const repeats = o.repeats ?? 3;
  const tallies = new Map<string, Tally>();
  // pass 1 warms the JIT on the same requests (untimed); pass 2 times each evaluation alone
  const traces: Array<ReturnType<typeof engine.traceCheck>['evaluations']> = [];
  const start = o.now();
  for (const req of o.requests) {
    if (traces.length > 0 && o.now() - start > o.budgetMs / 3) break;
    const evals = engine.traceCheck(req).evaluations;
    for (const e of evals) runQuietly(e.expr.program, e.activation);
    traces.push(evals);
  }
  const samples = new Map<string, number[]>();
  let evaluations = 0;
  for (const evals of traces) {
    for (const e of evals) {
      const program = e.expr.program;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < repeats; i++) runQuietly(program, e.activation);
      const ns = Number(process.hrtime.bigint() - t0) / repeats;
      let t = tallies.get(e.expr.id);
      if (t === undefined) tallies.set(e.expr.id, (t = { expr: e.expr, evaluations: 0, errors: 0, errorSample: null, ns: 0 }));
      t.evaluations++;
      if (e.error !== undefined) {
        t.errors++;
        t.errorSample ??= e.error;
      }
      let list = samples.get(e.expr.id);
      if (list === undefined) samples.set(e.expr.id, (list = []));
      list.push(ns);
      evaluations++;
    }
  }
  // a GC pause or a timer interrupt lands on one evaluation: drop the slowest 2 % of each expression's samples
  for (const [id, list] of samples) tallies.get(id)!.ns = trimmedMean(list) * list.length;
  const traced = traces.length;
  const totalNs = [...tallies.values()].reduce((s, t) => s + t.ns, 0);
  const stats = [...tallies.values()]
    .sort((a, b) => b.ns - a.ns)
    .map((t) => statFor(t, totalNs, o.cwd));
  return { stats, requestsTraced: traced, evaluations };
}

function runQuietly(program: (activation: never) => unknown, activation: unknown): void {
  try {
    (program as (a: unknown) => unknown)(activation);
  } catch {
    // an evaluation error costs its time like a result (the engine counts the condition false)
  }
}

export function trimmedMean(values: number[], drop = 0.02): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const keep = sorted.slice(0, Math.max(1, sorted.length - Math.floor(sorted.length * drop)));
  return keep.reduce((s, x) => s + x, 0) / keep.length;
}

function statFor(t: Tally, totalNs: number, cwd: string): CelExpressionStat {
  const e = t.expr;
  const file = path.relative(cwd, e.location.file) || e.location.file;
  const analysed = analyzeExpression({
    text: e.text,
    origin: { kind: 'policy', file, policy: e.policyName, rule: e.ownerName, role: e.kind },
    position: (offset) => exprPosition(e, offset),
  });
  const cost = analysed.ok ? analysed.analysis.cost : null;
  // size hints help the static estimate only; at run time a rewrite is what helps
  const suggestion = analysed.ok ? (analysed.analysis.recommendations.find((r) => r.rule !== 'exceeds-budget')?.suggestion ?? null) : null;
  return {
    id: e.id,
    location: `${file}:${e.location.line}:${e.location.column}`,
    policy: e.policyName,
    owner: e.ownerName,
    kind: e.kind,
    expression: e.text.length > 300 ? `${e.text.slice(0, 299)}…` : e.text,
    evaluations: t.evaluations,
    errors: t.errors,
    errorSample: t.errorSample,
    nsPerEval: Math.round(t.ns / t.evaluations),
    share: totalNs > 0 ? Math.round((t.ns / totalNs) * 10_000) / 10_000 : 0,
    staticCostMax: cost?.maxCostUnits ?? null,
    staticUnbounded: cost !== null && cost.maxCostUnits === null,
    growsWith: cost?.unboundedBy ?? [],
    suggestion,
  };
}
