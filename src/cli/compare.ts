/**
 * `authz-perf compare --engines reference,cerbos [--scenario NAME|DIR] [--protocol http,grpc]
 *  [--cpus N] [--step-duration D] [--common-duration D]`: the same seeded stream against each engine,
 * each pinned to the same CPUs (`taskset -c`, and GOMAXPROCS for Cerbos), with the same load:
 * highest rate holding the SLO, latency at a common rate, CPU per 1,000 checks, RSS and decision
 * agreement per action, as one report. Exit 1 when decisions differ, 130 on Ctrl-C.
 */
import os from 'node:os';
import { Command } from 'commander';
import type { CliContext } from './context.js';
import { EXIT_INTERRUPTED, watchInterrupt } from './interrupt.js';
import { argsAfterCommand, runAction } from './action.js';
import { SEED_RANGE, parseCount, parseDuration, parseDurationS, parseInteger, parseList } from './flags.js';
import { addReportOptions, emitReport, type ReportOutputOptions } from './report-output.js';
import { reportEnvelope } from '../report/build.js';
import { collectEnvironment } from '../report/environment.js';
import type { CompareReport } from '../report/types.js';
import { runCompareSession } from '../compare/session.js';
import type { EngineName, Protocol } from '../compare/types.js';

interface CompareFlags extends ReportOutputOptions {
  engines: string;
  scenario: string;
  protocol: string;
  cpus: string;
  pin: boolean;
  stepDuration: string;
  commonDuration: string;
  warmup: string;
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
    .option('--warmup <d>', 'before each find-max search and each run at the common rate: an unrecorded ramp to its first rate, with requests of another seed (0 = none)', '1s')
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

async function compareAction(ctx: CliContext, cmd: Command, flags: CompareFlags): Promise<number> {
  const engines = parseList('--engines', flags.engines, ENGINES);
  const protocols = parseList('--protocol', flags.protocol, PROTOCOLS);
  const cores = os.availableParallelism();
  const cpus = parseInteger('--cpus', flags.cpus, { min: 1, max: cores });
  const stepDurationS = parseDurationS('--step-duration', flags.stepDuration, 60);
  const commonDurationS = parseDurationS('--common-duration', flags.commonDuration, 600);
  const warmupS = flags.warmup.trim() === '0' ? 0 : parseDuration('--warmup', flags.warmup, { maxMs: 60_000, allowZero: true }) / 1000;
  const startRps = parseCount('--start-rps', flags.startRps, { min: 1, max: 1_000_000 });
  const maxSteps = parseInteger('--max-steps', flags.maxSteps, { min: 1, max: 50 });
  const poolSize = parseCount('--requests', flags.requests, { min: 100, max: 1_000_000 });
  const verifyCount = parseCount('--verify-requests', flags.verifyRequests, { min: 1, max: 1_000_000 });
  const sloP99Ms = flags.sloP99 === undefined ? undefined : parseDurationS('--slo-p99', flags.sloP99, 60, 1) * 1000;
  const seed = flags.seed === undefined ? undefined : parseInteger('--seed', flags.seed, SEED_RANGE);
  const log = (line: string): void => {
    if (!flags.quiet) ctx.stderr.write(`${line}\n`);
  };
  const interrupt = watchInterrupt(ctx, 'stopping the engines, then writing the report');
  const startedAt = new Date();
  try {
    const { section, interrupted } = await runCompareSession({
      scenario: flags.scenario,
      cwd: ctx.cwd,
      ...(seed !== undefined ? { seed } : {}),
      ...(sloP99Ms !== undefined ? { sloP99Ms } : {}),
      engines,
      protocols,
      poolSize,
      verifyCount,
      pin: flags.pin,
      cpus,
      cores,
      io: ctx,
      stepDurationS,
      commonDurationS,
      warmupS,
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
    interrupt.dispose();
  }
}
