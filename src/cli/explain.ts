/**
 * `authz-perf explain`: EXPLAIN-based query advice, verified. Flags → backend (server or
 * embedded PGlite, seeded) → analyzeQueries → report. Saved plans (--plan) need no database.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import type { CliContext } from './context.js';
import { argsAfterCommand, readInputFile, runAction } from './action.js';
import { parseDuration, parseInteger, repeatable } from './flags.js';
import { addReportOptions, emitReport, type ReportOutputOptions } from './report-output.js';
import { reportEnvelope } from '../report/build.js';
import { collectEnvironment } from '../report/environment.js';
import type { ExplainReport } from '../report/types.js';
import { InputError, UsageError } from '../util/errors.js';
import { PACKAGE_ROOT } from '../util/version.js';
import { analyzeQueries, analysePlan } from '../query/analyze.js';
import type { DbAdapter } from '../query/adapter.js';
import {
  dropReference, hypopgAvailable, openEmbedded, openServer, redactUrl, REFERENCE_SCHEMA, schemaExists, seedReference, useSchema,
} from '../query/database.js';
import { parsePlanJson } from '../query/plan.js';
import { cacheDirFromEnv, fileDataDirCache } from '../query/pglite-cache.js';
import type { QueryInput } from '../query/runner.js';
import { DEFAULT_PGLITE_SEED_SIZES, DEFAULT_SEED_SIZES, seedSizesForRows, type SeedSizes } from '../query/schema.js';
import { splitSqlStatements } from '../query/sql-file.js';
import { summarize } from '../query/summary.js';
import type { ExplainSection, QueryAnalysis, SeedInfo } from '../query/types.js';

interface ExplainFlags extends ReportOutputOptions {
  databaseUrl?: string;
  rows?: string;
  queries: string[];
  param: string[];
  plan: string[];
  analyze: boolean;
  timeout: string;
  setup?: boolean;
  teardown?: boolean;
  schema: string;
}

const count = (n: number) => n.toLocaleString('en-US');

function seedSizeText(s: SeedSizes): string {
  return `${count(s.decisions)} decisions, ${count(s.auditLogs)} audit events, ${count(s.policies)} policies`;
}

// no default value for the lists: commander would print `(default: [])` in --help

export function register(program: Command, ctx: CliContext): void {
  const cmd = new Command('explain')
    .description('EXPLAIN-based advice for the decision and audit store: findings with thresholds, index advice verified with HypoPG or a rolled-back index')
    .option('--database-url <url>', 'PostgreSQL server (default: $DATABASE_URL; none: an embedded, seeded PGlite database)')
    .option('--rows <n>', `decisions to seed (audit_logs 2.5×, policies 1/100; default ${count(DEFAULT_PGLITE_SEED_SIZES.decisions)} on PGlite, ${count(DEFAULT_SEED_SIZES.decisions)} for --setup)`)
    .option('--queries <file.sql>', 'your own queries instead of the bundled catalog (repeatable; `-- name: x` names a statement)', repeatable)
    .option('--param <value>', 'value for $1, $2, … in --queries statements (repeatable, in order)', repeatable)
    .option('--plan <file.json>', 'analyse a saved EXPLAIN (FORMAT JSON) output without a database (repeatable)', repeatable)
    .option('--no-analyze', 'plain EXPLAIN: estimates only, nothing executed')
    .option('--timeout <duration>', 'statement_timeout per EXPLAIN (e.g. 5s, 500ms)', '5s')
    .option('--setup', 'create and seed the reference schema on the server (--database-url), then exit')
    .option('--teardown', 'drop the reference schema from the server (--database-url), then exit')
    .option('--schema <name>', 'schema of the reference tables (--setup/--teardown and the catalog on a server)', REFERENCE_SCHEMA);
  addReportOptions(cmd);
  cmd.action(runAction(ctx, async (flags: Partial<Pick<ExplainFlags, 'queries' | 'param' | 'plan'>> & Omit<ExplainFlags, 'queries' | 'param' | 'plan'>) =>
    explainAction(ctx, cmd, { ...flags, queries: flags.queries ?? [], param: flags.param ?? [], plan: flags.plan ?? [] })));
  program.addCommand(cmd);
}

/**
 * Largest --rows. PGlite holds the seeded tables in this process, about 36 bytes per row (50M rows
 * took 1.8 GB): 10M ≈ 0.4 GB. A Postgres server holds them itself.
 */
