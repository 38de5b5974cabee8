/**
 * `authz-perf explain`: EXPLAIN-based query advice, verified. Flags → backend (server or
 * embedded PGlite, seeded) → analyzeQueries → report. Saved plans (--plan) need no database.
 */
import { Command } from 'commander';
import type { CliContext } from './context.js';
import { argsAfterCommand, readInputFile, runAction } from './action.js';
import { parseDuration, parseInteger, repeatable } from './flags.js';
import { addReportOptions, emitReport, type ReportOutputOptions } from './report-output.js';
import { reportEnvelope } from '../report/build.js';
import { collectEnvironment } from '../report/environment.js';
import type { ExplainReport } from '../report/types.js';
import { UsageError } from '../util/errors.js';
import { redactUrl, REFERENCE_SCHEMA } from '../query/database.js';
import { explainOnDatabase, explainSavedPlans, setupReference, teardownReference, type DatabaseSettings } from '../query/explain.js';
import { userQueries } from '../query/inputs.js';
import { DEFAULT_PGLITE_SEED_SIZES, DEFAULT_SEED_SIZES, seedSizesForRows, type SeedSizes } from '../query/schema.js';
import type { ExplainSection } from '../query/types.js';

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



async function explainAction(ctx: CliContext, cmd: Command, flags: ExplainFlags): Promise<number> {
  const parsed = parseExplainFlags(flags, ctx.env);
  const startedAt = new Date();
  const args = argsAfterCommand(cmd);
  const progress = (m: string): void => void ctx.stderr.write(`explain: ${m}\n`);
  const settings = { analyze: flags.analyze, timeoutMs: parsed.timeoutMs };
  const read = async (files: string[]): Promise<Array<{ file: string; text: string }>> => {
    const out = [];
    for (const file of files) out.push({ file, text: await readInputFile(ctx, file) });
    return out;
  };

  if (flags.plan.length) {
    await emit(ctx, flags, args, startedAt, explainSavedPlans(await read(flags.plan), settings));
    return 0;
  }
  const db: DatabaseSettings = { url: parsed.url, schema: flags.schema, sizes: parsed.sizes, defaultSizes: parsed.defaultSizes, env: ctx.env };
  if (flags.teardown) {
    await teardownReference({ ...db, url: parsed.url! });
    ctx.stdout.write(`dropped schema ${flags.schema} from ${redactUrl(parsed.url!)}\n`);
    return 0;
  }
  if (flags.setup) {
    const seed = await setupReference({ ...db, url: parsed.url! }, progress);
    ctx.stdout.write(`created schema ${flags.schema} on ${redactUrl(parsed.url!)}: ${count(seed.rows.decisions)} decisions, ${count(seed.rows.auditLogs)} audit events, ${count(seed.rows.policies)} policies in ${(seed.durationMs / 1000).toFixed(1)} s\n`);
    return 0;
  }
  const user = flags.queries.length ? { files: flags.queries, queries: userQueries(await read(flags.queries), flags.param) } : null;
  const { section, inputErrors } = await explainOnDatabase(db, user, settings, progress);
  await emit(ctx, flags, args, startedAt, section);
  for (const line of inputErrors) ctx.stderr.write(`authz-perf: ${line}\n`);
  return inputErrors.length ? 2 : 0;
}

async function emit(ctx: CliContext, flags: ExplainFlags, args: string[], startedAt: Date, section: ExplainSection): Promise<void> {
  const report: ExplainReport = {
    ...reportEnvelope('explain', args, startedAt, new Date(), collectEnvironment(ctx.cwd)),
    explain: section,
  };
  await emitReport(ctx, report, flags);
}
