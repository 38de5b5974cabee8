/**
 * The reference engine — the public API every other room (bench, load, scenario, targets, cel, cli) imports.
 *
 *   loadPolicySet(dir): Promise<PolicySet>
 *       All .yaml/.yml/.json under dir (recursive; Cerbos `*_test.yaml` suites and `testdata/` skipped).
 *       Every CEL condition and variable is parsed, type-checked and compiled ONCE here; syntax errors,
 *       unknown functions/variables/constants → InputError `file:line:column: message`.
 *       Cerbos's disk-store layout: `_schemas/`, `testdata/`, `*_test.*` and hidden files are skipped;
 *       YAML files may hold several documents; `disabled: true` policies are skipped. Resource,
 *       principal, role and derived-role policies, exported variables/constants, scopes and versions.
 *       `{ lenientScopeSearch }` as Cerbos's engine setting.
 *   compilePolicySources([{ file, text }]): PolicySet           same, from memory (tests)
 *   policyTreeFiles(dir, alsoInclude?)   the paths loadPolicySet reads (plus files alsoInclude accepts)
 *
 *   createEngine(policySet, { cache: { maxEntries, ttlMs } | false, now?, celTiming? }): Engine
 *       check(req)                       Cerbos CheckResources semantics (see engine.ts); results are
 *                                        shared with the decision cache: treat them as read-only
 *       checkWithStages(req, out)        same decision, ns per stage added into `out` (emptyStageTimes())
 *       traceCheck(req)                  uncached; { response, evaluations[{ expr, activation, result }] }
 *                                        — re-run expr.program(activation) to time CEL alone
 *       cacheStats()                     { enabled, hits, misses, size, maxEntries, ttlMs }
 *       celStats()                       { evaluations, totalNs } (counted with celTiming: true)
 *
 *   startServer(engine, { host = '127.0.0.1', port = 3592, bodyLimitBytes = 1 MiB })
 *       → Promise<{ url, port, close(), metrics }>: POST /api/check/resources, GET /health, GET /metrics
 *       (prom-client: a Registry per server for authz_perf_*, merged with one process-wide registry of
 *       process_* / nodejs_* metrics).
 *   toCheckRequest(json)                  a parsed body → CheckRequest, or RequestShapeError naming the field
 *
 *   celNestingError(text)                 where an expression nests deeper than CEL_MAX_NESTING (500)
 *                                         levels, checked before any recursive parse (compileCel does)
 *   parsePolicySource / walkExpressions   policy files → typed documents and every expression with
 *                                         its location (for analyze-cel), without compiling CEL.
 */
export type * from './types.js';
export { loadPolicySet, compilePolicySources, readPolicyFiles, actionPattern, buildChain } from './policy-set.js';
export { principalValue, resourceValue, policyTreeFiles } from './policy-set.js';
export type { PolicySetOptions, Chain, CompiledPrincipalPolicy, CompiledRolePolicy } from './policy-set.js';
export { readGlobalsFile, parseGlobals, globalsFromYaml } from './globals.js';
export { parseJwks, UNVERIFIED_NOTICE } from './aux-data.js';
export type { JwtOptions } from './aux-data.js';
export type {
  PolicySet,
  PolicySetStats,
  CompiledExpr,
  CompiledVariable,
  CompiledResourcePolicy,
  CompiledRule,
  CompiledDerivedRole,
  KeyPlan,
  Scope,
  PolicySourceFile,
} from './policy-set.js';
export { createEngine, emptyStageTimes, DEFAULT_CACHE } from './engine.js';
export { DEFAULT_CACHE_MAX_BYTES } from './decision-cache.js';
export type { Engine, EngineOptions, CacheOptions, CacheStats, StageTimes, TraceEntry, CheckTrace, CelStats } from './engine.js';
export type { Activation } from './cel.js';
export { celEnvironment, celNestingError, CEL_MAX_NESTING } from './cel.js';
export { parsePolicySource, parsePolicyDocuments, walkExpressions, exprPosition } from './policy-source.js';
export { startServer, DEFAULT_PORT, DEFAULT_BODY_LIMIT_BYTES } from './server.js';
export type { ServerOptions, RunningServer } from './server.js';
export type { ServerMetrics } from './metrics.js';
export { toCheckRequest, RequestShapeError, CHECK_PATH } from './request.js';
export { DEFAULT_REQUEST_LIMITS, RequestLimitError, checkJsonLimits, checkCountLimits } from './request-limits.js';
export type { RequestLimits } from './request-limits.js';
export { DEFAULT_EVAL_BUDGET_MS, BudgetExceededError, checkWithinBudget } from './budget.js';
export { DEFAULT_MAX_INFLIGHT, createLoadShedder } from './shedding.js';
export type {
  PolicyDocument,
  PolicyExpression,
  ExpressionKind,
  ExprLocation,
  SourceExpr,
  ConditionNode,
  ResourcePolicyDoc,
  DerivedRolesDoc,
  ExportVariablesDoc,
  ExportConstantsDoc,
  PrincipalPolicyDoc,
  RolePolicyDoc,
  ScopePermissions,
} from './policy-source.js';

// serving: metrics, node:cluster workers, schema enforcement modes, policy reload
export { createServerMetrics, processMetricsRegistry } from './metrics.js';
export { WorkerStartError, isClusterWorker, scrapeCluster, startCluster, workerListening, untilDisconnected, workerFailed } from './workers.js';
export { SCHEMA_ENFORCEMENTS } from './schemas.js';
export type { SchemaEnforcement } from './schemas.js';
export { SwappableEngine, watchPolicies } from './reload.js';
/** The gRPC server, loaded on demand: @grpc/grpc-js takes a while to import on a busy host. */
export const loadGrpcServer = (): Promise<typeof import('./grpc-server.js')> => import('./grpc-server.js');

// decision-key pieces and the chain index the cache-floor bench (bench/cache-floor.ts) measures with
export { ChainIndex } from './chain-index.js';
export { finish, matches, mixInt, mixString, mixStrings, mixValue, resetHashBudget, sameStrings, snapshot } from './decision-key.js';
export type { PolicyKey } from './decision-key.js';
