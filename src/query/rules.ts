/**
 * Plan rules with the thresholds PEV2, pgMustard and Dexter use. Pure: a parsed plan (and the
 * SQL text when known) in, findings out — each naming its node, that node's share of total
 * time and the figures that triggered it.
 */
import { str, timeShare, totalActualRows, type ParsedPlan, type PlanNode } from './plan.js';
import { num } from '../util/json-values.js';
import { columnPredicates, wrappedColumns } from './predicates.js';
import type { Finding, RuleId, Severity } from './types.js';

export const THRESHOLDS = {
  /** a scan reading at least this many rows is on a "large" table */
  largeScanRows: 10_000,
  /** a seq scan keeping at most this share of the rows it read is selective */
  selectiveShare: 0.1,
  removedWarn: 0.5,
  removedSevere: 0.9,
  /** ignore filters that removed fewer rows than this (noise) */
  removedMinRows: 1_000,
  misestimateWarn: 10,
  misestimateBad: 100,
  misestimateSevere: 1_000,
  /** hotspot: exclusive share of total execution time */
  hotspotShare: 0.3,
  /** below this total execution time a hotspot is noise */
  hotspotMinMs: 1,
  offsetWarn: 1_000,
  /** a node taking at least this share of time makes its finding critical */
  criticalShare: 0.3,
} as const;

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

interface Ctx {
  plan: ParsedPlan;
  sql: string | null;
}

