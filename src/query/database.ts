/**
 * Opening a backend (server via `pg`, or embedded PGlite), and the reference schema's
 * lifecycle: seed (PGlite, or --setup on a server), detect, drop (--teardown).
 */
import { InputError, UsageError } from '../util/errors.js';
import { PgAdapter, PgliteAdapter, type DbAdapter } from './adapter.js';
import { analyzeSql, createSchemaSql, dropSchemaSql, quoteIdent, REFERENCE_TABLES, seedSql, type SeedSizes } from './schema.js';
import type { SeedInfo } from './types.js';
import type { DataDirCache } from './pglite-cache.js';

/** Schema the reference tables live in (on PGlite and with --setup). */
export const REFERENCE_SCHEMA = 'authz_perf';

/** `postgres://user:***@host:port/db` for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable URL>';
  }
}

export function validateDatabaseUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--database-url: not a URL: expected postgres://user:password@host:5432/database`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new UsageError(`--database-url: unsupported scheme "${u.protocol}", accepted: postgres://, postgresql://`);
  }
}

/** Maps connection failures to one clear line. */
export function connectionError(err: unknown, url: string): InputError {
  const e = err as { code?: string; message?: string };
  const where = redactUrl(url);
  const u = (() => { try { return new URL(url); } catch { return null; } })();
  const reason = (() => {
    switch (e.code) {
      case 'ECONNREFUSED': return 'connection refused (is the server running and listening there?)';
      case 'ENOTFOUND': case 'EAI_AGAIN': return `host "${u?.hostname ?? '?'}" not found`;
      case 'ETIMEDOUT': return 'connection timed out';
      case '28P01': return `password authentication failed for user "${decodeURIComponent(u?.username ?? '')}"`;
      case '28000': return `access denied: ${e.message ?? ''}`.trim();
      case '3D000': return `database "${decodeURIComponent(u?.pathname.slice(1) ?? '')}" does not exist`;
      default: return (e.message ?? String(err)).split('\n')[0] || 'connection failed';
    }
  })();
  return new InputError(`cannot connect to ${where}: ${reason}`);
}

export async function openServer(url: string, connectTimeoutMs = 5_000): Promise<DbAdapter> {
  validateDatabaseUrl(url);
  try {
    return await PgAdapter.connect(url, connectTimeoutMs);
  } catch (err) {
    throw connectionError(err, url);
  }
}

/**
 * An empty in-memory PGlite. With a cache: started from the cached initdb output when there is
 * one (a broken entry is replaced), else initdb runs and its output is cached for next time.
 */
export async function openEmbedded(cache: DataDirCache | null = null): Promise<DbAdapter> {
  const cached = cache ? await cache.load() : null;
  if (cached) {
    try {
      return await PgliteAdapter.create(cached);
    } catch {
      // fall through: initdb, and overwrite the entry
    }
  }
  const db = await PgliteAdapter.create();
  if (cache) await db.dumpDataDir().then((d) => cache.save(d)).catch(() => undefined);
  return db;
}

export async function schemaExists(db: DbAdapter, schema: string): Promise<boolean> {
  const r = await db.query<{ n: number | string }>(
    'SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename = ANY($2::text[])',
    [schema, [...REFERENCE_TABLES]],
  );
  return Number(r.rows[0]?.n ?? 0) === REFERENCE_TABLES.length;
}

export async function useSchema(db: DbAdapter, schema: string): Promise<void> {
  await db.query(`SET search_path = ${quoteIdent(schema)}, public`);
}

/** Creates, seeds and ANALYZEs the reference schema. Progress goes to `onProgress`. */
export async function seedReference(db: DbAdapter, schema: string, sizes: SeedSizes, onProgress: (m: string) => void = () => undefined, now: () => number = Date.now): Promise<SeedInfo> {
  const t0 = now();
  await db.exec(createSchemaSql(schema));
  for (const step of seedSql(schema, sizes)) {
    onProgress(`seeding ${step.table}: ${step.rows.toLocaleString('en-US')} rows`);
    await db.query(step.sql);
  }
  onProgress('ANALYZE');
  await db.exec(analyzeSql(schema));
  return { schema, rows: { policies: sizes.policies, decisions: sizes.decisions, auditLogs: sizes.auditLogs }, durationMs: now() - t0 };
}

export async function dropReference(db: DbAdapter, schema: string): Promise<void> {
  await db.exec(dropSchemaSql(schema));
}

export async function hypopgAvailable(db: DbAdapter): Promise<boolean> {
  return db.kind === 'postgres' && (await db.extensionAvailable('hypopg'));
}
