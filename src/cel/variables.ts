/**
 * Policy variables: a condition that reads `V.x` (or `variables.x`) makes the engine evaluate x
 * (and what x reads) first, so its real cost includes theirs. This adds `costWithVariables` to
 * conditions and variables that read variables: own cost + every variable read, transitively,
 * once each, resolved in the policy's own variables, then its imported exportVariables.
 */
import type { ExpressionInput } from './analyze.js';
import type { ExpressionAnalysis } from './types.js';

interface Analysed {
  analysis: ExpressionAnalysis;
  source: ExpressionInput;
}

function variablesRead(a: ExpressionAnalysis): string[] {
  const names: string[] = [];
  for (const p of a.metrics.paths) {
    if (!p.startsWith('V.')) continue;
    const name = p.slice(2).split('.')[0]!;
    if (name && !names.includes(name)) names.push(name);
  }
  return names;
}

export function applyVariableCosts(items: readonly Analysed[]): void {
  const defined = new Map<string, Analysed>();
  for (const item of items) {
    const d = item.source.defines;
    if (d) defined.set(`${d.scope}\u0000${d.name}`, item);
  }
  if (defined.size === 0) return;
  const resolve = (scopes: readonly string[], name: string): Analysed | undefined => {
    for (const scope of scopes) {
      const hit = defined.get(`${scope}\u0000${name}`);
      if (hit) return hit;
    }
    return undefined;
  };
  for (const item of items) {
    const scopes = item.source.variableScopes;
    if (!scopes) continue;
    const seen = new Set<Analysed>([item]);
    const order: Analysed[] = [];
    const visit = (a: Analysed): void => {
      for (const name of variablesRead(a.analysis)) {
        const v = resolve(a.source.variableScopes ?? scopes, name);
        if (!v || seen.has(v)) continue;
        seen.add(v);
        order.push(v);
        visit(v);
      }
    };
    visit(item);
    if (order.length === 0) continue;
    const own = item.analysis.cost;
    let min = own.minCostUnits;
    let max: number | null = own.maxCostUnits;
    let rank = own.rankCostUnits;
    const unboundedBy = [...own.unboundedBy];
    for (const v of order) {
      const c = v.analysis.cost;
      min += c.minCostUnits;
      max = max === null || c.maxCostUnits === null ? null : max + c.maxCostUnits;
      rank += c.rankCostUnits;
      for (const u of c.unboundedBy) if (!unboundedBy.includes(u)) unboundedBy.push(u);
    }
    item.analysis.costWithVariables = {
      minCostUnits: min,
      maxCostUnits: max,
      unboundedBy,
      rankCostUnits: rank,
      variables: order.map((v) => v.source.defines!.name),
    };
  }
}