const ROWS_MAX_PGLITE = 10_000_000;
const ROWS_MAX_SERVER = 50_000_000;

export interface ParsedExplainFlags {
  url: string | null;
  sizes: SeedSizes;
  /** no --rows: the backend's default size */
  defaultSizes: boolean;
  timeoutMs: number;
}

export function parseExplainFlags(flags: ExplainFlags, env: NodeJS.ProcessEnv): ParsedExplainFlags {
  const url = flags.databaseUrl ?? (env.DATABASE_URL || null);
  let sizes = url ? DEFAULT_SEED_SIZES : DEFAULT_PGLITE_SEED_SIZES;
  if (flags.rows !== undefined) {
    sizes = seedSizesForRows(parseInteger('--rows', flags.rows, { min: 100, max: url ? ROWS_MAX_SERVER : ROWS_MAX_PGLITE }));
  }
  const timeoutMs = parseDuration('--timeout', flags.timeout, { maxMs: 24 * 3_600_000, allowZero: true });
  if (timeoutMs < 1) throw new UsageError('--timeout: must be at least 1ms');
  if (flags.setup && flags.teardown) throw new UsageError('--setup and --teardown cannot be combined');
  if ((flags.setup || flags.teardown) && !url) throw new UsageError(`--${flags.setup ? 'setup' : 'teardown'} needs a server: pass --database-url or set DATABASE_URL`);
  if (flags.plan.length && (flags.queries.length || flags.setup || flags.teardown)) throw new UsageError('--plan analyses saved plans without a database: it cannot be combined with --queries, --setup or --teardown');
  if (flags.param.length && !flags.queries.length) throw new UsageError('--param fills $1, $2, … in --queries statements: pass --queries FILE.sql');
  if (!/^[a-z_][a-z0-9_]*$/i.test(flags.schema)) throw new UsageError(`--schema: "${flags.schema}" is not a plain identifier`);
  return { url, sizes, defaultSizes: flags.rows === undefined, timeoutMs };
}


/** Statements of the files, with the --param values each one references. */
export function queriesFromSql(file: string, text: string, params: string[]): QueryInput[] {
  const stem = path.basename(file).replace(/\.sql$/i, '');
  return splitSqlStatements(text, stem).map((s) => {
    let maxParam = 0;
    for (const m of s.sql.replace(/'(?:[^']|'')*'/g, "''").matchAll(/\$(\d+)/g)) maxParam = Math.max(maxParam, Number(m[1]));
    return { id: s.name, file, line: s.line, sql: s.sql, params: params.slice(0, maxParam), description: s.description };
  });
}

async function catalogQueries(): Promise<QueryInput[]> {
  const dir = path.join(PACKAGE_ROOT, 'scenarios', 'queries');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const out: QueryInput[] = [];
  for (const f of files) out.push(...queriesFromSql(`scenarios/queries/${f}`, await readFile(path.join(dir, f), 'utf8'), []));
  return out;
}

function planLine(ctx: CliContext, message: string): void {
  ctx.stderr.write(`explain: ${message}\n`);
}

