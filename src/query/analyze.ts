/**
 * The explain pipeline over one database: EXPLAIN every query safely, run the rules, collect
 * index candidates, verify them, and assemble per-query analyses and index advice.
 */
import type { DbAdapter } from './adapter.js';
import { candidateKey, candidatesForPlan, coveringIndex, patternColumns, type ExistingIndex, type IndexCandidate } from './candidates.js';
import { selectIndexes, writeOverheadSummary } from './advise.js';
import { summarizePlan, type ParsedPlan } from './plan.js';
import { runRules } from './rules.js';
import { explainQuery, queryKind, type QueryInput } from './runner.js';
import { MIN_START_COST, verifyCandidates, methodFor, type QueryBaseline } from './verify.js';
import type { IndexAdvice, QueryAnalysis, RejectedCandidate, VerificationMethod } from './types.js';

export interface AnalyzeOptions {
  analyze: boolean;
  timeoutMs: number;
  hypopg: boolean;
  trigram: boolean;
  /** skip index verification (e.g. --plan) */
  adviseIndexes: boolean;
}

export interface AnalyzeResult {
  queries: QueryAnalysis[];
  indexes: IndexAdvice[];
  verification: VerificationMethod | null;
  /** one line per query that failed (file:line:col: id: message) */
  inputErrors: string[];
  writeOverhead: string[];
}

export function locationText(q: QueryInput, line: number, column: number | null): string {
  return `${q.file}:${line}${column !== null ? `:${column}` : ''}`;
}

/** Analysis of a plan without a database (saved plans) or after EXPLAIN. */
export function analysePlan(id: string, source: string, sql: string | null, plan: ParsedPlan): QueryAnalysis {
  const text = sql ?? plan.queryText;
  return {
    id,
    source,
    sql: text,
    kind: text ? queryKind(text) : 'other',
    status: 'ok',
    error: null,
    analyzed: plan.analyzed,
    planningTimeMs: plan.planningTimeMs,
    executionTimeMs: plan.analyzed ? plan.executionTimeMs : null,
    totalCostUnits: plan.totalCost,
    plan: summarizePlan(plan),
    findings: runRules(plan, text),
    advisedIndexes: [],
    rejectedCandidates: [],
  };
}

export async function existingIndexes(db: DbAdapter, tables: string[]): Promise<ExistingIndex[]> {
  if (tables.length === 0) return [];
  const r = await db.query<{ name: string; tbl: string; cols: string[] | string; am: string }>(
    `SELECT ic.relname AS name, c.relname AS tbl, am.amname AS am,
            ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord) AS cols
     FROM pg_index i
     JOIN pg_class c ON c.oid = i.indrelid
     JOIN pg_class ic ON ic.oid = i.indexrelid
     JOIN pg_am am ON am.oid = ic.relam
     WHERE c.relname = ANY($1::text[]) AND pg_table_is_visible(c.oid)`,
    [tables],
  );
  return r.rows.map((row) => ({
    name: row.name,
    table: row.tbl,
    columns: Array.isArray(row.cols) ? row.cols : String(row.cols).replace(/^\{|\}$/g, '').split(',').filter(Boolean),
    using: row.am,
  }));
}

export async function tableRowEstimates(db: DbAdapter, tables: string[]): Promise<Map<string, number>> {
  if (tables.length === 0) return new Map();
  const r = await db.query<{ tbl: string; n: number | string }>(
    'SELECT relname AS tbl, reltuples::float8 AS n FROM pg_class WHERE relname = ANY($1::text[]) AND pg_table_is_visible(oid)',
    [tables],
  );
  return new Map(r.rows.map((row) => [row.tbl, Math.max(0, Number(row.n))]));
}

