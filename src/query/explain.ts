/**
 * The explain room's front door: saved plans, or a database (a server, or embedded PGlite seeded
 * with the reference schema) → EXPLAIN every statement safely → the report section. Also
 * --setup / --teardown of the reference schema on a server.
 */
import path from 'node:path';
import { InputError } from '../util/errors.js';
import type { DbAdapter } from './adapter.js';
import { analyzeQueries, analysePlan } from './analyze.js';
import { dropReference, hypopgAvailable, openEmbedded, openServer, redactUrl, schemaExists, seedReference, useSchema } from './database.js';
import { CATALOG_FILES, catalogQueries } from './inputs.js';
import { parsePlanJson } from './plan.js';
import { cacheDirFromEnv, fileDataDirCache } from './pglite-cache.js';
import type { QueryInput } from './runner.js';
import { DEFAULT_SEED_SIZES, type SeedSizes } from './schema.js';
import { summarize } from './summary.js';
import type { ExplainSection, QueryAnalysis, SeedInfo } from './types.js';

export interface ExplainSettings {
  /** EXPLAIN ANALYZE (else plain EXPLAIN: estimates only) */
  analyze: boolean;
  timeoutMs: number;
}

export interface DatabaseSettings {
  /** PostgreSQL server; null: embedded PGlite */
  url: string | null;
  schema: string;
  /** what PGlite is seeded with */
  sizes: SeedSizes;
  /** no --rows: the backend's default size */
  defaultSizes: boolean;
  /** the environment, for the PGlite data-directory cache */
  env: NodeJS.ProcessEnv;
}

type Progress = (message: string) => void;

/** Saved EXPLAIN (FORMAT JSON) outputs, analysed without a database. */
export function explainSavedPlans(files: ReadonlyArray<{ file: string; text: string }>, settings: ExplainSettings): ExplainSection {
  const analyses = files.map(({ file, text }) => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new InputError(`not valid JSON: ${(err as Error).message}`, { file });
    }
    return analysePlan(path.basename(file).replace(/\.json$/i, ''), file, null, parsePlanJson(json, file));
  });
  return section({
    backend: { kind: 'none', serverVersionNum: null, hypopg: false },
    verification: null,
    input: { kind: 'plan', files: files.map((f) => f.file) },
    seed: null,
    settings,
    queries: analyses,
    indexes: [],
    writeOverhead: [],
  });
}

export interface ExplainOutcome {
  section: ExplainSection;
  /** one line per statement that failed (file:line:col: id: message) */
  inputErrors: string[];
}

/**
 * EXPLAIN the statements (`user`: from --queries files; null: the bundled catalog) on the
 * database, with index advice verified by HypoPG or real indexes inside rolled-back transactions.
 */
export async function explainOnDatabase(
  db: DatabaseSettings,
  user: { files: string[]; queries: QueryInput[] } | null,
  settings: ExplainSettings,
  progress: Progress,
): Promise<ExplainOutcome> {
  return withDatabase(db, async (conn) => {
    const seed = await prepareSchema(conn, db, user === null, progress);
    const queries = user?.queries ?? (await catalogQueries());
    const hypopg = await hypopgAvailable(conn);
    const trigram = await conn.extensionAvailable('pg_trgm');
    progress(`verifying index candidates with ${hypopg ? 'HypoPG (hypothetical indexes)' : 'real indexes inside rolled-back transactions'}`);
    const result = await analyzeQueries(conn, queries, { analyze: settings.analyze, timeoutMs: settings.timeoutMs, hypopg, trigram, adviseIndexes: true }, progress);
    return {
      section: section({
        backend: { kind: conn.kind, serverVersionNum: await conn.serverVersionNum(), hypopg },
        verification: result.verification,
        input: user ? { kind: 'queries', files: user.files } : { kind: 'catalog', files: [CATALOG_FILES] },
        seed,
        settings,
        queries: result.queries,
        indexes: result.indexes,
        writeOverhead: result.writeOverhead,
      }),
      inputErrors: result.inputErrors,
    };
  });
}

/** --setup: create and seed the reference schema on the server; refuses an existing one. */
export async function setupReference(db: DatabaseSettings & { url: string }, progress: Progress): Promise<SeedInfo> {
  return withDatabase(db, async (conn) => {
    if (await schemaExists(conn, db.schema)) throw new InputError(`schema ${db.schema} already holds the reference tables on ${redactUrl(db.url)}: run --teardown first to re-create it`);
    return seedReference(conn, db.schema, db.sizes, progress);
  });
}

/** --teardown: drop the reference schema from the server. */
export async function teardownReference(db: DatabaseSettings & { url: string }): Promise<void> {
  await withDatabase(db, (conn) => dropReference(conn, db.schema));
}

async function withDatabase<T>(db: DatabaseSettings, body: (conn: DbAdapter) => Promise<T>): Promise<T> {
  const cacheDir = cacheDirFromEnv(db.env);
  const conn = db.url ? await openServer(db.url) : await openEmbedded(cacheDir ? fileDataDirCache(cacheDir) : null);
  try {
    return await body(conn);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** PGlite: seed the reference schema. A server: the catalog needs the schema to exist already. */
async function prepareSchema(conn: DbAdapter, db: DatabaseSettings, catalog: boolean, progress: Progress): Promise<SeedInfo | null> {
  if (conn.kind === 'pglite') {
    progress(`embedded PGlite: seeding the reference schema: ${seedSizeText(db.sizes)}${db.defaultSizes ? ` (the PGlite default; --rows ${DEFAULT_SEED_SIZES.decisions} for the --setup size)` : ''}`);
    const seed = await seedReference(conn, db.schema, db.sizes, progress);
    progress(`seeded in ${(seed.durationMs / 1000).toFixed(1)} s`);
    await useSchema(conn, db.schema);
    return seed;
  }
  if (catalog) {
    if (!(await schemaExists(conn, db.schema))) {
      throw new InputError(`the bundled catalog needs the reference schema "${db.schema}" on ${redactUrl(db.url!)}: run \`authz-perf explain --setup\` first, or pass --queries FILE.sql`);
    }
    await useSchema(conn, db.schema);
  }
  return null;
}

const count = (n: number): string => n.toLocaleString('en-US');

export function seedSizeText(s: SeedSizes): string {
  return `${count(s.decisions)} decisions, ${count(s.auditLogs)} audit events, ${count(s.policies)} policies`;
}

interface SectionParts {
  backend: ExplainSection['backend'];
  verification: ExplainSection['verification'];
  input: ExplainSection['input'];
  seed: SeedInfo | null;
  settings: ExplainSettings;
  queries: QueryAnalysis[];
  indexes: ExplainSection['indexes'];
  writeOverhead: string[];
}

function section(p: SectionParts): ExplainSection {
  return {
    backend: p.backend,
    verification: p.verification,
    input: p.input,
    seed: p.seed,
    analyze: p.settings.analyze,
    statementTimeoutMs: p.settings.timeoutMs,
    queries: p.queries,
    indexes: p.indexes,
    writeOverhead: p.writeOverhead,
    summary: summarize(p.queries),
  };
}