async function explainAction(ctx: CliContext, cmd: Command, flags: ExplainFlags): Promise<number> {
  const parsed = parseExplainFlags(flags, ctx.env);
  const startedAt = new Date();
  const args = argsAfterCommand(cmd);
  const progress = (m: string) => planLine(ctx, m);

  if (flags.plan.length) {
    const analyses: QueryAnalysis[] = [];
    for (const file of flags.plan) {
      const text = await readInputFile(ctx, file);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new InputError(`not valid JSON: ${(err as Error).message}`, { file });
      }
      analyses.push(analysePlan(path.basename(file).replace(/\.json$/i, ''), file, null, parsePlanJson(json, file)));
    }
    const section = buildSection({ kind: 'none', serverVersionNum: null, hypopg: false }, null, { kind: 'plan', files: flags.plan }, null, flags.analyze, parsed.timeoutMs, analyses, [], []);
    await emit(ctx, flags, args, startedAt, section);
    return 0;
  }

  const cacheDir = cacheDirFromEnv(ctx.env);
  const db: DbAdapter = parsed.url ? await openServer(parsed.url) : await openEmbedded(cacheDir ? fileDataDirCache(cacheDir) : null);
  try {
    if (flags.teardown) {
      await dropReference(db, flags.schema);
      ctx.stdout.write(`dropped schema ${flags.schema} from ${redactUrl(parsed.url!)}\n`);
      return 0;
    }
    if (flags.setup) {
      if (await schemaExists(db, flags.schema)) throw new InputError(`schema ${flags.schema} already holds the reference tables on ${redactUrl(parsed.url!)}: run --teardown first to re-create it`);
      const seed = await seedReference(db, flags.schema, parsed.sizes, progress);
      ctx.stdout.write(`created schema ${flags.schema} on ${redactUrl(parsed.url!)}: ${seed.rows.decisions.toLocaleString('en-US')} decisions, ${seed.rows.auditLogs.toLocaleString('en-US')} audit events, ${seed.rows.policies.toLocaleString('en-US')} policies in ${(seed.durationMs / 1000).toFixed(1)} s\n`);
      return 0;
    }
    let seed: SeedInfo | null = null;
    if (db.kind === 'pglite') {
      progress(`embedded PGlite: seeding the reference schema: ${seedSizeText(parsed.sizes)}${parsed.defaultSizes ? ` (the PGlite default; --rows ${DEFAULT_SEED_SIZES.decisions} for the --setup size)` : ''}`);
      seed = await seedReference(db, flags.schema, parsed.sizes, progress);
      progress(`seeded in ${(seed.durationMs / 1000).toFixed(1)} s`);
      await useSchema(db, flags.schema);
    } else if (!flags.queries.length) {
      if (!(await schemaExists(db, flags.schema))) {
        throw new InputError(`the bundled catalog needs the reference schema "${flags.schema}" on ${redactUrl(parsed.url!)}: run \`authz-perf explain --setup\` first, or pass --queries FILE.sql`);
      }
      await useSchema(db, flags.schema);
    }
    const queries: QueryInput[] = [];
    if (flags.queries.length) {
      for (const file of flags.queries) queries.push(...queriesFromSql(file, await readInputFile(ctx, file), flags.param));
      if (queries.length === 0) throw new InputError('no SQL statements found', { file: flags.queries.join(', ') });
    } else {
      queries.push(...(await catalogQueries()));
    }
    assertUniqueQueryIds(queries);
    const hypopg = await hypopgAvailable(db);
    const trigram = await db.extensionAvailable('pg_trgm');
    progress(`verifying index candidates with ${hypopg ? 'HypoPG (hypothetical indexes)' : 'real indexes inside rolled-back transactions'}`);
    const result = await analyzeQueries(db, queries, { analyze: flags.analyze, timeoutMs: parsed.timeoutMs, hypopg, trigram, adviseIndexes: true }, progress);
    const section = buildSection(
      { kind: db.kind, serverVersionNum: await db.serverVersionNum(), hypopg },
      result.verification,
      { kind: flags.queries.length ? 'queries' : 'catalog', files: flags.queries.length ? flags.queries : ['scenarios/queries/*.sql'] },
      seed, flags.analyze, parsed.timeoutMs, result.queries, result.indexes, result.writeOverhead,
    );
    await emit(ctx, flags, args, startedAt, section);
    for (const line of result.inputErrors) ctx.stderr.write(`authz-perf: ${line}\n`);
    return result.inputErrors.length ? 2 : 0;
  } finally {
    await db.close().catch(() => undefined);
  }
}

function buildSection(
  backend: ExplainSection['backend'], verification: ExplainSection['verification'], input: ExplainSection['input'], seed: SeedInfo | null,
  analyze: boolean, timeoutMs: number, queries: QueryAnalysis[], indexes: ExplainSection['indexes'], writeOverhead: string[],
): ExplainSection {
  return { backend, verification, input, seed, analyze, statementTimeoutMs: timeoutMs, queries, indexes, writeOverhead, summary: summarize(queries) };
}

async function emit(ctx: CliContext, flags: ExplainFlags, args: string[], startedAt: Date, section: ExplainSection): Promise<void> {
  const report: ExplainReport = {
    ...reportEnvelope('explain', args, startedAt, new Date(), collectEnvironment(ctx.cwd)),
    explain: section,
  };
  await emitReport(ctx, report, flags);
}

/** Plans and index advice are keyed by query id, so two statements may not share one. */
function assertUniqueQueryIds(queries: readonly QueryInput[]): void {
  const seen = new Map<string, QueryInput>();
  for (const q of queries) {
    const first = seen.get(q.id);
    if (first) throw new InputError(`query name "${q.id}" is also used at ${first.file}:${first.line}; give each statement its own "-- name:"`, { file: q.file, line: q.line });
    seen.set(q.id, q);
  }
}
