/**
 * `authz-perf serve [--scenario NAME | --policies DIR] [--port 3592] [--host 127.0.0.1]
 *  [--cache-size N] [--cache-ttl 60s] [--no-cache] [--body-limit BYTES] [--globals FILE]
 *  [--lenient-scopes] [--jwks FILE [--jwks-id ID]]` — the reference engine over
 * HTTP (Cerbos check API) until SIGINT/SIGTERM.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { constants as bufferConstants } from 'node:buffer';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { runAction } from './action.js';
import { parseBytes, parseDuration, parseInteger } from './flags.js';
import { startBundledTarget, type BundledTarget } from '../load/target.js';
import { UsageError } from '../util/errors.js';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_CACHE,
  DEFAULT_PORT,
  createEngine,
  loadPolicySet,
  parseJwks,
  readGlobalsFile,
  startServer,
  type JwtOptions,
  type Globals,
  type RunningServer,
} from '../engine/index.js';
import { loadScenario } from '../scenario/index.js';

export interface ServeFlags {
  scenario?: string;
  policies?: string;
  port: string;
  host: string;
  cacheSize?: string;
  cacheTtl?: string;
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
}

export interface ServeIo {
  /** resolves when the server should stop (SIGINT/SIGTERM in the real CLI) */
  untilStopped(server: RunningServer): Promise<void>;
}

const DEFAULT_SCENARIO = 'abac-cel';
/**
 * Largest --cache-size (loadtest and doctor check theirs against it before starting serve).
 * lru-cache allocates about 32 bytes per slot up front (with a TTL), before any entry is stored:
 * 1M slots ≈ 32 MB, and each stored decision adds its key and value on top.
 */
export const SERVE_CACHE_SIZE_MAX = 1_000_000;
/** Largest --cache-ttl. */
export const SERVE_CACHE_TTL_MAX_MS = 24 * 3_600_000;
/** Largest --body-limit: a body is decoded into one string, and V8 strings hold at most this many characters. */
const BODY_LIMIT_MAX = bufferConstants.MAX_STRING_LENGTH;

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
    .option('--no-cache', 'turn the decision cache off')
    .option('--body-limit <bytes>', `largest accepted request body (default ${DEFAULT_BODY_LIMIT_BYTES})`)
    .option('--globals <file>', "YAML/JSON mapping of engine globals, G / globals in CEL (default: the scenario's globals)")
    .option('--lenient-scopes', "resolve a request scope without policies to its nearest ancestor (Cerbos's lenientScopeSearch)")
    .option('--jwks <file>', 'verify auxData JWTs against this JSON Web Key Set (without it they are decoded, not verified)')
    .option('--jwks-id <id>', "the key set's id: requests naming another keySetId are refused")
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
  const bodyLimitBytes = flags.bodyLimit === undefined ? DEFAULT_BODY_LIMIT_BYTES : parseBytes('--body-limit', flags.bodyLimit, { min: 1, max: BODY_LIMIT_MAX });
  if (!flags.cache && (flags.cacheSize !== undefined || flags.cacheTtl !== undefined)) {
    throw new UsageError(`${flags.cacheSize !== undefined ? '--cache-size' : '--cache-ttl'}: cannot be combined with --no-cache`);
  }
  const cache = flags.cache
    ? {
        maxEntries: flags.cacheSize === undefined ? DEFAULT_CACHE.maxEntries : parseInteger('--cache-size', flags.cacheSize, { min: 1, max: SERVE_CACHE_SIZE_MAX }),
        ttlMs: flags.cacheTtl === undefined ? DEFAULT_CACHE.ttlMs : parseDuration('--cache-ttl', flags.cacheTtl, { maxMs: SERVE_CACHE_TTL_MAX_MS, allowZero: true }),
      }
    : false;

  let label: string;
  let policyDir: string;
  let globals: Globals | undefined;
  let lenient = false;
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
  }
  if (flags.globals !== undefined) globals = await readGlobalsFile(path.resolve(ctx.cwd, flags.globals));
  const policySet = await loadPolicySet(policyDir, { lenientScopeSearch: flags.lenientScopes === true || lenient });
  const engine = createEngine(policySet, { cache, celTiming: true, globals });
  const onError = (err: Error): void => void ctx.stderr.write(`authz-perf serve: ${err.message.split('\n')[0]}\n`);
  if (flags.jwksId !== undefined && flags.jwks === undefined) throw new UsageError('--jwks-id: needs --jwks FILE');
  const jwt: JwtOptions = {};
  if (flags.jwks !== undefined) jwt.keySet = parseJwks(await readTextFile(path.resolve(ctx.cwd, flags.jwks), '--jwks'), flags.jwks);
  if (flags.jwksId !== undefined) jwt.keySetId = flags.jwksId;
  const onNotice = (message: string): void => void ctx.stderr.write(`authz-perf serve: note: ${message}\n`);
  const server = await startServer(engine, { host: flags.host, port, bodyLimitBytes, onError, jwt, onNotice }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new UsageError(`--port: ${port} is already in use (try --port 0 for a free one)`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') throw new UsageError(`--host: cannot listen on ${flags.host}`);
    throw err;
  });
  const { resourcePolicies, principalPolicies, rolePolicies } = policySet.stats;
  const n = resourcePolicies + principalPolicies + rolePolicies;
  ctx.stderr.write(`authz-perf serve listening on ${server.url} (${label}, ${n} ${n === 1 ? 'policy' : 'policies'})\n`);
  for (const warning of policySet.warnings) ctx.stderr.write(`authz-perf serve: note: ${warning}\n`);
  await io.untilStopped(server);
  await server.close();
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
  return ['--input-type=module', '-e', script, JSON.stringify(flags)];
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
