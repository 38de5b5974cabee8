/**
 * Verifies index candidates before they are advised. With HypoPG: plain EXPLAIN with a
 * hypothetical index. Elsewhere: a real index created inside a rolled-back transaction, plans
 * re-run (EXPLAIN ANALYZE under a savepoint for measured time). Dexter's bar: the plan cost must
 * drop by ≥ 50% from a starting cost ≥ 100.
 */
import { inRolledBackTransaction, type DbAdapter } from './adapter.js';
import { candidateKey, createIndexDdl, indexKeys, type IndexCandidate } from './candidates.js';
import { explainJson, type QueryInput } from './runner.js';
import { parsePlanJson } from './plan.js';
import type { VerificationMethod } from './types.js';

export const MIN_START_COST = 100;
export const MIN_COST_REDUCTION = 0.5;
/** EXPLAIN ANALYZE runs with the candidate index before a slower reading counts */
export const MEASURE_ATTEMPTS = 3;

export interface QueryBaseline {
  query: QueryInput;
  /** tables the plan scans */
  tables: Set<string>;
  /** `table.column` compared with LIKE/ILIKE in the plan: what a trigram index is for */
  patternColumns: Set<string>;
  costBefore: number;
  /** measured EXPLAIN ANALYZE execution time, null without ANALYZE */
  timeBeforeMs: number | null;
}

export interface CandidateEffect {
  queryId: string;
  costBefore: number;
  costAfter: number;
  timeBeforeMs: number | null;
  timeAfterMs: number | null;
  /** passes the cost bar and, when measured, did not get slower */
  passes: boolean;
  reason: string;
}

export interface VerifiedCandidate {
  candidate: IndexCandidate;
  method: VerificationMethod;
  sizeBytes: number | null;
  effects: CandidateEffect[];
  /** set when the candidate could not be tried at all (e.g. extension missing) */
  error: string | null;
}

export interface VerifyOptions {
  hypopg: boolean;
  analyze: boolean;
  timeoutMs: number;
  /** pg_trgm can be created (for trigram candidates) */
  trigram: boolean;
}

export function judge(costBefore: number, costAfter: number, timeBeforeMs: number | null, timeAfterMs: number | null): { passes: boolean; reason: string } {
  const reduction = costBefore > 0 ? 1 - costAfter / costBefore : 0;
  const change = `cost ${costBefore.toFixed(0)} → ${costAfter.toFixed(0)} (${reduction >= 0 ? '−' : '+'}${Math.abs(reduction * 100).toFixed(0)}%)`;
  if (costBefore < MIN_START_COST) return { passes: false, reason: `${change}: starting cost below ${MIN_START_COST}, already cheap` };
  if (reduction < MIN_COST_REDUCTION) return { passes: false, reason: `${change}: below the 50% bar` };
  // measured time is noisy: only a clear slowdown (≥ 10% and ≥ 0.5 ms) overrules the planner
  if (timeBeforeMs !== null && timeAfterMs !== null && timeAfterMs > timeBeforeMs * 1.1 && timeAfterMs - timeBeforeMs >= 0.5) {
    return { passes: false, reason: `${change} but measured time rose ${timeBeforeMs.toFixed(1)} → ${timeAfterMs.toFixed(1)} ms` };
  }
  return { passes: true, reason: change };
}

async function cost(db: DbAdapter, q: QueryInput): Promise<number> {
  return parsePlanJson(await explainJson(db, q, false)).totalCost;
}

async function measuredTime(db: DbAdapter, q: QueryInput): Promise<number | null> {
  // the savepoint undoes DML so later plans in this transaction see the same data
  await db.query('SAVEPOINT ap_measure');
  try {
    return parsePlanJson(await explainJson(db, q, true)).executionTimeMs;
  } finally {
    await db.query('ROLLBACK TO SAVEPOINT ap_measure');
  }
}

/**
 * The queries a candidate is measured against. A trigram GIN index also answers `=` (pg_trgm
 * ≥ 1.6), cheaper than a scan but far worse than a B-tree and without order: credited only to
 * the pattern searches it exists for, so it never displaces a B-tree on an equality query.
 */
export function affectedBaselines(c: IndexCandidate, baselines: QueryBaseline[]): QueryBaseline[] {
  return baselines.filter((b) => b.tables.has(c.table) &&
    (c.opclass !== 'gin_trgm_ops' || c.columns.every((col) => b.patternColumns.has(`${c.table}.${col}`))));
}

