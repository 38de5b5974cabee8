/**
 * Index candidates from a plan: the filter, join and sort columns of scans the rules flagged
 * (single and two-column, equality columns before range/sort columns). Pure.
 */
import { str, type ParsedPlan, type PlanNode } from './plan.js';
import { columnPredicates, joinColumns, sortColumns } from './predicates.js';
import type { Finding } from './types.js';

export interface IndexCandidate {
  table: string;
  columns: string[];
  using: 'btree' | 'gin';
  /** `gin_trgm_ops` for trigram candidates */
  opclass: string | null;
}

export interface ExistingIndex {
  name: string;
  table: string;
  /** plain key columns in order (expression keys end the list) */
  columns: string[];
  using: string;
}

export function candidateKey(c: IndexCandidate): string {
  return `${c.table}|${c.using}|${c.columns.join(',')}`;
}

const FLAGGING_RULES = new Set(['seq-scan', 'rows-removed-by-filter', 'non-sargable', 'sort-spill', 'offset-pagination', 'hotspot']);

/** The Sort node that orders this scan's rows, if the path between them only passes rows through. */
function sortAbove(scan: PlanNode): PlanNode | null {
  for (let p = scan.parent; p; p = p.parent) {
    if (p.nodeType === 'Sort' || p.nodeType === 'Incremental Sort') return p;
    if (!['Gather', 'Gather Merge', 'Materialize', 'Result'].includes(p.nodeType)) return null;
  }
  return null;
}

const JOIN_CONDITIONS: Record<string, string> = { 'Hash Join': 'Hash Cond', 'Merge Join': 'Merge Cond', 'Nested Loop': 'Join Filter' };

/**
 * The join this scan feeds as the side an index could serve (hashed side of a Hash Join, inner
 * side of a Nested Loop, either side of a Merge Join), and the scan's columns in its condition.
 */
function joinSide(scan: PlanNode): string[] {
  let child = scan;
  for (let p = scan.parent; p; child = p, p = p.parent) {
    const condKey = JOIN_CONDITIONS[p.nodeType];
    if (condKey) {
      const inner = p.nodeType === 'Merge Join' || p.children.indexOf(child) === 1;
      const cond = str(p.raw[condKey]);
      return inner && cond ? joinColumns(cond, scan.alias ?? scan.relation ?? '') : [];
    }
    if (!['Hash', 'Materialize', 'Sort', 'Gather', 'Result', 'Memoize'].includes(p.nodeType)) return [];
  }
  return [];
}

function isScan(n: PlanNode): boolean {
  return n.relation !== null && /Scan/.test(n.nodeType);
}

export function candidatesForPlan(plan: ParsedPlan, findings: Finding[], trigram = true): IndexCandidate[] {
  const flagged = new Set(findings.filter((f) => FLAGGING_RULES.has(f.rule) && f.nodeId !== null).map((f) => f.nodeId!));
  const out = new Map<string, IndexCandidate>();
  const add = (c: IndexCandidate) => {
    if (c.columns.length === 0 || new Set(c.columns).size !== c.columns.length) return;
    out.set(candidateKey(c), c);
  };
  for (const n of plan.nodes) {
    if (!isScan(n)) continue;
    const sort = sortAbove(n);
    const join = n.nodeType.includes('Seq Scan') ? joinSide(n) : [];
    const relevant = flagged.has(n.id) || (sort !== null && flagged.has(sort.id)) ||
      (sort !== null && n.nodeType.includes('Seq Scan')) ||
      (n.nodeType.includes('Seq Scan') && (str(n.raw['Filter']) !== null || join.length > 0) && n.totalCost >= 100);
    if (!relevant) continue;
    const table = n.relation!;
    const preds = columnPredicates(str(n.raw['Filter']) ?? '');
    // join columns are looked up by equality, one value per outer row
    const eq = unique([...preds.filter((p) => p.op === 'eq').map((p) => p.column), ...join]);
    const range = unique(preds.filter((p) => p.op === 'range').map((p) => p.column));
    const sortCols = sort ? sortColumns(sort.raw['Sort Key']).map((s) => s.column) : [];
    for (const c of eq) add({ table, columns: [c], using: 'btree', opclass: null });
    for (const c of range) add({ table, columns: [c], using: 'btree', opclass: null });
    if (sortCols[0]) add({ table, columns: [sortCols[0]], using: 'btree', opclass: null });
    if (sortCols.length >= 2) add({ table, columns: sortCols.slice(0, 2), using: 'btree', opclass: null });
    for (let i = 0; i < eq.length; i++) {
      // equality columns commute in a B-tree lookup: one order per pair is enough
      for (let j = i + 1; j < eq.length; j++) add({ table, columns: [eq[i]!, eq[j]!], using: 'btree', opclass: null });
      for (const r of range) add({ table, columns: [eq[i]!, r], using: 'btree', opclass: null });
      if (sortCols[0]) add({ table, columns: [eq[i]!, sortCols[0]], using: 'btree', opclass: null });
    }
    if (trigram) {
      for (const p of preds) if (p.op === 'like-infix') add({ table, columns: [p.column], using: 'gin', opclass: 'gin_trgm_ops' });
    }
  }
  return [...out.values()];
}

/** `table.column` pairs searched with LIKE/ILIKE anywhere in the plan (filters and index conditions). */
export function patternColumns(plan: ParsedPlan): Set<string> {
  const out = new Set<string>();
  for (const n of plan.nodes) {
    if (!n.relation) continue;
    for (const key of ['Filter', 'Index Cond', 'Recheck Cond']) {
      for (const p of columnPredicates(str(n.raw[key]) ?? '')) if (p.op === 'like-infix' || p.op === 'like-prefix') out.add(`${n.relation}.${p.column}`);
    }
  }
  return out;
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** An existing index whose leading columns are the candidate's columns already serves it. */
export function coveringIndex(c: IndexCandidate, existing: ExistingIndex[]): ExistingIndex | null {
  for (const e of existing) {
    if (e.table !== c.table) continue;
    if (c.using === 'gin' ? e.using !== 'gin' : e.using !== 'btree') continue;
    if (c.columns.length <= e.columns.length && c.columns.every((col, i) => e.columns[i] === col)) return e;
  }
  return null;
}

export function indexName(c: IndexCandidate): string {
  const base = `${c.table}_${c.columns.join('_')}${c.using === 'gin' ? '_trgm' : ''}_idx`;
  return base.length > 63 ? base.slice(0, 63) : base;
}

/** The key list, e.g. `(actor, decided_at)` or `USING gin (actor gin_trgm_ops)`. */
export function indexKeys(c: IndexCandidate): string {
  const cols = c.columns.map((col) => (c.opclass ? `${col} ${c.opclass}` : col)).join(', ');
  return c.using === 'btree' ? `(${cols})` : `USING ${c.using} (${cols})`;
}

export function createIndexDdl(c: IndexCandidate, concurrently: boolean, name = indexName(c)): string {
  return `CREATE INDEX${concurrently ? ' CONCURRENTLY' : ''} ${name} ON ${c.table} ${indexKeys(c)}`;
}