function finding(ctx: Ctx, rule: RuleId, severity: Severity, node: PlanNode | null, message: string, evidence: string, advice: string): Finding {
  return {
    rule,
    severity,
    nodeId: node?.id ?? null,
    nodeLabel: node?.label ?? null,
    timeShare: node ? timeShare(ctx.plan, node) : null,
    message,
    evidence,
    advice,
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (x: number) => (x > 0 && x < 0.001 ? '<0.1%' : x < 1 && x > 0.995 ? '>99.5%' : `${(x * 100).toFixed(x < 0.1 || x > 0.99 ? 1 : 0)}%`);

function isSeqScan(n: PlanNode): boolean {
  return n.nodeType === 'Seq Scan' || n.nodeType === 'Parallel Seq Scan';
}

/** Rows read by a scan = kept + removed by filter (over all loops). */
function filterFigures(n: PlanNode): { kept: number; removed: number; read: number } | null {
  const removedPerLoop = num(n.raw['Rows Removed by Filter']);
  const kept = totalActualRows(n);
  if (removedPerLoop === null || kept === null) return null;
  const removed = removedPerLoop * Math.max(n.loops ?? 1, 1);
  return { kept, removed, read: kept + removed };
}

function seqScan(ctx: Ctx, n: PlanNode): Finding | null {
  if (!isSeqScan(n) || !str(n.raw['Filter'])) return null;
  const f = filterFigures(n);
  const share = timeShare(ctx.plan, n);
  if (f) {
    if (f.read < THRESHOLDS.largeScanRows || f.kept / Math.max(f.read, 1) > THRESHOLDS.selectiveShare) return null;
    const severity: Severity = (share ?? 0) >= THRESHOLDS.criticalShare || f.read >= 100_000 ? 'critical' : 'warning';
    return finding(ctx, 'seq-scan', severity, n,
      `Sequential scan of ${n.relation} reads ${fmt(f.read)} rows to return ${fmt(f.kept)} (${pct(f.kept / Math.max(f.read, 1))})`,
      `Filter: ${str(n.raw['Filter'])}; Rows Removed by Filter: ${fmt(f.removed)}`,
      'An index on the filtered columns lets PostgreSQL read only the matching rows (see index advice).');
  }
  // Without ANALYZE: judge by the estimate against the table size the planner assumed.
  if (n.estRows * 10 < n.totalCost && n.totalCost >= 1_000) {
    return finding(ctx, 'seq-scan', 'warning', n,
      `Sequential scan of ${n.relation} with a selective filter (estimated ${fmt(n.estRows)} rows, cost ${fmt(n.totalCost)})`,
      `Filter: ${str(n.raw['Filter'])}`,
      'An index on the filtered columns lets PostgreSQL read only the matching rows (see index advice).');
  }
  return null;
}

function rowsRemoved(ctx: Ctx, n: PlanNode, flaggedSeqScans: Set<number>): Finding[] {
  const out: Finding[] = [];
  const f = filterFigures(n);
  if (f && !flaggedSeqScans.has(n.id) && f.removed >= THRESHOLDS.removedMinRows) {
    const share = f.removed / Math.max(f.read, 1);
    if (share > THRESHOLDS.removedWarn) {
      // on a small table the filter is cheap whatever it discards
      const severity: Severity = f.read < THRESHOLDS.largeScanRows ? 'info' : share > THRESHOLDS.removedSevere ? 'critical' : 'warning';
      out.push(finding(ctx, 'rows-removed-by-filter', severity, n,
        `${n.label} discards ${pct(share)} of the ${fmt(f.read)} rows it reads`,
        `Filter: ${str(n.raw['Filter'])}; kept ${fmt(f.kept)}, removed ${fmt(f.removed)}`,
        n.nodeType.includes('Index')
          ? 'The index finds too many rows: add the filtered columns to the index (after the equality columns).'
          : 'Move the filtered columns into an index condition (see index advice).'));
    }
  }
  const joinRemoved = num(n.raw['Rows Removed by Join Filter']);
  const kept = totalActualRows(n);
  if (joinRemoved !== null && kept !== null) {
    const removed = joinRemoved * Math.max(n.loops ?? 1, 1);
    const share = removed / Math.max(removed + kept, 1);
    if (removed >= THRESHOLDS.removedMinRows && share > THRESHOLDS.removedWarn) {
      out.push(finding(ctx, 'rows-removed-by-filter', share > THRESHOLDS.removedSevere ? 'critical' : 'warning', n,
        `${n.label} discards ${pct(share)} of the joined rows`,
        `Join Filter: ${str(n.raw['Join Filter'])}; kept ${fmt(kept)}, removed ${fmt(removed)}`,
        'Turn the join filter into a join condition an index can serve, or filter earlier.'));
    }
  }
  const recheck = num(n.raw['Rows Removed by Index Recheck']);
  if (recheck !== null && kept !== null && recheck * Math.max(n.loops ?? 1, 1) >= THRESHOLDS.removedMinRows) {
    const removed = recheck * Math.max(n.loops ?? 1, 1);
    const share = removed / Math.max(removed + kept, 1);
    if (share > THRESHOLDS.removedWarn) {
      out.push(finding(ctx, 'rows-removed-by-filter', share > THRESHOLDS.removedSevere ? 'critical' : 'warning', n,
        `${n.label} rechecks and discards ${pct(share)} of the rows the index returned`,
        `Recheck Cond: ${str(n.raw['Recheck Cond'])}; kept ${fmt(kept)}, removed by recheck ${fmt(removed)}`,
        'A lossy bitmap or a lossy index (e.g. trigram on short patterns) returns too many candidates: raise work_mem or use a more selective index.'));
    }
  }
  return out;
}

function misestimate(ctx: Ctx, n: PlanNode): Finding | null {
  if (n.actualRows === null) return null;
  const est = Math.max(n.estRows, 1);
  const act = Math.max(n.actualRows, 1);
  const factor = Math.max(est / act, act / est);
  if (factor < THRESHOLDS.misestimateWarn) return null;
  // a LIMIT above stops its input early: actual < estimate is expected there
  if (act < est && hasLimitAbove(n)) return null;
  const bucket = factor >= THRESHOLDS.misestimateSevere ? 1000 : factor >= THRESHOLDS.misestimateBad ? 100 : 10;
  const dir = act > est ? 'under' : 'over';
  const tables = n.relation ? `ANALYZE ${n.relation}` : 'ANALYZE the tables below this node';
  const cond = str(n.raw['Filter']) ?? str(n.raw['Index Cond']) ?? str(n.raw['Hash Cond']) ?? str(n.raw['Recheck Cond']);
  const multiCol = cond ? new Set(columnPredicates(cond).map((p) => p.column)).size >= 2 : false;
  return finding(ctx, 'misestimate', bucket >= 1000 ? 'critical' : 'warning', n,
    `Row estimate ${dir}estimated by ${factor >= 10_000 ? fmt(factor) : factor.toFixed(0)}× (≥ ${bucket}×) at ${n.label}`,
    `Plan Rows ${fmt(n.estRows)} vs Actual Rows ${fmt(n.actualRows)} per loop${cond ? `; condition: ${cond}` : ''}`,
    `${tables}; if it persists raise the column statistics target (ALTER TABLE … ALTER COLUMN … SET STATISTICS 1000)` +
      (multiCol ? '; the condition combines correlated columns: CREATE STATISTICS … (dependencies, mcv) ON those columns.' : '.'));
}

function hasLimitAbove(n: PlanNode): boolean {
  for (let p = n.parent; p; p = p.parent) if (p.nodeType === 'Limit') return true;
  return false;
}

/** EXPLAIN's `Sort Key` as text; a saved plan may hold anything there, so only strings count. */
function sortKeys(raw: unknown): string {
  const keys = Array.isArray(raw) ? raw.filter((k): k is string => typeof k === 'string') : [];
  return keys.length > 0 ? keys.join(', ') : '?';
}

function sortSpill(ctx: Ctx, n: PlanNode): Finding | null {
  if (n.nodeType !== 'Sort' && n.nodeType !== 'Incremental Sort') return null;
  const type = str(n.raw['Sort Space Type']);
  const method = str(n.raw['Sort Method']) ?? '';
  if (type !== 'Disk' && !method.includes('external')) return null;
  const usedKb = num(n.raw['Sort Space Used']);
  const keys = sortKeys(n.raw['Sort Key']);
  const share = timeShare(ctx.plan, n);
  return finding(ctx, 'sort-spill', (share ?? 0) >= THRESHOLDS.criticalShare ? 'critical' : 'warning', n,
    `Sort spilled to disk (${method || 'external'}${usedKb !== null ? `, ${fmt(usedKb)} kB` : ''})`,
    `Sort Method: ${method}; Sort Space Type: ${type ?? '?'}; Sort Key: ${keys}`,
    `Raise work_mem for this query${usedKb !== null ? ` (at least ~${fmt(Math.ceil((usedKb * 2) / 1024))} MB: in-memory sorts need about twice the disk size)` : ''}, or add an index that returns rows in ${keys} order.`);
}

function hashBatches(ctx: Ctx, n: PlanNode): Finding | null {
  const batches = num(n.raw['Hash Batches']);
  if (batches === null || batches <= 1) return null;
  const original = num(n.raw['Original Hash Batches']);
  const mem = num(n.raw['Peak Memory Usage']);
  return finding(ctx, 'hash-batches', 'warning', n,
    `Hash table split into ${batches} batches (spilled to disk)`,
    `Hash Batches: ${batches}${original !== null ? ` (planned ${original})` : ''}${mem !== null ? `; Peak Memory Usage: ${fmt(mem)} kB` : ''}`,
    'Raise work_mem (or hash_mem_multiplier) so the hash fits in one batch, or hash the smaller input.');
}

function lossyBitmap(ctx: Ctx, n: PlanNode): Finding | null {
  const lossy = num(n.raw['Lossy Heap Blocks']);
  if (lossy === null || lossy <= 0) return null;
  const exact = num(n.raw['Exact Heap Blocks']) ?? 0;
  return finding(ctx, 'lossy-bitmap', 'warning', n,
    `Bitmap became lossy on ${fmt(lossy)} heap blocks: every row there is rechecked`,
    `Lossy Heap Blocks: ${fmt(lossy)}; Exact Heap Blocks: ${fmt(exact)}`,
    'Raise work_mem so the bitmap stays exact, or make the index condition more selective.');
}

function heapFetches(ctx: Ctx, n: PlanNode): Finding | null {
  if (n.nodeType !== 'Index Only Scan') return null;
  const fetches = num(n.raw['Heap Fetches']);
  const rows = totalActualRows(n);
  if (fetches === null || fetches <= 0) return null;
  const share = rows ? fetches / rows : 1;
  return finding(ctx, 'heap-fetches', share >= 0.1 ? 'warning' : 'info', n,
    `Index-only scan visited the table for ${fmt(fetches)} rows (${pct(Math.min(1, share))} of its rows)`,
    `Heap Fetches: ${fmt(fetches)}; Actual Rows: ${fmt(rows ?? 0)}`,
    `The visibility map is stale: VACUUM ${n.relation ?? 'the table'} (and tune autovacuum for it) so index-only scans stay index-only.`);
}

function workers(ctx: Ctx, n: PlanNode): Finding | null {
  const planned = num(n.raw['Workers Planned']);
  const launched = num(n.raw['Workers Launched']);
  if (planned === null || launched === null || launched >= planned) return null;
  return finding(ctx, 'workers-not-launched', 'warning', n,
    `${launched} of ${planned} planned parallel workers launched`,
    `Workers Planned: ${planned}; Workers Launched: ${launched}`,
    'The worker pool was exhausted: raise max_parallel_workers / max_worker_processes, or lower concurrency of parallel queries.');
}

function nonSargable(ctx: Ctx, n: PlanNode): Finding[] {
  const out: Finding[] = [];
  const filter = str(n.raw['Filter']);
  if (!filter || !n.nodeType.includes('Scan')) return out;
  for (const w of wrappedColumns(filter)) {
    const rewrite = w.func === 'date' || w.func === '::date' || w.func === 'date_trunc'
      ? `compare the bare column with a range instead (${w.column} >= day AND ${w.column} < day + 1) so a plain index on ${w.column} applies`
      : `create an expression index ON ${n.relation ?? 'the table'} ((${w.text})) or compare the bare column`;
    out.push(finding(ctx, 'non-sargable', 'warning', n,
      `Function on a column in the filter: ${w.text} cannot use an index on ${w.column}`,
      `Filter: ${filter}`,
      `Rewrite: ${rewrite}.`));
  }
  for (const p of columnPredicates(filter)) {
    if (p.op !== 'like-infix') continue;
    out.push(finding(ctx, 'non-sargable', 'warning', n,
      `Leading-wildcard LIKE on ${p.column} cannot use a B-tree index`,
      `Filter: ${filter}`,
      `Use a trigram index: CREATE EXTENSION pg_trgm; CREATE INDEX … USING gin (${p.column} gin_trgm_ops); or search a prefix (LIKE 'alice%').`));
  }
  return out;
}

/** `OFFSET n` in the SQL: the rows skipped are still read and sorted. */
function offsetPagination(ctx: Ctx): Finding | null {
  if (!ctx.sql) return null;
  const m = /\bOFFSET\s+(\d+|\$\d+)/i.exec(stripComments(ctx.sql));
  if (!m) return null;
  const offset = /^\d+$/.test(m[1]!) ? Number(m[1]) : null;
  const limitNode = ctx.plan.nodes.find((n) => n.nodeType === 'Limit') ?? null;
  const child = limitNode?.children[0];
  const read = child ? totalActualRows(child) : null;
  const returned = limitNode ? totalActualRows(limitNode) : null;
  const severity: Severity = offset === null || offset >= THRESHOLDS.offsetWarn ? 'warning' : 'info';
  return finding(ctx, 'offset-pagination', severity, limitNode,
    `OFFSET pagination${offset !== null ? ` skips ${fmt(offset)} rows` : ''}: every page re-reads all earlier pages`,
    read !== null && returned !== null ? `Limit returned ${fmt(returned)} of ${fmt(read)} rows its input produced` : `OFFSET ${m[1]}`,
    'Use keyset pagination: WHERE (decided_at, id) < ($last_decided_at, $last_id) ORDER BY decided_at DESC, id DESC LIMIT n, with an index on the ORDER BY columns.');
}

function selectStar(ctx: Ctx): Finding | null {
  if (!ctx.sql) return null;
  const sql = stripComments(ctx.sql);
  if (!/^\s*(WITH\b[\s\S]*?\)\s*)?SELECT\s+(DISTINCT\s+)?(\w+\.)?\*/i.test(sql)) return null;
  const width = num(ctx.plan.root.raw['Plan Width']);
  const rows = totalActualRows(ctx.plan.root) ?? ctx.plan.root.estRows;
  return finding(ctx, 'select-star', width !== null && width >= 200 ? 'warning' : 'info', ctx.plan.root,
    'SELECT * fetches every column, also those the caller does not use',
    `Plan Width: ${width ?? '?'} bytes per row × ${fmt(rows)} rows`,
    'Name the columns the caller needs: less I/O and network, and index-only scans become possible.');
}

function hotspot(ctx: Ctx, n: PlanNode): Finding | null {
  const share = timeShare(ctx.plan, n);
  if (share === null || share < THRESHOLDS.hotspotShare || ctx.plan.nodes.length < 2) return null;
  if ((ctx.plan.executionTimeMs ?? 0) < THRESHOLDS.hotspotMinMs) return null;
  return finding(ctx, 'hotspot', 'info', n,
    `${n.label} takes ${pct(share)} of the execution time on its own`,
    `exclusive ${n.exclusiveMs!.toFixed(2)} ms of ${ctx.plan.executionTimeMs!.toFixed(2)} ms (children subtracted, loops multiplied)`,
    'Start here: the other findings on this node say why it is slow.');
}

export function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
}

