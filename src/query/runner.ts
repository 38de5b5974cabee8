/**
 * Runs EXPLAIN safely: every statement inside BEGIN … ROLLBACK with a statement_timeout, so
 * INSERT/UPDATE/DELETE are measured but never change data.
 */
import { assertInRolledBackTransaction, inRolledBackTransaction, type DbAdapter } from './adapter.js';
import { parsePlanJson, type ParsedPlan } from './plan.js';
import { positionToLocation } from './sql-file.js';
import type { QueryKind } from './types.js';

export interface QueryInput {
  id: string;
  /** file the statement came from (for messages) */
  file: string;
  /** 1-based line where the statement starts */
  line: number;
  sql: string;
  params: unknown[];
  description: string | null;
}

export interface ExplainOptions {
  analyze: boolean;
  timeoutMs: number;
}

export type ExplainOutcome =
  | { state: 'ok'; plan: ParsedPlan; raw: unknown }
  /** timed out under ANALYZE: `plan` is the plain EXPLAIN estimate, when that worked */
  | { state: 'timeout'; plan: ParsedPlan | null; raw: unknown; message: string }
  | { state: 'error'; message: string; line: number; column: number | null; code: string | null };

export function queryKind(sql: string): QueryKind {
  const m = /^\s*(?:WITH\b[\s\S]*?\)\s*)?(SELECT|INSERT|UPDATE|DELETE|VALUES|TABLE)\b/i.exec(sql.replace(/--[^\n]*/g, ''));
  const k = m?.[1]?.toLowerCase();
  if (k === 'select' || k === 'values' || k === 'table') return 'select';
  if (k === 'insert' || k === 'update' || k === 'delete') return k;
  return 'other';
}

interface PgLikeError {
  message: string;
  code?: string;
  position?: string;
}

function asPgError(err: unknown): PgLikeError {
  if (err && typeof err === 'object' && 'message' in err) return err as PgLikeError;
  return { message: String(err) };
}

export function explainSql(sql: string, analyze: boolean): string {
  return `EXPLAIN (${analyze ? 'ANALYZE, BUFFERS, ' : ''}FORMAT JSON) ${sql}`;
}

/** Extracts the JSON plan from the single-row, single-column EXPLAIN result. */
export function planFromRows(rows: Array<Record<string, unknown>>): unknown {
  const v = rows[0] ? Object.values(rows[0])[0] : undefined;
  return typeof v === 'string' ? JSON.parse(v) : v;
}

/**
 * EXPLAIN of one statement, returning the JSON plan. With ANALYZE the statement really runs,
 * so the caller must be inside `inRolledBackTransaction` (checked, not assumed).
 */
export async function explainJson(db: DbAdapter, q: QueryInput, analyze: boolean): Promise<unknown> {
  if (analyze) assertInRolledBackTransaction(db);
  const r = await db.query<Record<string, unknown>>(explainSql(q.sql, analyze), q.params);
  return planFromRows(r.rows);
}

async function runExplain(db: DbAdapter, q: QueryInput, analyze: boolean, timeoutMs: number): Promise<unknown> {
  return inRolledBackTransaction(db, async () => {
    await db.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
    return explainJson(db, q, analyze);
  });
}

export async function explainQuery(db: DbAdapter, q: QueryInput, options: ExplainOptions): Promise<ExplainOutcome> {
  try {
    const raw = await runExplain(db, q, options.analyze, options.timeoutMs);
    return { state: 'ok', plan: parsePlanJson(raw), raw };
  } catch (err) {
    const e = asPgError(err);
    if (e.code === '57014') {
      const message = `timed out after ${options.timeoutMs} ms under EXPLAIN ANALYZE; findings use the plain EXPLAIN estimate`;
      try {
        const raw = await runExplain(db, q, false, options.timeoutMs);
        return { state: 'timeout', plan: parsePlanJson(raw), raw, message };
      } catch {
        return { state: 'timeout', plan: null, raw: null, message: `timed out after ${options.timeoutMs} ms` };
      }
    }
    // EXPLAIN prefix shifts the reported position
    const prefix = explainSql('', options.analyze).length;
    const pos = e.position ? Number(e.position) - prefix : NaN;
    const loc = Number.isFinite(pos) && pos > 0 ? positionToLocation(q.sql, pos, q.line) : { line: q.line, column: null };
    return { state: 'error', message: e.message.split('\n')[0]!, line: loc.line, column: loc.column, code: e.code ?? null };
  }
}
