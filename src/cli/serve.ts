/**
 * `authz-perf serve [--scenario NAME | --policies DIR] [--port 3592] [--host 127.0.0.1]
 *  [--cache-size N] [--cache-ttl 60s] [--cache-max-bytes B] [--no-cache] [--body-limit BYTES] [--globals FILE]
 *  [--lenient-scopes] [--jwks FILE [--jwks-id ID]] [--workers N|auto] [--grpc-port N] [--max-resources 50]
 *  [--max-actions 50] [--max-json-depth 32] [--max-string-bytes 65536] [--eval-budget 500ms]
 *  [--max-inflight 128]` — the reference engine over
 * HTTP (Cerbos check API) until SIGINT/SIGTERM.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { constants as bufferConstants } from 'node:buffer';
import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import type { CliContext } from './context.js';
import { runAction } from './action.js';
import { parseBytes, parseDuration, parseInteger } from './flags.js';
import { UsageError } from '../util/errors.js';
import { untilSignal } from '../util/until-signal.js';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_EVAL_BUDGET_MS,
  DEFAULT_MAX_INFLIGHT,
  DEFAULT_REQUEST_LIMITS,
  DEFAULT_CACHE,
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_PORT,
  parseJwks,
  SCHEMA_ENFORCEMENTS,
  type JwtOptions,
  type RequestLimits,
  type SchemaEnforcement,
} from '../engine/index.js';
import { DEFAULT_SCENARIO, runServe, type ServeOptions, type ServeView } from '../serve/run.js';

export { untilSignal };

export interface ServeFlags {
  scenario?: string;
  policies?: string;
  port: string;
  host: string;
  cacheSize?: string;
  cacheTtl?: string;
  /** byte bound of the decision cache */
  cacheMaxBytes?: string;
  /** commander's --no-cache */
  cache: boolean;
  bodyLimit?: string;
  /** YAML/JSON file of engine globals (default: the scenario's `globals:`) */
  globals?: string;
  lenientScopes?: boolean;
  /** JSON Web Key Set file that auxData JWTs are verified against */
  jwks?: string;
  /** the key set's id (a request naming another keySetId is refused) */
  jwksId?: string;
  /** also serve cerbos.svc.v1.CerbosService/CheckResources over gRPC on this port */
  grpcPort?: string;
  maxResources?: string;
  maxActions?: string;
  maxJsonDepth?: string;
  maxStringBytes?: string;
  /** duration; 0 turns the budget off */
  evalBudget?: string;
  maxInflight?: string;
  /** server processes (node:cluster): a count or `auto` (one per core) */
  workers?: string;
  /** Cerbos's schema.enforcement: none (default), warn or reject */
  schemaEnforcement?: SchemaEnforcement;
  /** rebuild and swap in the policies when files in the policy folder change */
  watch?: boolean;
}

export interface ServeIo {
  /** resolves when the server should stop (SIGINT/SIGTERM in the real CLI) */
  untilStopped(server: ServeView): Promise<void>;
}

/**
 * Largest --cache-size (loadtest and doctor check theirs against it before starting serve). The
 * cache allocates nothing up front; each stored decision holds its key material and value
 * (--cache-max-bytes bounds their estimated total).
 */
export const SERVE_CACHE_SIZE_MAX = 1_000_000;
/** Largest --cache-ttl. */
export const SERVE_CACHE_TTL_MAX_MS = 24 * 3_600_000;
/** Largest --body-limit: a body is decoded into one string, and V8 strings hold at most this many characters. */
const BODY_LIMIT_MAX = bufferConstants.MAX_STRING_LENGTH;
const WORKERS_MAX = 256;
/** --cache-max-bytes range: 64 KiB (entries of 256 bytes) to 64 GiB */
const CACHE_MAX_BYTES_MIN = 64 * 1024;
const CACHE_MAX_BYTES_MAX = 64 * 1024 ** 3;

