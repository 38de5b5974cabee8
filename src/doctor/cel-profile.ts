/**
 * Time of each CEL expression over a scenario's requests, measured in-process: every request goes
 * through the engine's traceCheck (uncached), and each evaluation it recorded is re-run on the
 * same activation and timed alone (bench's method), the fastest of three runs counting. `serve`
 * exposes only CEL totals, so this is how doctor names the expression that costs most; the
 * figures are joined with analyze-cel's static cost of the same text.
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
  const overhead = timerOverheadNs();
  let evaluations = 0;
  for (const evals of traces) {
    for (const e of evals) {
      const program = e.expr.program;
      // the fastest of the repeats: a GC pause or an interrupt lands on one run, not on all of them,
      // while the activation (and so the list sizes the cost depends on) stays the real one
      let ns = Infinity;
      for (let i = 0; i < repeats; i++) {
        const t0 = process.hrtime.bigint();
        runQuietly(program, e.activation);
        ns = Math.min(ns, Number(process.hrtime.bigint() - t0));
      }
      ns = Math.max(0, ns - overhead);
      let t = tallies.get(e.expr.id);
      if (t === undefined) tallies.set(e.expr.id, (t = { expr: e.expr, evaluations: 0, errors: 0, errorSample: null, ns: 0 }));
      t.evaluations++;
      if (e.error !== undefined) {
        t.errors++;
        t.errorSample ??= e.error;
      }
      t.ns += ns;
      evaluations++;
    }
  }
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

/** The cost of the two clock reads around a timed run (their fastest pair out of 1,000). */
function timerOverheadNs(): number {
  let min = Infinity;
  for (let i = 0; i < 1000; i++) {
    const t0 = process.hrtime.bigint();
    min = Math.min(min, Number(process.hrtime.bigint() - t0));
  }
  return min;
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
