/**
 * What the bench suite needs from a scenario and the reference engine, behind one small shape:
 * the scenario's requests (drawn once, seeded), engines with the cache on or off, the CEL
 * evaluations a check performs, per-check stage timings, load+compile, and the HTTP server.
 */
import {
  createEngine,
  emptyStageTimes,
  loadPolicySet,
  readGlobalsFile,
  readPolicyFiles,
  startServer,
  DEFAULT_CACHE,
  type CheckRequest,
  type CheckResponse,
  type Engine,
  type EngineOptions,
  type PolicySet,
  type StageTimes,
  celEnvironment,
} from '../engine/index.js';
import { createRequestStream, listScenarios, loadScenario, takeRequests } from '../scenario/index.js';
import { expressionsFromPolicy } from '../cel/sources.js';
import type { ExpressionInput } from '../cel/analyze.js';
import type { Evaluator, MarcCompiler } from './cel-engines.js';
import type { StageName } from './types.js';

/** One CEL evaluation a check performed: the engine's compiled program and the activation it used. */
export interface BenchEvaluation {
  /** stable id of the expression, `<policy>#<path>` */
  conditionId: string;
  /** the CEL source */
  expr: string;
  program: (activation: unknown) => unknown;
  activation: unknown;
}

export interface BenchEngine {
  readonly engine: Engine;
  check(req: CheckRequest): CheckResponse;
  /** the CEL evaluations an uncached check of `req` performs (variables included) */
  trace(req: CheckRequest): BenchEvaluation[];
  /**
   * One check timed per stage (ns), the way the server runs it: JSON.parse of the request body +
   * cache-key canonicalisation, cache lookup (a miss: the cache is emptied first), policy/rule
   * lookup, CEL, response building + JSON.stringify. The returned object is reused per call.
   */
  stages(req: CheckRequest): Readonly<Record<StageName, number>>;
}

export interface HttpTarget {
  /** e.g. http://127.0.0.1:40123 */
  origin: string;
  close(): Promise<void>;
}

export interface OpenedScenario {
  name: string;
  description?: string;
  policyDir: string;
  policySet: PolicySet;
  requests: CheckRequest[];
  /**
   * `traces[i]`: the CEL evaluations an uncached check of `requests[i]` performs, traced once when
   * the scenario is opened. The programs are the policy set's own compiled ones and each activation
   * is a fresh object per principal/resource pair, so they serve any engine over `policySet`.
   */
  traces: BenchEvaluation[][];
  warnings: string[];
  /**
   * An engine over the loaded policy set (or `policySet`), decision cache on or off; a number is
   * a cache of that many entries (the stage pass empties its cache before every check: keep it small).
   */
  createEngine(cache: boolean | number, policySet?: PolicySet, extra?: Pick<EngineOptions, 'outputs' | 'schemaEnforcement'>): BenchEngine;
  /** loads and compiles the scenario's policies from disk (the `load-compile` task) */
  loadAndCompile(): Promise<PolicySet>;
  /** `serve` on an ephemeral loopback port, backed by this engine */
  startHttp(engine: BenchEngine): Promise<HttpTarget>;
  /** compiles a condition with @marcbachmann/cel-js in the engine's environment (Cerbos functions) */
  compileCel: MarcCompiler;
  /** every condition and variable of the scenario's policy files, as `analyze-cel` reads them */
  analysisInputs: ExpressionInput[];
}

export async function listBenchScenarios(): Promise<Array<{ name: string; description?: string }>> {
  return (await listScenarios()).map((s) => (s.description ? { name: s.name, description: s.description } : { name: s.name }));
}