export function register(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the reference engine as a Cerbos-compatible HTTP policy decision point')
    .option('--scenario <name>', `bundled scenario name or folder whose policies to serve (default ${DEFAULT_SCENARIO})`)
    .option('--policies <dir>', 'serve the policies in this folder instead of a scenario')
    .option('--port <n>', 'TCP port (0 = pick a free one)', String(DEFAULT_PORT))
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--cache-size <n>', `decision cache entries (default ${DEFAULT_CACHE.maxEntries})`)
    .option('--cache-ttl <duration>', `decision cache TTL, e.g. 30s (default ${DEFAULT_CACHE.ttlMs / 1000}s)`)
    .option('--cache-max-bytes <bytes>', `byte bound of the decision cache (estimated size of its entries; default ${DEFAULT_CACHE_MAX_BYTES}); an entry over 1/256 of it is not cached`)
    .option('--no-cache', 'turn the decision cache off')
    .option('--body-limit <bytes>', `largest accepted request body (default ${DEFAULT_BODY_LIMIT_BYTES})`)
    .option('--globals <file>', "YAML/JSON mapping of engine globals, G / globals in CEL (default: the scenario's globals)")
    .option('--lenient-scopes', "resolve a request scope without policies to its nearest ancestor (Cerbos's lenientScopeSearch)")
    .option('--jwks <file>', 'verify auxData JWTs against this JSON Web Key Set (without it they are decoded, not verified)')
    .option('--jwks-id <id>', "the key set's id: requests naming another keySetId are refused")
    .option('--grpc-port <n>', "also answer Cerbos's gRPC API (cerbos.svc.v1.CerbosService/CheckResources) on this port (0 = a free one)")
    .option('--max-resources <n>', `resources per check request; more → 400 (default ${DEFAULT_REQUEST_LIMITS.maxResources}, as Cerbos)`)
    .option('--max-actions <n>', `actions per resource; more → 400 (default ${DEFAULT_REQUEST_LIMITS.maxActions}, as Cerbos)`)
    .option('--max-json-depth <n>', `nesting of the request JSON; deeper → 400 (default ${DEFAULT_REQUEST_LIMITS.maxJsonDepth})`)
    .option('--max-string-bytes <n>', `bytes of one JSON string in a request; longer → 400 (default ${DEFAULT_REQUEST_LIMITS.maxStringBytes})`)
    .option('--eval-budget <duration>', `evaluation time per request; over it → 422, 0 = none (default ${DEFAULT_EVAL_BUDGET_MS}ms)`)
    .option('--max-inflight <n>', `check requests in flight; more → 503 + Retry-After at once (default ${DEFAULT_MAX_INFLIGHT})`)
    .option('--workers <n|auto>', `server processes sharing the port (node:cluster; auto = one per core, default 1, at most ${WORKERS_MAX}); each worker has its own decision cache, so --cache-size and --cache-max-bytes apply per worker; /metrics sums all workers`)
    .option('--watch', 'reload the policies when their files change (a broken edit keeps the old ones serving)')
    .addOption(new Option('--schema-enforcement <mode>', "validate principal and resource attributes against the policies' JSON schemas (Cerbos's schema.enforcement)").choices(SCHEMA_ENFORCEMENTS).default('none'))
    .action(runAction(ctx, (flags: ServeFlags) => serveCommand(ctx, flags, { untilStopped: untilSignal })));
}

export async function serveCommand(ctx: CliContext, flags: ServeFlags, io: ServeIo): Promise<number> {
  return runServe(parseServeFlags(ctx, flags), { untilStopped: io.untilStopped, stderr: ctx.stderr });
}

