/**
 * `authz-perf serve [--scenario NAME | --policies DIR] [--port 3592] [--host 127.0.0.1]
 *  [--cache-size N] [--cache-ttl 60s] [--cache-max-bytes B] [--no-cache] [--body-limit BYTES] [--globals FILE]
 *  [--lenient-scopes] [--jwks FILE [--jwks-id ID]] [--workers N|auto] [--grpc-port N] [--max-resources 50]
 *  [--max-actions 50] [--max-json-depth 32] [--max-string-bytes 65536] [--eval-budget 500ms]
 *  [--max-inflight 128]` — the reference engine over
 * HTTP (Cerbos check API) until SIGINT/SIGTERM.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { constants as bufferConstants } from 'node:buffer';
import { Option, type Command } from 'commander';
import type { CliContext } from './context.js';
import { runAction } from './action.js';
import { parseBytes, parseDuration, parseInteger } from './flags.js';
import { startBundledTarget, type BundledTarget } from '../load/target.js';
import { UsageError } from '../util/errors.js';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_EVAL_BUDGET_MS,
  DEFAULT_MAX_INFLIGHT,
  DEFAULT_REQUEST_LIMITS,
  DEFAULT_CACHE,
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_PORT,
  createEngine,
  type Engine,
  loadPolicySet,
  parseJwks,
  readGlobalsFile,
  startServer,
  type JwtOptions,
  type Globals,
  type RunningServer,
  type RequestLimits,
  type ServerOptions,
} from '../engine/index.js';
import { loadScenario } from '../scenario/index.js';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createServerMetrics, processMetricsRegistry } from '../engine/metrics.js';
import { WorkerStartError, isClusterWorker, scrapeCluster, startCluster, workerListening } from '../engine/workers.js';
import { SCHEMA_ENFORCEMENTS, type SchemaEnforcement } from '../engine/schemas.js';
import { SwappableEngine, watchPolicies } from '../engine/reload.js';
import { policyTestWarnings } from './test.js';

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
  /** false: skip the policy test suites (a serve child: the command that started it runs them itself) */
  policyTests?: boolean;
}

/** What a running `serve` offers: one server, or the workers of a cluster sharing its port. */
export interface ServeView {
  url: string;
  /** server processes answering on `url` */
  workers: number;
}

export interface ServeIo {
  /** resolves when the server should stop (SIGINT/SIGTERM in the real CLI) */
  untilStopped(server: ServeView): Promise<void>;
}

const DEFAULT_SCENARIO = 'abac-cel';
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

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function serveCommand(ctx: CliContext, flags: ServeFlags, io: ServeIo): Promise<number> {
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

  let label: string;
  let policyDir: string;
  let globals: Globals | undefined;
  let lenient = false;
  let testsDir: string | null = null;
  if (flags.policies !== undefined) {
    policyDir = path.resolve(ctx.cwd, flags.policies);
    label = `policies ${flags.policies}`;
  } else {
    const name = flags.scenario ?? DEFAULT_SCENARIO;
    const scenario = await loadScenario(name, { cwd: ctx.cwd });
    policyDir = scenario.policyDir;
    label = `scenario ${scenario.name}`;
    globals = scenario.globals;
    lenient = scenario.lenientScopeSearch === true;
    testsDir = scenario.testsDir;
  }
  if (flags.globals !== undefined) globals = await readGlobalsFile(path.resolve(ctx.cwd, flags.globals));
  const build = async (): Promise<Engine> =>
    createEngine(await loadPolicySet(policyDir, { lenientScopeSearch: flags.lenientScopes === true || lenient }), { cache, celTiming: true, globals, schemaEnforcement: flags.schemaEnforcement ?? 'none' });
  const engine = new SwappableEngine(await build());
  const policySet = engine.policySet;
  if (!isClusterWorker() && flags.policyTests !== false)
    for (const warning of await policyTestWarnings(ctx, 'authz-perf serve', { policyDir, testsDir, lenientScopeSearch: lenient })) ctx.stderr.write(`authz-perf serve: warning: ${warning}\n`);
  const onError = (err: Error): void => void ctx.stderr.write(`authz-perf serve: ${err.message.split('\n')[0]}\n`);
  if (flags.jwksId !== undefined && flags.jwks === undefined) throw new UsageError('--jwks-id: needs --jwks FILE');
  const jwt: JwtOptions = {};
  if (flags.jwks !== undefined) jwt.keySet = parseJwks(await readTextFile(path.resolve(ctx.cwd, flags.jwks), '--jwks'), flags.jwks);
  if (flags.jwksId !== undefined) jwt.keySetId = flags.jwksId;
  const onNotice = (message: string): void => void ctx.stderr.write(`authz-perf serve: note: ${message}\n`);
  const workers = parseWorkers(flags.workers);
  const { resourcePolicies, principalPolicies, rolePolicies } = policySet.stats;
  const n = resourcePolicies + principalPolicies + rolePolicies;
  const what = `${label}, ${n} ${n === 1 ? 'policy' : 'policies'}`;
  if (workers > 1 && !isClusterWorker()) return serveCluster(ctx, { ...flags, workers: '1' }, workers, what, policySet.warnings, io);
  // a cluster worker's /metrics is every worker's, aggregated by the primary
  const metrics = isClusterWorker() ? createServerMetrics(engine, { scrape: scrapeCluster }) : undefined;
  const server = await startServer(engine, { host: flags.host, port, bodyLimitBytes, onError, jwt, onNotice, ...guards, ...(metrics ? { metrics } : {}) }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new UsageError(`--port: ${port} is already in use (try --port 0 for a free one)`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') throw new UsageError(`--host: cannot listen on ${flags.host}`);
    throw err;
  });
  // announced before the "listening on" line, which tells a parent process the server is ready
  // loaded only when asked for: @grpc/grpc-js takes a while to import on a busy host
  const grpcServer = grpcPort === null ? null : await (await import('../grpc/server.js')).startGrpcServer(engine, { host: flags.host, port: grpcPort, metrics: server.metrics, jwt }).catch(async (err: Error) => {
    await server.close();
    throw new UsageError(`--grpc-port: cannot listen on ${flags.host}:${grpcPort} (${err.message.split('\n')[0]})`);
  });
  if (grpcServer) ctx.stderr.write(`authz-perf serve: gRPC on ${grpcServer.address} (cerbos.svc.v1.CerbosService/CheckResources)\n`);
  if (isClusterWorker()) {
    // the primary prints the listening line and the notes once
    workerListening(server.url, [processMetricsRegistry(), server.metrics.registry]);
  } else {
    ctx.stderr.write(`authz-perf serve listening on ${server.url} (${what})\n`);
    for (const warning of policySet.warnings) ctx.stderr.write(`authz-perf serve: note: ${warning}\n`);
  }
  const watcher = flags.watch ? watchPolicies({ dir: policyDir, engine, build, onReload: () => void ctx.stderr.write(`authz-perf serve: policies reloaded from ${policyDir}\n`), onError: (m) => void ctx.stderr.write(`authz-perf serve: reload failed, previous policies kept: ${m}\n`) }) : null;
  try {
    await io.untilStopped({ url: server.url, workers: 1 });
  } finally {
    watcher?.close();
    await grpcServer?.close();
    await server.close();
  }
  return 0;
}

