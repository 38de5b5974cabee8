/**
 * The serve room's front door: the reference engine on a scenario's (or a folder's) policies,
 * served over HTTP (and gRPC with a port for it), as one server or the primary of a node:cluster,
 * until `io.untilStopped` resolves.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createEngine,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_CACHE,
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_EVAL_BUDGET_MS,
  DEFAULT_MAX_INFLIGHT,
  DEFAULT_REQUEST_LIMITS,
  createServerMetrics,
  isClusterWorker,
  loadGrpcServer,
  loadPolicySet,
  processMetricsRegistry,
  readGlobalsFile,
  scrapeCluster,
  startCluster,
  startServer,
  SwappableEngine,
  watchPolicies,
  workerListening,
  WorkerStartError,
  type CacheOptions,
  type Engine,
  type Globals,
  type JwtOptions,
  type RequestLimits,
  type SchemaEnforcement,
} from '../engine/index.js';
import { loadScenario } from '../scenario/index.js';
import { policyTestWarnings } from '../policytest/warnings.js';
import { UsageError } from '../util/errors.js';

export const DEFAULT_SCENARIO = 'abac-cel';

/** The script node:cluster runs in each worker of `serve --workers N`. */
const WORKER_ENTRY = fileURLToPath(new URL('./worker-entry.js', import.meta.url));

/** Resolved serve options (the CLI parses the flags into these). */
export interface ServeOptions {
  /** bundled scenario name or folder (default DEFAULT_SCENARIO), unless `policies` is given */
  scenario?: string;
  /** a policy folder instead of a scenario */
  policies?: string;
  /** folder that relative paths are read from */
  cwd: string;
  host: string;
  port: number;
  /** also serve gRPC on this port (0 = a free one) */
  grpcPort: number | null;
  cache: CacheOptions | false;
  bodyLimitBytes: number;
  limits: RequestLimits;
  /** evaluation time per request; 0: no budget */
  evalBudgetMs: number;
  maxInflight: number;
  /** YAML/JSON file of engine globals (replaces the scenario's) */
  globalsFile?: string;
  lenientScopes: boolean;
  jwt: JwtOptions;
  workers: number;
  watch: boolean;
  schemaEnforcement: SchemaEnforcement;
  /** false: skip the policy test suites (a serve child: the command that started it runs them itself) */
  policyTests: boolean;
}

/** The options of `serve` without flags: the bundled engine's defaults, cache on, on 127.0.0.1 at a free port. */
export function serveDefaults(cwd: string): ServeOptions {
  return {
    cwd,
    host: '127.0.0.1',
    port: 0,
    grpcPort: null,
    cache: { ...DEFAULT_CACHE, maxBytes: DEFAULT_CACHE_MAX_BYTES },
    bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES,
    limits: { ...DEFAULT_REQUEST_LIMITS },
    evalBudgetMs: DEFAULT_EVAL_BUDGET_MS,
    maxInflight: DEFAULT_MAX_INFLIGHT,
    lenientScopes: false,
    jwt: {},
    workers: 1,
    watch: false,
    schemaEnforcement: 'none',
    policyTests: true,
  };
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
  stderr: { write(chunk: string): unknown };
}

