/**
 * EXPLAIN (FORMAT JSON) output → a typed tree with inclusive and exclusive time per node
 * (loops multiplied, children subtracted; parallel parts counted as wall clock).
 */
import { InputError } from '../util/errors.js';
import type { PlanNodeSummary } from './types.js';
import { num } from '../util/json-values.js';

/** The raw node as PostgreSQL prints it (only the keys the rules read). */
export type RawPlanNode = Record<string, unknown> & { 'Node Type': string; Plans?: RawPlanNode[] };

export interface PlanNode {
  id: number;
  depth: number;
  raw: RawPlanNode;
  nodeType: string;
  relation: string | null;
  alias: string | null;
  label: string;
  estRows: number;
  actualRows: number | null;
  loops: number | null;
  totalCost: number;
  inclusiveMs: number | null;
  exclusiveMs: number | null;
  children: PlanNode[];
  parent: PlanNode | null;
}

export interface ParsedPlan {
  root: PlanNode;
  /** depth-first */
  nodes: PlanNode[];
  analyzed: boolean;
  planningTimeMs: number | null;
  executionTimeMs: number | null;
  totalCost: number;
  /** `Query Text` when the plan came from auto_explain */
  queryText: string | null;
}

export function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function label(raw: RawPlanNode): string {
  const t = raw['Node Type'];
  const rel = str(raw['Relation Name']);
  const idx = str(raw['Index Name']);
  const parts = [raw['Parallel Aware'] === true && !t.startsWith('Parallel') ? `Parallel ${t}` : t];
  const strategy = str(raw['Strategy']);
  if (t === 'Aggregate' && strategy && strategy !== 'Plain') parts[0] = `${strategy === 'Sorted' ? 'Group' : strategy === 'Hashed' ? 'Hash' : strategy}Aggregate`;
  if (idx) parts.push(`using ${idx}`);
  if (rel) parts.push(`on ${rel}`);
  const cte = str(raw['CTE Name']);
  if (cte) parts.push(`on ${cte}`);
  return parts.join(' ');
}

/** Accepts the JSON as printed (`[{ Plan, … }]`), the inner object, or a bare Plan node. */
export function parsePlanJson(json: unknown, file?: string): ParsedPlan {
  let top: Record<string, unknown> | undefined;
  if (Array.isArray(json)) top = json[0] as Record<string, unknown> | undefined;
  else if (json && typeof json === 'object') top = json as Record<string, unknown>;
  if (top && typeof top === 'object' && 'QUERY PLAN' in top) return parsePlanJson(top['QUERY PLAN'], file);
  if (!top || typeof top !== 'object') throw new InputError('not an EXPLAIN (FORMAT JSON) output: expected [{ "Plan": … }]', { file });
  const rootRaw = ('Plan' in top ? top['Plan'] : 'Node Type' in top ? top : undefined) as RawPlanNode | undefined;
  if (!rootRaw || typeof rootRaw !== 'object' || typeof rootRaw['Node Type'] !== 'string') {
    throw new InputError('not an EXPLAIN (FORMAT JSON) output: no "Plan" with a "Node Type"', { file });
  }
  const nodes: PlanNode[] = [];
  const build = (raw: RawPlanNode, depth: number, parent: PlanNode | null): PlanNode => {
    if (typeof raw !== 'object' || raw === null || typeof raw['Node Type'] !== 'string') {
      throw new InputError(`not an EXPLAIN (FORMAT JSON) output: a plan node at depth ${depth} has no "Node Type"`, { file });
    }
    const node: PlanNode = {
      id: nodes.length,
      depth,
      raw,
      nodeType: raw['Node Type'],
      relation: str(raw['Relation Name']),
      alias: str(raw['Alias']),
      label: label(raw),
      estRows: num(raw['Plan Rows']) ?? 0,
      actualRows: num(raw['Actual Loops']) === 0 ? null : num(raw['Actual Rows']),
      loops: num(raw['Actual Loops']),
      totalCost: num(raw['Total Cost']) ?? 0,
      inclusiveMs: null,
      exclusiveMs: null,
      children: [],
      parent,
    };
    nodes.push(node);
    for (const child of Array.isArray(raw.Plans) ? raw.Plans : []) node.children.push(build(child, depth + 1, node));
    return node;
  };
  const root = build(rootRaw, 0, null);
  const analyzed = nodes.some((n) => num(n.raw['Actual Total Time']) !== null);
  if (analyzed) computeTimes(root, 1);
  return {
    root,
    nodes,
    analyzed,
    planningTimeMs: num(top['Planning Time']),
    executionTimeMs: num(top['Execution Time']) ?? root.inclusiveMs,
    totalCost: root.totalCost,
    queryText: str(top['Query Text']),
  };
}

/**
 * `processes`: how many processes share the loops of this subtree (workers + leader under a
 * Gather), so per-loop averages become wall-clock time instead of summed worker time.
 */
function computeTimes(node: PlanNode, processes: number): void {
  const launched = num(node.raw['Workers Launched']);
  const childProcesses = (node.nodeType === 'Gather' || node.nodeType === 'Gather Merge') && launched !== null ? launched + 1 : processes;
  for (const c of node.children) computeTimes(c, childProcesses);
  const perLoop = num(node.raw['Actual Total Time']);
  const loops = node.loops ?? 1;
  node.inclusiveMs = perLoop === null ? null : (perLoop * loops) / Math.min(processes, Math.max(loops, 1));
  if (node.inclusiveMs === null) return;
  // InitPlans run once on behalf of the parent and are reported as children: subtract them too.
  let childMs = 0;
  for (const c of node.children) childMs += c.inclusiveMs ?? 0;
  node.exclusiveMs = Math.max(0, node.inclusiveMs - childMs);
}

/** Rows the node actually produced over all loops. */
export function totalActualRows(node: PlanNode): number | null {
  return node.actualRows === null ? null : node.actualRows * Math.max(node.loops ?? 1, 1);
}

export function timeShare(plan: ParsedPlan, node: PlanNode): number | null {
  const total = plan.executionTimeMs;
  if (node.exclusiveMs === null || !total || total <= 0) return null;
  return Math.min(1, node.exclusiveMs / total);
}

export function summarizePlan(plan: ParsedPlan): PlanNodeSummary[] {
  return plan.nodes.map((n) => ({
    id: n.id,
    depth: n.depth,
    nodeType: n.nodeType,
    label: n.label,
    relation: n.relation,
    estRows: n.estRows,
    actualRows: n.actualRows,
    loops: n.loops,
    totalCostUnits: n.totalCost,
    inclusiveTimeMs: n.inclusiveMs,
    exclusiveTimeMs: n.exclusiveMs,
    timeShare: timeShare(plan, n),
  }));
}