/** The serve flags → the serve room's options (also for the commands that start a serve child). */
export function parseServeFlags(ctx: Pick<CliContext, 'cwd'>, flags: ServeFlags): ServeOptions {
  if (flags.scenario !== undefined && flags.policies !== undefined) throw new UsageError('--policies: use either --scenario or --policies, not both');
  const port = parseInteger('--port', flags.port, { min: 0, max: 65535 });
  const grpcPort = flags.grpcPort === undefined ? null : parseInteger('--grpc-port', flags.grpcPort, { min: 0, max: 65535 });
  const guards = serverGuardOptions(flags);
  const bodyLimitBytes = flags.bodyLimit === undefined ? DEFAULT_BODY_LIMIT_BYTES : parseBytes('--body-limit', flags.bodyLimit, { min: 1, max: BODY_LIMIT_MAX });
  if (!flags.cache && (flags.cacheSize !== undefined || flags.cacheTtl !== undefined || flags.cacheMaxBytes !== undefined)) {
    const flag = flags.cacheSize !== undefined ? '--cache-size' : flags.cacheTtl !== undefined ? '--cache-ttl' : '--cache-max-bytes';
    throw new UsageError(`${flag}: cannot be combined with --no-cache`);
  }
  const cache = flags.cache
    ? {
        maxEntries: flags.cacheSize === undefined ? DEFAULT_CACHE.maxEntries : parseInteger('--cache-size', flags.cacheSize, { min: 1, max: SERVE_CACHE_SIZE_MAX }),
        ttlMs: flags.cacheTtl === undefined ? DEFAULT_CACHE.ttlMs : parseDuration('--cache-ttl', flags.cacheTtl, { maxMs: SERVE_CACHE_TTL_MAX_MS, allowZero: true }),
        maxBytes:
          flags.cacheMaxBytes === undefined ? DEFAULT_CACHE_MAX_BYTES : parseBytes('--cache-max-bytes', flags.cacheMaxBytes, { min: CACHE_MAX_BYTES_MIN, max: CACHE_MAX_BYTES_MAX }),
      }
    : false;
  if (flags.jwksId !== undefined && flags.jwks === undefined) throw new UsageError('--jwks-id: needs --jwks FILE');
  const jwt: JwtOptions = {};
  if (flags.jwks !== undefined) jwt.keySet = parseJwks(readTextFile(path.resolve(ctx.cwd, flags.jwks), '--jwks'), flags.jwks);
  if (flags.jwksId !== undefined) jwt.keySetId = flags.jwksId;
  return {
    ...(flags.policies !== undefined ? { policies: flags.policies } : { scenario: flags.scenario ?? DEFAULT_SCENARIO }),
    cwd: ctx.cwd,
    host: flags.host,
    port,
    grpcPort,
    cache,
    bodyLimitBytes,
    ...guards,
    ...(flags.globals !== undefined ? { globalsFile: path.resolve(ctx.cwd, flags.globals) } : {}),
    lenientScopes: flags.lenientScopes === true,
    jwt,
    workers: parseWorkers(flags.workers),
    watch: flags.watch === true,
    schemaEnforcement: flags.schemaEnforcement ?? 'none',
    policyTests: true,
  };
}

/** Request limits, evaluation budget and load shedding from the serve flags. */
function serverGuardOptions(flags: ServeFlags): Pick<ServeOptions, 'limits' | 'evalBudgetMs' | 'maxInflight'> {
  const count = (flag: string, raw: string | undefined, fallback: number, max: number): number =>
    raw === undefined ? fallback : parseInteger(flag, raw, { min: 1, max });
  const limits: RequestLimits = {
    maxResources: count('--max-resources', flags.maxResources, DEFAULT_REQUEST_LIMITS.maxResources, 1_000_000),
    maxActions: count('--max-actions', flags.maxActions, DEFAULT_REQUEST_LIMITS.maxActions, 1_000_000),
    maxJsonDepth: count('--max-json-depth', flags.maxJsonDepth, DEFAULT_REQUEST_LIMITS.maxJsonDepth, 1000),
    maxStringBytes: count('--max-string-bytes', flags.maxStringBytes, DEFAULT_REQUEST_LIMITS.maxStringBytes, 2 ** 31),
  };
  const budget = flags.evalBudget?.trim();
  const budgetMs = budget === undefined ? DEFAULT_EVAL_BUDGET_MS : budget === '0' ? 0 : parseDuration('--eval-budget', budget, { maxMs: 3_600_000 });
  return {
    limits,
    evalBudgetMs: budgetMs,
    maxInflight: count('--max-inflight', flags.maxInflight, DEFAULT_MAX_INFLIGHT, 1_000_000),
  };
}

/** `--workers`: 1 when absent, `auto` = available cores. */
export function parseWorkers(raw: string | undefined): number {
  if (raw === undefined) return 1;
  if (raw === 'auto') return Math.min(WORKERS_MAX, availableParallelism());
  if (!/^\d+$/.test(raw)) throw new UsageError(`--workers: expected an integer between 1 and ${WORKERS_MAX} or "auto", got "${raw}"`);
  return parseInteger('--workers', raw, { min: 1, max: WORKERS_MAX });
}

function readTextFile(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Serve flags of a child on 127.0.0.1 at a free port → its options (checked before anything starts). */
export function serveChildOptions(ctx: Pick<CliContext, 'cwd'>, flags: Omit<ServeFlags, 'host' | 'port'>): ServeOptions {
  return parseServeFlags(ctx, { host: '127.0.0.1', port: '0', ...flags });
}