/** All findings for one plan, most severe first; misestimates deepest node first. */
export function runRules(plan: ParsedPlan, sql: string | null = null): Finding[] {
  const ctx: Ctx = { plan, sql: sql ?? plan.queryText };
  const out: Finding[] = [];
  const flaggedSeq = new Set<number>();
  for (const n of plan.nodes) {
    const s = seqScan(ctx, n);
    if (s) {
      out.push(s);
      flaggedSeq.add(n.id);
    }
  }
  const misestimates: Array<{ f: Finding; depth: number }> = [];
  for (const n of plan.nodes) {
    out.push(...rowsRemoved(ctx, n, flaggedSeq));
    const m = misestimate(ctx, n);
    if (m) misestimates.push({ f: m, depth: n.depth });
    for (const f of [sortSpill(ctx, n), hashBatches(ctx, n), lossyBitmap(ctx, n), heapFetches(ctx, n), workers(ctx, n), hotspot(ctx, n)]) {
      if (f) out.push(f);
    }
    out.push(...nonSargable(ctx, n));
  }
  misestimates.sort((a, b) => b.depth - a.depth);
  for (const f of [offsetPagination(ctx), selectStar(ctx)]) if (f) out.push(f);
  // a hotspot already named by another finding adds nothing: that finding carries the share
  const named = new Set([...out, ...misestimates.map((m) => m.f)].filter((f) => f.rule !== 'hotspot').map((f) => f.nodeId));
  for (let i = out.length - 1; i >= 0; i--) if (out[i]!.rule === 'hotspot' && named.has(out[i]!.nodeId)) out.splice(i, 1);
  out.push(...misestimates.map((m) => m.f));
  // stable: severity, then time share (larger first); misestimates keep deepest-first order
  return out
    .map((f, i) => ({ f, i }))
    .sort((a, b) => SEVERITY_ORDER[a.f.severity] - SEVERITY_ORDER[b.f.severity] ||
      (a.f.rule === 'misestimate' && b.f.rule === 'misestimate' ? a.i - b.i : (b.f.timeShare ?? 0) - (a.f.timeShare ?? 0) || a.i - b.i))
    .map((x) => x.f);
}
