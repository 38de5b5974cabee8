/**
 * The explain integration tests run on every available backend: embedded PGlite always, the
 * PostgreSQL server when DATABASE_URL is set (CI). Each suite uses its own schema and drops it.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import type { DbAdapter } from '../../src/query/adapter.js';
import { dropReference, openEmbedded, openServer, seedReference, useSchema } from '../../src/query/database.js';
import type { SeedSizes } from '../../src/query/schema.js';
import { fileDataDirCache } from '../../src/query/pglite-cache.js';
import type { QueryInput } from '../../src/query/runner.js';
import { PACKAGE_ROOT } from '../../src/util/version.js';
import { queriesFromSql } from '../../src/query/inputs.js';

export interface Backend {
  name: 'pglite' | 'postgres';
  open(): Promise<DbAdapter>;
}

/** Shared by the test files (and runs): PGlite's initdb output, see src/query/pglite-cache.ts. */
export const TEST_CACHE_DIR = path.join(tmpdir(), 'authz-perf-test-cache');

export function backends(): Backend[] {
  const list: Backend[] = [{ name: 'pglite', open: () => openEmbedded(fileDataDirCache(TEST_CACHE_DIR)) }];
  const url = process.env.DATABASE_URL;
  if (url) list.push({ name: 'postgres', open: () => openServer(url) });
  return list;
}

/** Small enough to seed in about a second, large enough that seq scans cost ≥ 100 and read ≥ 10k rows. */
export const TEST_ROWS = 12_000;
/** audit_logs only needs to pass the same 10k-row bar: not the CLI's 2.5× (30k), which takes ~25% longer to seed. */
export const TEST_SIZES: SeedSizes = { decisions: TEST_ROWS, auditLogs: TEST_ROWS, policies: 120 };

export async function seededDatabase(backend: Backend): Promise<{ db: DbAdapter; schema: string; drop(): Promise<void> }> {
  const db = await backend.open();
  const schema = `ap_test_${process.pid}_${randomBytes(3).toString('hex')}`;
  await seedReference(db, schema, TEST_SIZES);
  await useSchema(db, schema);
  return {
    db,
    schema,
    async drop() {
      try {
        await dropReference(db, schema);
      } finally {
        await db.close();
      }
    },
  };
}

export function catalog(): QueryInput[] {
  const dir = `${PACKAGE_ROOT}scenarios/queries/`;
  return readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()
    .flatMap((f) => queriesFromSql(`scenarios/queries/${f}`, readFileSync(dir + f, 'utf8'), []));
}

/** Everything that could be left behind: relations and indexes in the schema, installed extensions. */
export async function catalogSnapshot(db: DbAdapter, schema: string): Promise<string[]> {
  const rel = await db.query<{ x: string }>(
    `SELECT c.relkind::text || ':' || c.relname AS x FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 ORDER BY 1`, [schema]);
  const idx = await db.query<{ x: string }>('SELECT indexdef AS x FROM pg_indexes WHERE schemaname = $1 ORDER BY 1', [schema]);
  const ext = await db.query<{ x: string }>("SELECT 'ext:' || extname AS x FROM pg_extension ORDER BY 1");
  return [...rel.rows, ...idx.rows, ...ext.rows].map((r) => r.x);
}

/** Row count and a digest of every row, per reference table. */
export async function dataSnapshot(db: DbAdapter): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of ['policies', 'decisions', 'audit_logs']) {
    const r = await db.query<{ n: number; h: string }>(`SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY id)) AS h FROM ${t} t`);
    out[t] = `${r.rows[0]!.n}:${r.rows[0]!.h}`;
  }
  return out;
}