export async function openScenario(
  nameOrDir: string,
  options: { seed: number; requests: number; globalsFile?: string; lenientScopes?: boolean },
): Promise<OpenedScenario> {
  const loaded = await loadScenario(nameOrDir);
  const scenario = {
    ...loaded,
    ...(options.globalsFile !== undefined ? { globals: await readGlobalsFile(options.globalsFile) } : {}),
    ...(options.lenientScopes ? { lenientScopeSearch: true } : {}),
  };
  const setOptions = { lenientScopeSearch: scenario.lenientScopeSearch === true };
  const policySet = await loadPolicySet(scenario.policyDir, setOptions);
  // Distinct requests (no repeats): the cached task warms them all, the others want variety.
  const requests = takeRequests(createRequestStream(scenario, { seed: options.seed, repeatShare: 0 }), options.requests);
  const cache = { maxEntries: Math.max(DEFAULT_CACHE.maxEntries, options.requests * 4), ttlMs: DEFAULT_CACHE.ttlMs };
  const opened: OpenedScenario = {
    name: scenario.name,
    policyDir: scenario.policyDir,
    policySet,
    requests,
    traces: [],
    warnings: [],
    createEngine: (c, ps = policySet, extra = {}) =>
      benchEngine(createEngine(ps, { cache: c === false ? false : c === true ? cache : { maxEntries: c, ttlMs: cache.ttlMs }, globals: scenario.globals, ...extra })),
    loadAndCompile: () => loadPolicySet(scenario.policyDir, setOptions),
    startHttp,
    compileCel,
    analysisInputs: (await readPolicyFiles(scenario.policyDir)).flatMap((f) => expressionsFromPolicy(f.text, f.file, true).inputs),
  };
  if (scenario.description) opened.description = scenario.description;
  opened.warnings.push(...policySet.warnings);
  const tracer = opened.createEngine(false);
  opened.traces = requests.map((req) => tracer.trace(req));
  const unexercised = unexercisedConditions(policySet, opened.traces);
  if (unexercised > 0) {
    opened.warnings.push(`${unexercised} of ${policySet.expressions.length} CEL expressions were not evaluated by the ${requests.length} sampled requests (no per-condition task for them)`);
  }
  return opened;
}

function unexercisedConditions(policySet: PolicySet, traces: BenchEvaluation[][]): number {
  const seen = new Set<string>();
  for (const evals of traces) for (const e of evals) seen.add(e.conditionId);
  return policySet.expressions.filter((e) => !seen.has(e.id)).length;
}

function benchEngine(engine: Engine): BenchEngine {
  const times: StageTimes = emptyStageTimes();
  const out: Record<StageName, number> = { parse: 0, cacheLookup: 0, policyLookup: 0, celEval: 0, serialise: 0 };
  const bodies = new WeakMap<CheckRequest, string>();
  return {
    engine,
    check: (req) => engine.check(req),
    trace: (req) =>
      engine.traceCheck(req).evaluations.map((e) => ({
        conditionId: e.expr.id,
        expr: e.expr.text,
        program: e.expr.program as (activation: unknown) => unknown,
        activation: e.activation,
      })),
    stages(req) {
      let body = bodies.get(req);
      if (body === undefined) {
        body = JSON.stringify(req);
        bodies.set(req, body);
      }
      engine.clearCache();
      Object.assign(times, emptyStageTimes());
      const t0 = process.hrtime.bigint();
      const parsed = JSON.parse(body) as CheckRequest;
      const t1 = process.hrtime.bigint();
      const response = engine.checkWithStages(parsed, times);
      const t2 = process.hrtime.bigint();
      JSON.stringify(response);
      const t3 = process.hrtime.bigint();
      out.parse = Number(t1 - t0) + times.canonicaliseNs;
      out.cacheLookup = times.cacheLookupNs;
      out.policyLookup = times.policyLookupNs;
      out.celEval = times.celEvalNs;
      out.serialise = times.responseNs + Number(t3 - t2);
      return out;
    },
  };
}

function compileCel(expr: string): Evaluator {
  const program = celEnvironment().parse(expr);
  return (input) => program(input);
}

async function startHttp(be: BenchEngine): Promise<HttpTarget> {
  const server = await startServer(be.engine, { host: '127.0.0.1', port: 0 });
  return { origin: new URL(server.url).origin, close: () => server.close() };
}