/** Request limits, evaluation budget and load shedding from the serve flags. */
function serverGuardOptions(flags: ServeFlags): Pick<ServerOptions, 'limits' | 'evalBudgetMs' | 'maxInflight'> {
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
    evalBudgetMs: budgetMs === 0 ? Infinity : budgetMs,
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

const SERVE_WORKER = fileURLToPath(new URL('./serve-worker.js', import.meta.url));

/** The primary of `serve --workers N`: forks the workers, prints the listening line, stops them. */
async function serveCluster(ctx: CliContext, workerFlags: ServeFlags, workers: number, what: string, warnings: readonly string[], io: ServeIo): Promise<number> {
  const started = await startCluster(workers, SERVE_WORKER, [JSON.stringify(workerFlags)]).catch((err: unknown) => {
    if (err instanceof WorkerStartError) throw err.exitCode === 2 ? new UsageError(err.message) : new Error(err.message);
    throw err;
  });
  try {
    ctx.stderr.write(`authz-perf serve listening on ${started.url} (${what}, ${workers} workers)\n`);
    for (const warning of warnings) ctx.stderr.write(`authz-perf serve: note: ${warning}\n`);
    await io.untilStopped({ url: started.url, workers });
  } finally {
    await started.close();
  }
  return 0;
}


async function readTextFile(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * Node arguments that run `authz-perf serve` of this same build with `flags` in a child process,
 * loading only the serve command (the whole CLI takes seconds to import on a busy host).
 */
export function serveChildArgs(flags: ServeFlags, debug: boolean): string[] {
  const serve = new URL('./serve.js', import.meta.url).href;
  const action = new URL('./action.js', import.meta.url).href;
  const script = [
    `const { serveCommand, untilSignal } = await import(${JSON.stringify(serve)});`,
    `const { reportError } = await import(${JSON.stringify(action)});`,
    `const ctx = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env, debug: ${debug}, exitCode: 0 };`,
    `try { process.exitCode = await serveCommand(ctx, JSON.parse(process.argv[1]), { untilStopped: untilSignal }); }`,
    `catch (err) { process.exitCode = reportError(ctx, err); }`,
  ].join('\n');
  return ['--input-type=module', '-e', script, JSON.stringify({ ...flags, policyTests: false })];
}

/** A line the serve child wrote: every line with --debug, otherwise only serve's notes (e.g. files Cerbos would refuse). */
export function serveChildLine(ctx: CliContext, line: string): void {
  if (ctx.debug) ctx.stderr.write(`[serve] ${line}\n`);
  else if (line.startsWith('authz-perf serve: note: ')) ctx.stderr.write(`${line}\n`);
}

/** Starts `authz-perf serve` with these flags as a child process; `nodeOptions` go before the script. */
export function startServeChild(ctx: CliContext, flags: ServeFlags, nodeOptions: string[] = []): Promise<BundledTarget> {
  return startBundledTarget({
    command: process.execPath,
    args: [...nodeOptions, ...serveChildArgs(flags, ctx.debug)],
    cwd: ctx.cwd,
    env: { ...ctx.env, NO_COLOR: '1' },
    onLine: (line: string) => serveChildLine(ctx, line),
  });
}
