/**
 * One interface over `pg` (a real server) and PGlite (embedded), so the runner, rules and
 * index verification never know which they run on.
 */
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';

export type BackendKind = 'postgres' | 'pglite';

export interface QueryResult<R> {
  rows: R[];
  /** rows changed by INSERT/UPDATE/DELETE, when the backend reports it */
  affectedRows?: number;
}

export interface DbAdapter {
  readonly kind: BackendKind;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  /** Several statements, no parameters (schema DDL, seeding). */
  exec(sql: string): Promise<void>;
  /** `server_version_num`, e.g. 150020 */
  serverVersionNum(): Promise<number>;
  /** Whether the extension is installed, or `CREATE EXTENSION name` succeeds for this user (tried, rolled back). */
  extensionAvailable(name: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Runs `body` inside BEGIN … ROLLBACK: whatever it does (DML under EXPLAIN ANALYZE, CREATE
 * INDEX for verification) is undone, also when it throws.
 */
export async function inRolledBackTransaction<T>(db: DbAdapter, body: () => Promise<T>): Promise<T> {
  if (rollingBack.has(db)) throw new Error('inRolledBackTransaction: already inside one (use a SAVEPOINT)');
  await db.query('BEGIN');
  rollingBack.add(db);
  try {
    return await body();
  } finally {
    rollingBack.delete(db);
    await db.query('ROLLBACK');
  }
}

/** Adapters currently inside `inRolledBackTransaction`. */
const rollingBack = new WeakSet<DbAdapter>();

/** Guard for statements that execute the user's SQL (EXPLAIN ANALYZE): only ever in a rolled-back transaction. */
export function assertInRolledBackTransaction(db: DbAdapter): void {
  if (!rollingBack.has(db)) throw new Error('EXPLAIN ANALYZE outside a rolled-back transaction');
}

export async function extensionAvailable(db: DbAdapter, name: string): Promise<boolean> {
  const r = await db.query<{ installed: boolean; available: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = $1) AS installed,
            EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = $1) AS available`,
    [name],
  );
  if (r.rows[0]?.installed) return true;
  if (!r.rows[0]?.available) return false;
  // installable is not enough: CREATE EXTENSION may need privileges this user lacks
  try {
    await inRolledBackTransaction(db, () => db.query(`CREATE EXTENSION IF NOT EXISTS "${name.replace(/"/g, '""')}"`));
    return true;
  } catch {
    return false;
  }
}

async function versionNum(db: DbAdapter): Promise<number> {
  const r = await db.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  return Number(r.rows[0]?.v ?? 0);
}

export class PgAdapter implements DbAdapter {
  readonly kind = 'postgres' as const;
  constructor(private readonly client: pg.Client) {}

  static async connect(url: string, connectTimeoutMs = 5_000): Promise<PgAdapter> {
    const { default: pgmod } = await import('pg');
    const client = new pgmod.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
    // A server that goes away mid-run surfaces as a rejected query, not an unhandled 'error' event.
    client.on('error', () => undefined);
    await client.connect();
    return new PgAdapter(client);
  }

  async query<R>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    // Always the extended protocol, as PGlite's query(): one statement per call. Without it a
    // user statement the splitter kept whole (`x$a$; COMMIT; DELETE …`) would run its COMMIT
    // and DELETE outside the rolled-back transaction.
    const config = { text: sql, values: params, queryMode: 'extended' } as pg.QueryConfig;
    const r = await this.client.query(config);
    return { rows: r.rows as R[], affectedRows: r.rowCount ?? undefined };
  }
  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }
  serverVersionNum(): Promise<number> {
    return versionNum(this);
  }
  extensionAvailable(name: string): Promise<boolean> {
    return extensionAvailable(this, name);
  }
  async close(): Promise<void> {
    await this.client.end();
  }
}

export class PgliteAdapter implements DbAdapter {
  readonly kind = 'pglite' as const;
  constructor(private readonly db: PGlite) {}

  /**
   * A fresh in-memory database (pg_trgm loaded so trigram advice can be verified), from a data
   * directory dumped by `dumpDataDir` when given (skips initdb).
   */
  static async create(dataDir?: Blob): Promise<PgliteAdapter> {
    const { PGlite } = await import('@electric-sql/pglite');
    const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
    const db = await PGlite.create({ extensions: { pg_trgm }, ...(dataDir ? { loadDataDir: dataDir } : {}) });
    return new PgliteAdapter(db);
  }

  /** The data directory as a gzipped tarball. */
  dumpDataDir(): Promise<Blob> {
    return this.db.dumpDataDir('gzip') as Promise<Blob>;
  }

  async query<R>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    const r = await this.db.query<R>(sql, params);
    return { rows: r.rows, affectedRows: r.affectedRows };
  }
  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }
  serverVersionNum(): Promise<number> {
    return versionNum(this);
  }
  extensionAvailable(name: string): Promise<boolean> {
    return extensionAvailable(this, name);
  }
  async close(): Promise<void> {
    await this.db.close();
  }
}