export async function runServe(o: ServeOptions, io: ServeIo): Promise<number> {
  const log = (line: string): void => void io.stderr.write(`authz-perf serve${line}\n`);
  let label: string;
  let policyDir: string;
  let globals: Globals | undefined;
  let lenient = false;
  let testsDir: string | null = null;
  if (o.policies !== undefined) {
    policyDir = path.resolve(o.cwd, o.policies);
    label = `policies ${o.policies}`;
  } else {
    const scenario = await loadScenario(o.scenario ?? DEFAULT_SCENARIO, { cwd: o.cwd });
    policyDir = scenario.policyDir;
    label = `scenario ${scenario.name}`;
    globals = scenario.globals;
    lenient = scenario.lenientScopeSearch === true;
    testsDir = scenario.testsDir;
  }
  if (o.globalsFile !== undefined) globals = await readGlobalsFile(path.resolve(o.cwd, o.globalsFile));
  const build = async (): Promise<Engine> =>
    createEngine(await loadPolicySet(policyDir, { lenientScopeSearch: o.lenientScopes || lenient }), { cache: o.cache, celTiming: true, globals, schemaEnforcement: o.schemaEnforcement });
  const engine = new SwappableEngine(await build());
  const policySet = engine.policySet;
  if (!isClusterWorker() && o.policyTests)
    for (const warning of await policyTestWarnings(io.stderr, 'authz-perf serve', { policyDir, testsDir, lenientScopeSearch: lenient })) log(`: warning: ${warning}`);
  const { resourcePolicies, principalPolicies, rolePolicies } = policySet.stats;
  const n = resourcePolicies + principalPolicies + rolePolicies;
  const what = `${label}, ${n} ${n === 1 ? 'policy' : 'policies'}`;
  if (o.workers > 1 && !isClusterWorker()) return serveCluster(o, what, policySet.warnings, io);
  // a cluster worker's /metrics is every worker's, aggregated by the primary
  const metrics = isClusterWorker() ? createServerMetrics(engine, { scrape: scrapeCluster }) : undefined;
  const server = await startServer(engine, {
    host: o.host,
    port: o.port,
    bodyLimitBytes: o.bodyLimitBytes,
    onError: (err: Error) => log(`: ${err.message.split('\n')[0]}`),
    jwt: o.jwt,
    onNotice: (message: string) => log(`: note: ${message}`),
    limits: o.limits,
    evalBudgetMs: o.evalBudgetMs === 0 ? Infinity : o.evalBudgetMs,
    maxInflight: o.maxInflight,
    ...(metrics ? { metrics } : {}),
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new UsageError(`--port: ${o.port} is already in use (try --port 0 for a free one)`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') throw new UsageError(`--host: cannot listen on ${o.host}`);
    throw err;
  });
  // announced before the "listening on" line, which tells a parent process the server is ready
  const grpcServer =
    o.grpcPort === null
      ? null
      : await (await loadGrpcServer()).startGrpcServer(engine, { host: o.host, port: o.grpcPort, metrics: server.metrics, jwt: o.jwt }).catch(async (err: Error) => {
          await server.close();
          throw new UsageError(`--grpc-port: cannot listen on ${o.host}:${o.grpcPort} (${err.message.split('\n')[0]})`);
        });
  if (grpcServer) log(`: gRPC on ${grpcServer.address} (cerbos.svc.v1.CerbosService/CheckResources)`);
  if (isClusterWorker()) {
    // the primary prints the listening line and the notes once
    workerListening(server.url, [processMetricsRegistry(), server.metrics.registry]);
  } else {
    log(` listening on ${server.url} (${what})`);
    for (const warning of policySet.warnings) log(`: note: ${warning}`);
  }
  const watcher = o.watch
    ? watchPolicies({ dir: policyDir, engine, build, onReload: () => log(`: policies reloaded from ${policyDir}`), onError: (m) => log(`: reload failed, previous policies kept: ${m}`) })
    : null;
  try {
    await io.untilStopped({ url: server.url, workers: 1 });
  } finally {
    watcher?.close();
    await grpcServer?.close();
    await server.close();
  }
  return 0;
}

/** The primary of `serve --workers N`: forks the workers, prints the listening line, stops them. */
async function serveCluster(o: ServeOptions, what: string, warnings: readonly string[], io: ServeIo): Promise<number> {
  const started = await startCluster(o.workers, WORKER_ENTRY, [JSON.stringify({ ...o, workers: 1 })]).catch((err: unknown) => {
    if (err instanceof WorkerStartError) throw err.exitCode === 2 ? new UsageError(err.message) : new Error(err.message);
    throw err;
  });
  try {
    io.stderr.write(`authz-perf serve listening on ${started.url} (${what}, ${o.workers} workers)\n`);
    for (const warning of warnings) io.stderr.write(`authz-perf serve: note: ${warning}\n`);
    await io.untilStopped({ url: started.url, workers: o.workers });
  } finally {
    await started.close();
  }
  return 0;
}
