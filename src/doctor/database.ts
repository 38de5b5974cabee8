/**
 * What Postgres says over the window: pg_stat_statements (deltas; absent is reported, not an
 * error), pg_stat_activity at the end, connections against max_connections, and per-table scan
 * counters (pg_stat_user_tables deltas). Works on a server (pg) and on embedded PGlite through
 * the query room's adapter; reads only statistics views, never the user's tables.
 */
import type { DbAdapter } from '../query/adapter.js';
import type { ActivityFigures, DatabaseFigures, StatementFigures, TableScanFigures } from './types.js';

interface StatementRow {
  queryid: string;
  query: string;
  calls: number;
  total_ms: number;
  rows: number;
}

interface TableRow {
  name: string;
  seq_scan: number;
  seq_tup_read: number;
  idx_scan: number;
  live: number;
}

export interface DatabaseBaseline {
  statements: Map<string, StatementRow> | null;
  absentReason: string | null;
  tables: Map<string, TableRow>;
}

/** A Postgres count or bigint (the driver may hand it over as a string); NULL as 0. */
const pgNumber = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

async function readStatements(db: DbAdapter): Promise<{ rows: Map<string, StatementRow> | null; reason: string | null }> {
  const installed = await db.query<{ n: number | string }>("SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'pg_stat_statements'");
  if (pgNumber(installed.rows[0]?.n) === 0)
    return { rows: null, reason: db.kind === 'pglite' ? 'embedded PGlite does not ship the extension' : 'the extension is not created in this database' };
  try {
    const r = await db.query<Record<string, unknown>>(
      'SELECT queryid::text AS queryid, query, calls, total_exec_time AS total_ms, rows FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
    );
    const rows = new Map<string, StatementRow>();
    for (const x of r.rows) rows.set(String(x.queryid), { queryid: String(x.queryid), query: String(x.query), calls: pgNumber(x.calls), total_ms: pgNumber(x.total_ms), rows: pgNumber(x.rows) });
    return { rows, reason: null };
  } catch (err) {
    // e.g. "pg_stat_statements must be loaded via shared_preload_libraries"
    return { rows: null, reason: (err as Error).message.split('\n')[0] ?? 'unreadable' };
  }
}

async function readTables(db: DbAdapter): Promise<Map<string, TableRow>> {
  const r = await db.query<Record<string, unknown>>(
    "SELECT schemaname || '.' || relname AS name, seq_scan, seq_tup_read, coalesce(idx_scan, 0) AS idx_scan, n_live_tup AS live FROM pg_stat_user_tables",
  );
  const out = new Map<string, TableRow>();
  for (const x of r.rows) out.set(String(x.name), { name: String(x.name), seq_scan: pgNumber(x.seq_scan), seq_tup_read: pgNumber(x.seq_tup_read), idx_scan: pgNumber(x.idx_scan), live: pgNumber(x.live) });
  return out;
}

/** Counters at the start of the window. */
export async function databaseBaseline(db: DbAdapter): Promise<DatabaseBaseline> {
  const s = await readStatements(db);
  return { statements: s.rows, absentReason: s.reason, tables: await readTables(db) };
}

/** Figures over the window since `before`. */
export async function readDatabase(db: DbAdapter, before: DatabaseBaseline): Promise<DatabaseFigures> {
  const version = await db.query<{ v: string }>('SELECT current_setting(\'server_version\') AS v');
  const s = await readStatements(db);
  let statements: StatementFigures[] | null = null;
  if (s.rows) {
    statements = [];
    for (const row of s.rows.values()) {
      const b = before.statements?.get(row.queryid);
      const calls = row.calls - (b?.calls ?? 0);
      if (calls <= 0) continue;
      const totalMs = row.total_ms - (b?.total_ms ?? 0);
      statements.push({ query: row.query, calls, totalMs: round(totalMs), meanMs: round(totalMs / calls), rows: row.rows - (b?.rows ?? 0) });
    }
    statements.sort((a, b) => b.totalMs - a.totalMs);
    statements = statements.slice(0, 10);
  }
  const act = await db.query<Record<string, unknown>>(
    `SELECT pid, state, wait_event_type, wait_event, extract(epoch FROM (now() - query_start)) * 1000 AS ms, query
       FROM pg_stat_activity
      WHERE pid <> pg_backend_pid() AND state IS NOT NULL AND state <> 'idle' AND query_start IS NOT NULL
      ORDER BY query_start`,
  );
  const activity: ActivityFigures[] = act.rows.map((x) => ({
    pid: pgNumber(x.pid),
    state: String(x.state),
    durationMs: round(pgNumber(x.ms)),
    waitEvent: x.wait_event_type ? `${String(x.wait_event_type)}:${String(x.wait_event ?? '')}` : null,
    query: String(x.query ?? ''),
  }));
  const conn = await db.query<Record<string, unknown>>(
    `SELECT count(*)::int AS n,
            count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS locks,
            count(*) FILTER (WHERE state LIKE 'idle in transaction%')::int AS idle_tx,
            current_setting('max_connections')::int AS max
       FROM pg_stat_activity WHERE backend_type = 'client backend'`,
  );
  const after = await readTables(db);
  const tableScans: TableScanFigures[] = [];
  for (const t of after.values()) {
    const b = before.tables.get(t.name);
    const seqScans = t.seq_scan - (b?.seq_scan ?? 0);
    if (seqScans <= 0 && t.idx_scan - (b?.idx_scan ?? 0) <= 0) continue;
    tableScans.push({ table: t.name, seqScans, seqRowsRead: t.seq_tup_read - (b?.seq_tup_read ?? 0), indexScans: t.idx_scan - (b?.idx_scan ?? 0), liveRows: t.live });
  }
  tableScans.sort((a, b) => b.seqRowsRead - a.seqRowsRead);
  const c = conn.rows[0] ?? {};
  return {
    backend: db.kind,
    serverVersion: String(version.rows[0]?.v ?? ''),
    statements,
    statementsAbsentReason: statements === null ? (s.reason ?? before.absentReason) : null,
    activity,
    connections: pgNumber(c.n),
    maxConnections: pgNumber(c.max),
    waitingOnLocks: pgNumber(c.locks),
    idleInTransaction: pgNumber(c.idle_tx),
    tableScans: tableScans.slice(0, 10),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