async function verifyOne(db: DbAdapter, c: IndexCandidate, baselines: QueryBaseline[], method: VerificationMethod, options: VerifyOptions, n: number): Promise<VerifiedCandidate> {
  const affected = affectedBaselines(c, baselines);
  return inRolledBackTransaction(db, async () => {
    await db.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(options.timeoutMs * 4))}`);
    // CREATE INDEX waits for writers to finish and then blocks writes until ROLLBACK: never queue
    await db.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(options.timeoutMs))}`);
    let sizeBytes: number | null = null;
    if (c.opclass === 'gin_trgm_ops') await db.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    if (method === 'hypopg') {
      await db.query('CREATE EXTENSION IF NOT EXISTS hypopg');
      const r = await db.query<{ indexrelid: number }>('SELECT indexrelid FROM hypopg_create_index($1)', [createIndexDdl(c, false, `ap_hypo_${n}`)]);
      const oid = r.rows[0]?.indexrelid;
      if (oid !== undefined) {
        const s = await db.query<{ size: string | number }>('SELECT hypopg_relation_size($1) AS size', [oid]);
        sizeBytes = Number(s.rows[0]?.size ?? NaN) || null;
      }
    } else {
      const name = `ap_candidate_${n}`;
      await db.query(createIndexDdl(c, false, name));
      const s = await db.query<{ size: string | number }>('SELECT pg_relation_size($1::regclass) AS size', [name]);
      sizeBytes = Number(s.rows[0]?.size ?? NaN) || null;
    }
    const effects: CandidateEffect[] = [];
    for (const b of affected) {
      const costAfter = await cost(db, b.query);
      const byCost = judge(b.costBefore, costAfter, null, null);
      let timeAfterMs: number | null = null;
      if (byCost.passes && method === 'rolled-back-index' && options.analyze && b.timeBeforeMs !== null) {
        timeAfterMs = await measuredTime(db, b.query);
        // one reading is noisy on a busy machine (noise only adds time): a slower one is
        // measured again, best of MEASURE_ATTEMPTS
        for (let k = 1; k < MEASURE_ATTEMPTS && timeAfterMs !== null && !judge(b.costBefore, costAfter, b.timeBeforeMs, timeAfterMs).passes; k++) {
          const again = await measuredTime(db, b.query);
          if (again !== null) timeAfterMs = Math.min(timeAfterMs, again);
        }
      }
      const verdict = judge(b.costBefore, costAfter, b.timeBeforeMs, timeAfterMs);
      effects.push({ queryId: b.query.id, costBefore: b.costBefore, costAfter, timeBeforeMs: b.timeBeforeMs, timeAfterMs, ...verdict });
    }
    if (method === 'hypopg') await db.query('SELECT hypopg_reset()');
    return { candidate: c, method, sizeBytes, effects, error: null };
  });
}

/** HypoPG cannot model GIN (trigram) indexes: those always use a rolled-back real index. */
export function methodFor(c: IndexCandidate, hypopg: boolean): VerificationMethod {
  return hypopg && c.using === 'btree' ? 'hypopg' : 'rolled-back-index';
}

export async function verifyCandidates(
  db: DbAdapter,
  candidates: IndexCandidate[],
  baselines: QueryBaseline[],
  options: VerifyOptions,
  onProgress: (message: string) => void = () => undefined,
): Promise<VerifiedCandidate[]> {
  const out: VerifiedCandidate[] = [];
  let n = 0;
  for (const c of candidates) {
    n++;
    const method = methodFor(c, options.hypopg);
    if (c.opclass === 'gin_trgm_ops' && !options.trigram) {
      out.push({ candidate: c, method, sizeBytes: null, effects: [], error: 'pg_trgm is not available on this database' });
      continue;
    }
    onProgress(`verifying ${c.table} ${indexKeys(c)} (${method}) [${n}/${candidates.length}]`);
    try {
      out.push(await verifyOne(db, c, baselines, method, options, n));
    } catch (err) {
      const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      out.push({ candidate: c, method, sizeBytes: null, effects: [], error: message });
      // ROLLBACK does not remove hypothetical indexes (HypoPG keeps them in the session's memory),
      // so one left by a failed verification would lower every later candidate's cost
      if (method === 'hypopg') await resetHypotheticalIndexes(db);
    }
  }
  return out;
}

async function resetHypotheticalIndexes(db: DbAdapter): Promise<void> {
  await inRolledBackTransaction(db, async () => {
    await db.query('CREATE EXTENSION IF NOT EXISTS hypopg');
    await db.query('SELECT hypopg_reset()');
  }).catch(() => undefined);
}

export { candidateKey };