export async function analyzeQueries(
  db: DbAdapter,
  queries: QueryInput[],
  options: AnalyzeOptions,
  onProgress: (message: string) => void = () => undefined,
): Promise<AnalyzeResult> {
  const analyses: QueryAnalysis[] = [];
  const inputErrors: string[] = [];
  const plans = new Map<string, ParsedPlan>();
  let i = 0;
  for (const q of queries) {
    i++;
    onProgress(`explain ${q.id} [${i}/${queries.length}]`);
    const outcome = await explainQuery(db, q, { analyze: options.analyze, timeoutMs: options.timeoutMs });
    const source = `${q.file}:${q.line}`;
    if (outcome.state === 'error') {
      const where = locationText(q, outcome.line, outcome.column);
      inputErrors.push(`${where}: ${q.id}: ${outcome.message}`);
      analyses.push({
        id: q.id, source, sql: q.sql, kind: queryKind(q.sql), status: 'error', error: outcome.message, analyzed: false,
        planningTimeMs: null, executionTimeMs: null, totalCostUnits: null, plan: [], findings: [], advisedIndexes: [], rejectedCandidates: [],
      });
      continue;
    }
    if (outcome.plan === null) {
      analyses.push({
        id: q.id, source, sql: q.sql, kind: queryKind(q.sql), status: 'timeout', error: outcome.state === 'timeout' ? outcome.message : null,
        analyzed: false, planningTimeMs: null, executionTimeMs: null, totalCostUnits: null, plan: [], findings: [], advisedIndexes: [], rejectedCandidates: [],
      });
      continue;
    }
    const a = analysePlan(q.id, source, q.sql, outcome.plan);
    if (outcome.state === 'timeout') {
      a.status = 'timeout';
      a.error = outcome.message;
    }
    analyses.push(a);
    plans.set(q.id, outcome.plan);
  }
  if (!options.adviseIndexes || plans.size === 0) return { queries: analyses, indexes: [], verification: null, inputErrors, writeOverhead: [] };

  // candidates, minus those an existing index already covers
  const origin = new Map<string, Set<string>>();
  const all = new Map<string, IndexCandidate>();
  const preRejected = new Map<string, RejectedCandidate[]>();
  const tables = new Set<string>();
  for (const p of plans.values()) for (const n of p.nodes) if (n.relation) tables.add(n.relation);
  const existing = await existingIndexes(db, [...tables]);
  for (const a of analyses) {
    const plan = plans.get(a.id);
    if (!plan) continue;
    const keys = new Set<string>();
    // Dexter's bar: a plan cheaper than this is not worth an index
    if (plan.totalCost < MIN_START_COST) continue;
    for (const c of candidatesForPlan(plan, a.findings, options.trigram)) {
      const cover = coveringIndex(c, existing);
      if (cover) {
        preRejected.set(a.id, [...(preRejected.get(a.id) ?? []), { table: c.table, columns: c.columns, reason: `already covered by ${cover.name}` }]);
        continue;
      }
      keys.add(candidateKey(c));
      all.set(candidateKey(c), c);
    }
    origin.set(a.id, keys);
  }
  const baselines: QueryBaseline[] = [];
  for (const q of queries) {
    const plan = plans.get(q.id);
    const a = analyses.find((x) => x.id === q.id);
    if (!plan || !a || a.status !== 'ok') continue;
    baselines.push({
      query: q,
      tables: new Set(plan.nodes.map((n) => n.relation).filter((r): r is string => r !== null)),
      patternColumns: patternColumns(plan),
      costBefore: plan.totalCost,
      timeBeforeMs: plan.analyzed ? plan.executionTimeMs : null,
    });
  }
  const candidates = [...all.values()];
  const verified = await verifyCandidates(db, candidates, baselines, options, onProgress);
  const rows = await tableRowEstimates(db, [...tables]);
  const advice = selectIndexes(verified, origin, rows);
  for (const a of analyses) {
    a.advisedIndexes = advice.advisedByQuery.get(a.id) ?? [];
    a.rejectedCandidates = [...(preRejected.get(a.id) ?? []), ...(advice.rejectedByQuery.get(a.id) ?? [])];
  }
  const methods = new Set(candidates.map((c) => methodFor(c, options.hypopg)));
  const verification: VerificationMethod | null = methods.has('hypopg') ? 'hypopg' : methods.size ? 'rolled-back-index' : null;
  return { queries: analyses, indexes: advice.indexes, verification, inputErrors, writeOverhead: writeOverheadSummary(advice.indexes, rows) };
}
