/**
 * `authz-perf compare --engines reference,cerbos [--scenario NAME|DIR] [--protocol http,grpc]
 *  [--cpus N] [--step-duration D] [--common-duration D]`: the same seeded stream against each engine,
 * each pinned to the same CPUs (`taskset -c`, and GOMAXPROCS for Cerbos), with the same load:
 * highest rate holding the SLO, latency at a common rate, CPU per 1,000 checks, RSS and decision
 * agreement per action, as one report. Exit 1 when decisions differ, 130 on Ctrl-C.
 */
import { DEFAULTS } from '../load/options.js';
import { WARMUP_SEED_OFFSET } from '../load/plan.js';
import { accessSync, constants as fsConstants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import type { CliContext } from './context.js';
import { EXIT_INTERRUPTED, watchInterrupt } from './interrupt.js';
import { argsAfterCommand, runAction } from './action.js';
import { SEED_RANGE, parseCount, parseInteger } from './flags.js';
import { addReportOptions, emitReport, type ReportOutputOptions } from './report-output.js';
import { serveChildOptions } from './serve.js';
import { grpcListenLine, startServeChild } from '../load/serve-child.js';
import { reportEnvelope } from '../report/build.js';
import { collectEnvironment } from '../report/environment.js';
import type { CompareReport } from '../report/types.js';
import { runCompare, type RunningEngine } from '../compare/run.js';
import type { CpuBudget, EngineName, Protocol } from '../compare/types.js';
import { createEngine, loadPolicySet } from '../engine/index.js';
import { buildRequestSource } from '../load/request-source.js';
import { loadScenario, scenarioRequests } from '../load/scenario-requests.js';
import { requireCerbos, startCerbos } from '../targets/cerbos.js';
import { compareWithCerbos } from '../targets/differential.js';
import { cerbosOptionsFor } from '../targets/scenario-cerbos.js';
import { UsageError } from '../util/errors.js';
import { grpcConnector, type GrpcConnector } from '../load/grpc-sender.js';
import { tryParseDurationMs } from '../util/duration.js';
import { VERSION } from '../util/version.js';

interface CompareFlags extends ReportOutputOptions {
  engines: string;
  scenario: string;
  protocol: string;
  cpus: string;
  pin: boolean;
  stepDuration: string;
  commonDuration: string;
  startRps: string;
  maxSteps: string;
  requests: string;
  seed?: string;
  sloP99?: string;
  verifyRequests: string;
  quiet?: boolean;
}

const ENGINES: readonly EngineName[] = ['reference', 'cerbos'];
const PROTOCOLS: readonly Protocol[] = ['http', 'grpc'];

export function register(program: Command, ctx: CliContext): void {
  const cmd = new Command('compare')
    .description('engines side by side: the same seeded stream and load against each, each pinned to the same CPUs; highest rate holding the SLO, latency at a common rate, CPU per check, RSS, decision agreement')
    .option('--engines <list>', `engines to start on the scenario's policies (${ENGINES.join(', ')})`, 'reference,cerbos')
    .option('--scenario <name|dir>', 'bundled scenario name or folder', 'abac-cel')
    .option('--protocol <list>', `protocols, each run for every engine (${PROTOCOLS.join(', ')})`, 'http')
    .option('--cpus <n>', 'CPU budget of each engine: the last N CPUs (taskset -c; GOMAXPROCS=N for Cerbos)', '1')
    .option('--no-pin', 'do not pin the engines (no taskset, no GOMAXPROCS)')
    .option('--step-duration <d>', 'find-max: length of each step', '1.5s')
    .option('--common-duration <d>', 'length of the run at the common rate', '4s')
    .option('--start-rps <n>', 'find-max: first step', '250')
    .option('--max-steps <n>', 'find-max: at most this many steps per engine', '8')
    .option('--requests <n>', 'distinct requests prepared (cycled)', '20000')
    .option('--verify-requests <n>', 'requests of the decision check (Cerbos against the reference engine)', '2000')
    .option('--seed <n>', "request stream seed (default: the scenario's)")
    .option('--slo-p99 <latency>', "the p99 each engine must hold, e.g. 250ms (default: the scenario's SLO)")
    .option('--quiet', 'no progress lines on stderr');
  addReportOptions(cmd);
  cmd.action(runAction(ctx, async (flags: CompareFlags) => compareAction(ctx, cmd, flags)));
  program.addCommand(cmd);
}

function listFlag<T extends string>(flag: string, raw: string, accepted: readonly T[]): T[] {
  const items = [...new Set(raw.split(',').map((x) => x.trim()).filter(Boolean))];
  const bad = items.find((x) => !accepted.includes(x as T));
  if (bad !== undefined || items.length === 0) throw new UsageError(`${flag}: expected a comma-separated list of ${accepted.join(', ')}, got '${raw}'`);
  return items as T[];
}

function durationFlag(flag: string, raw: string, maxS: number, minMs = 200): number {
  const ms = tryParseDurationMs(raw);
  if (ms === null || ms < minMs || ms > maxS * 1000) throw new UsageError(`${flag}: expected a duration between ${minMs}ms and ${maxS}s (e.g. 1.5s, 500ms), got '${raw}'`);
  return ms / 1000;
}

async function compareAction(ctx: CliContext, cmd: Command, flags: CompareFlags): Promise<number> {
  const engines = listFlag('--engines', flags.engines, ENGINES);
  const protocols = listFlag('--protocol', flags.protocol, PROTOCOLS);
  const cores = os.availableParallelism();
  const cpus = parseInteger('--cpus', flags.cpus, { min: 1, max: cores });
  const stepDurationS = durationFlag('--step-duration', flags.stepDuration, 60);
  const commonDurationS = durationFlag('--common-duration', flags.commonDuration, 600);
  const startRps = parseCount('--start-rps', flags.startRps, { min: 1, max: 1_000_000 });
  const maxSteps = parseInteger('--max-steps', flags.maxSteps, { min: 1, max: 50 });
  const poolSize = parseCount('--requests', flags.requests, { min: 100, max: 1_000_000 });
  const verifyCount = parseCount('--verify-requests', flags.verifyRequests, { min: 1, max: 1_000_000 });
  const sloP99Ms = flags.sloP99 === undefined ? undefined : durationFlag('--slo-p99', flags.sloP99, 60, 1) * 1000;
  const seedFlag = flags.seed === undefined ? undefined : parseInteger('--seed', flags.seed, SEED_RANGE);
  const cerbosBinary = engines.includes('cerbos') ? await requireCerbos({ env: ctx.env }) : null;

  const scenario = await loadScenario(flags.scenario, { cwd: ctx.cwd });
  const seed = seedFlag ?? scenario.seed;
  const cpuBudget = budget(flags.pin, cpus, cores, ctx.env.PATH ?? '');
  const log = (line: string): void => {
    if (!flags.quiet) ctx.stderr.write(`${line}\n`);
  };
  log(`compare: ${engines.join(' vs ')} on ${scenario.name} over ${protocols.join(', ')}; ${cpuBudget.how}`);
  const { requests, expected } = await scenarioRequests(scenario, poolSize, seed, true);
  const source = buildRequestSource(requests, expected);
  const warmup = await scenarioRequests(scenario, 2000, (seed + WARMUP_SEED_OFFSET) >>> 0, false);
  const warmupBodies = buildRequestSource(warmup.requests, null).bodies;

  const pinned = cpuBudget.cpuList;
  const startEngine = async (name: EngineName): Promise<RunningEngine> => {
    if (name === 'cerbos') {
      const c = await startCerbos({ ...cerbosOptionsFor(scenario), binary: cerbosBinary!, ...(pinned !== null ? { cpuList: pinned, env: { GOMAXPROCS: String(cpus) } } : {}) });
      return { version: c.version, pid: c.pid, httpUrl: c.httpUrl, grpcAddress: c.grpcAddress, metricsUrl: `${c.httpUrl}/_cerbos/metrics`, stop: () => c.stop() };
    }
    let grpcAddress: string | null = null;
    const child = await startServeChild(ctx, serveChildOptions(ctx, { scenario: scenario.dir, cache: true, ...(protocols.includes('grpc') ? { grpcPort: '0' } : {}) }), {
      cpuList: pinned,
      onLine: (line) => {
        grpcAddress ??= grpcListenLine(line) ?? null;
      },
    });
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

  const interrupt = watchInterrupt(ctx, 'stopping the engines, then writing the report');
  const connectors: GrpcConnector[] = [];
  const startedAt = new Date();
  try {
    const { section, interrupted } = await runCompare({
      scenario: { name: scenario.name, seed, slo: { p99Ms: sloP99Ms ?? scenario.slo.p99Ms, errorRate: scenario.slo.errorRate } },
      engines,
      protocols,
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
      compareDecisions: (cerbosUrl) => compareWithCerbos({ requests: requests.slice(0, verifyCount), engine: reference, cerbosUrl, maxDifferences: 5, signal: interrupt.signal }),
      stepDurationS,
      commonDurationS,
      startRps,
      maxSteps,
      signal: interrupt.signal,
      log,
      onStep: (engine, protocol, s) => log(`  ${engine}/${protocol}: ${s.targetRps} req/s → p99 ${s.p99Ms} ms, errors ${(s.errorRate * 100).toFixed(2)}% · ${s.verdict === 'inconclusive' ? 'inconclusive' : s.passed ? 'held' : 'broke'}`),
    });
    const report: CompareReport = {
      ...reportEnvelope('compare', argsAfterCommand(cmd), startedAt, new Date(), collectEnvironment(ctx.cwd, true)),
      ...(interrupted ? { interrupted: true } : {}),
      compare: section,
    };
    await emitReport(ctx, report, flags);
    if (interrupted) return EXIT_INTERRUPTED;
    if (section.agreement && section.agreement.differingActions > 0) {
      ctx.stderr.write(`authz-perf: ${section.agreement.differingActions} of ${section.agreement.actions} actions differ between the reference engine and Cerbos\n`);
      return 1;
    }
    return 0;
  } finally {
    for (const c of connectors) c.close();
    interrupt.dispose();
  }
}

/** The last `cpus` CPUs for each engine, through taskset when it is on PATH. */
function budget(pin: boolean, cpus: number, cores: number, envPath: string): CpuBudget {
  if (!pin) return { cpuList: null, cpus: cores, how: 'not pinned (--no-pin): engines may use every CPU' };
  if (!onPath('taskset', envPath)) return { cpuList: null, cpus: cores, how: 'not pinned: taskset is not on PATH (util-linux)' };
  const first = cores - cpus;
  const cpuList = cpus === 1 ? String(first) : `${first}-${cores - 1}`;
  return { cpuList, cpus, how: `each engine on CPU ${cpuList} (taskset -c ${cpuList}; Cerbos also GOMAXPROCS=${cpus}); the load generator unpinned` };
}

function onPath(name: string, envPath: string): boolean {
  return envPath.split(path.delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(path.join(dir, name), fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
