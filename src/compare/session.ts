/**
 * The compare command's run around runCompare (run.ts): the seeded requests and their expected
 * decisions, the warm-up requests, the engines started on the CPU budget (Cerbos, or our serve in
 * a child process), their HTTP or gRPC senders, and the decision check against the reference engine.
 */
import { createEngine, loadPolicySet } from '../engine/index.js';
import { DEFAULTS } from '../load/options.js';
import { WARMUP_SEED_OFFSET } from '../load/plan.js';
import { buildRequestSource } from '../load/request-source.js';
import { scenarioRequests } from '../load/scenario-requests.js';
import { grpcListenLine, startServeChild, type ServeChildIo } from '../load/serve-child.js';
import { grpcConnector, type GrpcConnector } from '../load/grpc-sender.js';
import { loadScenario } from '../scenario/index.js';
import { serveDefaults } from '../serve/run.js';
import { requireCerbos, startCerbos } from '../targets/cerbos.js';
import { compareWithCerbos } from '../targets/differential.js';
import { cerbosOptionsFor } from '../targets/scenario-cerbos.js';
import { findOnPath } from '../util/which.js';
import { VERSION } from '../util/version.js';
import { runCompare, type CompareOptions, type RunningEngine } from './run.js';
import type { CompareSection, CpuBudget, EngineName, Protocol } from './types.js';

/** warm-up requests of another seed, prepared once for every engine */
const WARMUP_REQUESTS = 2000;

export interface CompareSessionInput extends Pick<CompareOptions, 'engines' | 'protocols' | 'stepDurationS' | 'commonDurationS' | 'warmupS' | 'startRps' | 'maxSteps' | 'signal' | 'log' | 'onStep'> {
  /** bundled scenario name or folder (relative to `cwd`) */
  scenario: string;
  cwd: string;
  /** default: the scenario's seed */
  seed?: number;
  /** default: the scenario's SLO p99 */
  sloP99Ms?: number;
  /** distinct requests prepared (cycled) */
  poolSize: number;
  /** requests of the decision check */
  verifyCount: number;
  /** pin each engine to the last `cpus` CPUs (taskset; GOMAXPROCS for Cerbos) */
  pin: boolean;
  cpus: number;
  /** CPUs of this host */
  cores: number;
  /** the serve child's output and environment (PATH finds taskset and Cerbos) */
  io: ServeChildIo;
}

export async function runCompareSession(i: CompareSessionInput): Promise<{ section: CompareSection; interrupted: boolean }> {
  const { io } = i;
  const cerbosBinary = i.engines.includes('cerbos') ? await requireCerbos({ env: io.env }) : null;
  const scenario = await loadScenario(i.scenario, { cwd: i.cwd });
  const seed = i.seed ?? scenario.seed;
  const cpuBudget = budget(i.pin, i.cpus, i.cores, io.env.PATH ?? '');
  i.log?.(`compare: ${i.engines.join(' vs ')} on ${scenario.name} over ${i.protocols.join(', ')}; ${cpuBudget.how}`);
  const { requests, expected } = await scenarioRequests(scenario, i.poolSize, seed, true);
  const source = buildRequestSource(requests, expected);
  const warmup = await scenarioRequests(scenario, WARMUP_REQUESTS, (seed + WARMUP_SEED_OFFSET) >>> 0, false);
  const warmupBodies = buildRequestSource(warmup.requests, null).bodies;

  const pinned = cpuBudget.cpuList;
  const startEngine = async (name: EngineName): Promise<RunningEngine> => {
    if (name === 'cerbos') {
      const c = await startCerbos({ ...cerbosOptionsFor(scenario), binary: cerbosBinary!, ...(pinned !== null ? { cpuList: pinned, env: { GOMAXPROCS: String(i.cpus) } } : {}) });
      return { version: c.version, pid: c.pid, httpUrl: c.httpUrl, grpcAddress: c.grpcAddress, metricsUrl: `${c.httpUrl}/_cerbos/metrics`, stop: () => c.stop() };
    }
    let grpcAddress: string | null = null;
    const options = { ...serveDefaults(i.cwd), scenario: scenario.dir, ...(i.protocols.includes('grpc') ? { grpcPort: 0 } : {}) };
    const child = await startServeChild(io, options, { cpuList: pinned, onLine: (line) => void (grpcAddress ??= grpcListenLine(line) ?? null) });
    return {
      version: VERSION,
      pid: child.pid,
      httpUrl: child.url,
      get grpcAddress() {
        return grpcAddress;
      },
      metricsUrl: `${child.url}/metrics`,
      stop: () => child.stop(),
    };
  };
  const reference = createEngine(await loadPolicySet(scenario.policyDir, { lenientScopeSearch: scenario.lenientScopeSearch === true }), { cache: false, globals: scenario.globals });
  const connectors: GrpcConnector[] = [];
  try {
    return await runCompare({
      scenario: { name: scenario.name, seed, slo: { p99Ms: i.sloP99Ms ?? scenario.slo.p99Ms, errorRate: scenario.slo.errorRate } },
      engines: i.engines,
      protocols: i.protocols,
      cpuBudget,
      source,
      warmupBodies,
      startEngine,
      loadTarget: (protocol, engine) => {
        if (protocol === 'http') return { origin: engine.httpUrl, source };
        const connector = grpcConnector(engine.grpcAddress!);
        connectors.push(connector);
        return { origin: engine.httpUrl, source, senders: connector.senders(source, DEFAULTS.timeoutMs) };
      },
      compareDecisions: (cerbosUrl) => compareWithCerbos({ requests: requests.slice(0, i.verifyCount), engine: reference, cerbosUrl, maxDifferences: 5, ...(i.signal ? { signal: i.signal } : {}) }),
      stepDurationS: i.stepDurationS,
      commonDurationS: i.commonDurationS,
      warmupS: i.warmupS,
      startRps: i.startRps,
      maxSteps: i.maxSteps,
      ...(i.signal ? { signal: i.signal } : {}),
      ...(i.log ? { log: i.log } : {}),
      ...(i.onStep ? { onStep: i.onStep } : {}),
    });
  } finally {
    for (const c of connectors) c.close();
  }
}

/** The last `cpus` CPUs for each engine, through taskset when it is on PATH. */
function budget(pin: boolean, cpus: number, cores: number, envPath: string): CpuBudget {
  if (!pin) return { cpuList: null, cpus: cores, how: 'not pinned (--no-pin): engines may use every CPU' };
  if (findOnPath('taskset', envPath) === null) return { cpuList: null, cpus: cores, how: 'not pinned: taskset is not on PATH (util-linux)' };
  const first = cores - cpus;
  const cpuList = cpus === 1 ? String(first) : `${first}-${cores - 1}`;
  return { cpuList, cpus, how: `each engine on CPU ${cpuList} (taskset -c ${cpuList}; Cerbos also GOMAXPROCS=${cpus}); the load generator unpinned` };
}
