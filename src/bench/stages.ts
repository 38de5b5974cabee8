/**
 * Stage breakdown: per-check stage timings (ns) summarised beside a fixed request budget: p99
 * allowances per stage out of a 50 ms end-to-end p99 (reports label it "stage budget").
 */
import type { StageBreakdown, StageName, StageRow } from './types.js';

export const LATENCY_BUDGET_MS = 50;

export const STAGE_BUDGET: ReadonlyArray<{ stage: StageName; label: string; budgetMs: number }> = [
  { stage: 'parse', label: 'request parsing / canonicalisation', budgetMs: 2 },
  { stage: 'cacheLookup', label: 'L1 cache lookup', budgetMs: 1 },
  { stage: 'policyLookup', label: 'policy / rule retrieval', budgetMs: 5 },
  { stage: 'celEval', label: 'CEL evaluation', budgetMs: 15 },
  { stage: 'serialise', label: 'response building / serialisation', budgetMs: 2 },
];

/** Collects stage samples without allocating per check. */
export class StageRecorder {
  private readonly data: Record<StageName, Float64Array>;
  private n = 0;

  constructor(readonly capacity: number) {
    this.data = {
      parse: new Float64Array(capacity),
      cacheLookup: new Float64Array(capacity),
      policyLookup: new Float64Array(capacity),
      celEval: new Float64Array(capacity),
      serialise: new Float64Array(capacity),
    };
  }

  get count(): number {
    return this.n;
  }

  record(stagesNs: Readonly<Record<StageName, number>>): void {
    if (this.n >= this.capacity) return;
    for (const { stage } of STAGE_BUDGET) this.data[stage][this.n] = stagesNs[stage];
    this.n++;
  }

  summarise(): StageBreakdown {
    return summariseStages(this.data, this.n);
  }
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  // linear interpolation between closest ranks (the same definition tinybench uses)
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function mean(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return a.length ? s / a.length : 0;
}

export function summariseStages(data: Record<StageName, Float64Array>, n: number): StageBreakdown {
  const budgetSum = STAGE_BUDGET.reduce((s, b) => s + b.budgetMs, 0);
  const totals = new Float64Array(n);
  const means = new Map<StageName, number>();
  const p99s = new Map<StageName, number>();
  for (const { stage } of STAGE_BUDGET) {
    const values = data[stage].slice(0, n);
    for (let i = 0; i < n; i++) totals[i]! += values[i]!;
    means.set(stage, mean(values));
    p99s.set(stage, percentile(values.sort(), 0.99));
  }
  const totalMeanNs = [...means.values()].reduce((s, v) => s + v, 0);
  const stages: StageRow[] = STAGE_BUDGET.map(({ stage, label, budgetMs }) => {
    const meanNs = means.get(stage)!;
    const p99Ns = p99s.get(stage)!;
    return {
      stage,
      label,
      budgetMs,
      budgetShare: budgetMs / budgetSum,
      meanNs,
      p99Ns,
      measuredShare: totalMeanNs > 0 ? meanNs / totalMeanNs : 0,
      budgetUsed: p99Ns / (budgetMs * 1e6),
    };
  });
  return {
    sampledChecks: n,
    totalBudgetMs: LATENCY_BUDGET_MS,
    stages,
    totalMeanNs,
    totalP99Ns: percentile(totals.sort(), 0.99),
  };
}
