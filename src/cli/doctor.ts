/**
 * `authz-perf doctor`: flags → (the bundled engine in a child process, or --target URL) → the
 * doctor room's front door (observe, optional load and Postgres, rules) → report. Exit 1 when a
 * finding is critical, 130 after Ctrl-C / SIGTERM.
 */
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import type { CliContext } from './context.js';
import { EXIT_INTERRUPTED, watchInterrupt } from './interrupt.js';
import { argsAfterCommand, runAction, writeOutputFile } from './action.js';
import { addReportOptions, emitReport, type ReportOutputOptions } from './report-output.js';
import { SEED_RANGE, parseDuration, parseInteger, parseLatency, parseRate, parseUrl } from './flags.js';
import { LOADTEST_LIMITS } from './loadtest-flags.js';
import { serveChildOptions } from './serve.js';
import type { ServeOptions } from '../serve/run.js';
import { reportEnvelope } from '../report/build.js';
import { collectEnvironment } from '../report/environment.js';
import type { DoctorReport } from '../report/types.js';
import { UsageError } from '../util/errors.js';
import { isLoopback } from '../util/net.js';
import { loadScenario } from '../scenario/index.js';
import type { Scenario } from '../scenario/index.js';
import { EMIT_KINDS, emitArtefact, type EmitKind } from '../doctor/emit.js';
import { runDoctorSession } from '../doctor/session.js';
import { THRESHOLDS } from '../doctor/rules/index.js';
import { validateDatabaseUrl } from '../query/database.js';

export const EXIT_CRITICAL = 1;

interface CliFlags extends ReportOutputOptions {
  target?: string;
  metricsUrl?: string;
  duration?: string;
  interval?: string;
  scenario?: string;
  load?: string;
  requestPool?: string;
  seed?: string;
  cacheSize?: string;
  cacheTtl?: string;
  /** false with --no-cache */
  cache?: boolean;
  maxOldSpaceSize?: string;
  heapSnapshot?: string;
  databaseUrl?: string;
  sloP99?: string;
  emit?: string[];
  /** false with --no-cel-profile */
  celProfile?: boolean;
  quiet?: boolean;
}

const DEFAULT_DURATION_S = 60;

export function register(program: Command, ctx: CliContext): void {
  const cmd = new Command('doctor')
    .description("read a running engine's metrics over a window (optionally under load, with Postgres), apply the tuning playbooks, and say what to change")
    .option('--target <url>', "the engine to observe (our serve, Cerbos, or any service with Prometheus metrics); default: start the bundled engine with --scenario's policies")
    .option('--metrics-url <url>', 'its Prometheus endpoint (default: TARGET/metrics, else TARGET/_cerbos/metrics)')
    .option('--duration <d>', `observation window, and the load's length with --load (default ${DEFAULT_DURATION_S}s)`)
    .option('--interval <d>', 'time between scrapes (default: a tenth of the window, 1s–10s)')
    .option('--scenario <name|dir>', 'scenario whose requests --load sends and whose policies are profiled per CEL expression')
    .option('--load <rps>', 'drive the scenario at this rate (open model) during the window, e.g. 300, 2k')
    .option('--request-pool <n>', '--load: distinct requests cycled (default: rate × duration, at most 20,000)')
    .option('--seed <n>', "request stream seed (default: the scenario's)")
    .option('--cache-size <n>', 'bundled engine: decision cache entries')
    .option('--cache-ttl <d>', 'bundled engine: decision cache TTL')
    .option('--no-cache', 'bundled engine: disable the decision cache')
    .option('--max-old-space-size <MiB>', "bundled engine: V8 heap limit of the serve process (node's --max-old-space-size)")
    .option('--heap-snapshot <dir>', 'bundled engine: write a V8 heap snapshot of the serve process into DIR at the end of the window')
    .option('--database-url <url>', "also read this PostgreSQL's pg_stat_statements, pg_stat_activity and table scan counters over the window")
    .option('--slo-p99 <latency>', `p99 bound for the latency rule (default: the scenario's SLO, else ${THRESHOLDS.sloP99Ms}ms)`)
    .option('--no-cel-profile', 'skip the in-process per-expression CEL profile of the scenario')
    .option('--emit <kind-and-file...>', `also write monitoring for the observed engine: ${EMIT_KINDS.join('|')} FILE (repeatable)`)
    .option('--quiet', 'no progress lines on stderr');
  addReportOptions(cmd);
  cmd.action(runAction(ctx, async (flags: CliFlags) => doctorAction(ctx, cmd, flags)));
  program.addCommand(cmd);
}

interface Plan {
  targetUrl: string | null;
  metricsUrl: string | null;
  windowS: number;
  intervalS: number | undefined;
  rps: number | null;
  requestPool: number | undefined;
  seed: number | undefined;
  sloP99Ms: number | null;
  emits: Array<{ kind: EmitKind; file: string }>;
  maxOldSpaceMiB: number | null;
  /** absolute folder for the bundled engine's heap snapshot */
  heapSnapshotDir: string | null;
  /** the bundled engine's options (null with --target) */
  serve: ServeOptions | null;
}

function parseFlags(flags: CliFlags, cwd: string): Plan {
  const targetUrl = flags.target !== undefined ? parseUrl('--target', flags.target) : null;
  const bundled = targetUrl === null;
  if (!bundled) {
    for (const [flag, v] of [['--cache-size', flags.cacheSize], ['--cache-ttl', flags.cacheTtl], ['--max-old-space-size', flags.maxOldSpaceSize], ['--heap-snapshot', flags.heapSnapshot], ['--no-cache', flags.cache === false ? true : undefined]] as const)
      if (v !== undefined) throw new UsageError(`${flag} configures the bundled engine; it does not apply with --target`);
  } else if (flags.scenario === undefined) throw new UsageError('doctor needs --target URL (a running engine) or --scenario NAME (start the bundled engine with its policies)');
  if (flags.cache === false && (flags.cacheSize !== undefined || flags.cacheTtl !== undefined)) throw new UsageError('--cache-size / --cache-ttl: cannot be combined with --no-cache');
  const serve = bundled
    ? serveChildOptions({ cwd }, {
        scenario: flags.scenario!,
        cache: flags.cache !== false,
        ...(flags.cacheSize !== undefined ? { cacheSize: flags.cacheSize } : {}),
        ...(flags.cacheTtl !== undefined ? { cacheTtl: flags.cacheTtl } : {}),
      })
    : null;
  const rps = flags.load !== undefined ? parseRate('--load', flags.load, LOADTEST_LIMITS.rps) : null;
  if (rps !== null && flags.scenario === undefined) throw new UsageError('--load: needs --scenario NAME (the requests to send)');
  if (flags.requestPool !== undefined && rps === null) throw new UsageError('--request-pool applies with --load only');
  const windowMs = flags.duration !== undefined ? parseDuration('--duration', flags.duration, { maxMs: LOADTEST_LIMITS.durationMs, allowZero: true }) : DEFAULT_DURATION_S * 1000;
  if (!(windowMs >= 1000)) throw new UsageError(`--duration: at least 1s (got '${flags.duration}')`);
  if (flags.databaseUrl !== undefined) validateDatabaseUrl(flags.databaseUrl);
  const intervalMs = flags.interval !== undefined ? parseDuration('--interval', flags.interval, { maxMs: 3_600_000, allowZero: true }) : undefined;
  if (intervalMs !== undefined && !(intervalMs >= 100)) throw new UsageError(`--interval: at least 100ms (got '${flags.interval}')`);
  return {
    targetUrl,
    serve,
    metricsUrl: flags.metricsUrl !== undefined ? parseUrl('--metrics-url', flags.metricsUrl) : null,
    windowS: windowMs / 1000,
    intervalS: intervalMs === undefined ? undefined : intervalMs / 1000,
    rps,
    requestPool: flags.requestPool !== undefined ? parseInteger('--request-pool', flags.requestPool, { min: 1, max: LOADTEST_LIMITS.requestPool }) : undefined,
    seed: flags.seed !== undefined ? parseInteger('--seed', flags.seed, SEED_RANGE) : undefined,
    sloP99Ms: flags.sloP99 !== undefined ? parseLatency('--slo-p99', flags.sloP99, LOADTEST_LIMITS.timeoutMs) : null,
    emits: parseEmits(flags.emit),
    maxOldSpaceMiB: flags.maxOldSpaceSize !== undefined ? parseInteger('--max-old-space-size', flags.maxOldSpaceSize, { min: 16, max: 1_048_576 }) : null,
    heapSnapshotDir: flags.heapSnapshot !== undefined ? path.resolve(cwd, flags.heapSnapshot) : null,
  };
}

function parseEmits(values: string[] | undefined): Array<{ kind: EmitKind; file: string }> {
  if (!values?.length) return [];
  if (values.length % 2 !== 0) throw new UsageError(`--emit: takes KIND FILE pairs, KIND one of ${EMIT_KINDS.join(', ')} (got '${values.join(' ')}')`);
  const out: Array<{ kind: EmitKind; file: string }> = [];
  for (let i = 0; i < values.length; i += 2) {
    const kind = values[i]!;
    if (!(EMIT_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--emit: unknown kind '${kind}', accepted: ${EMIT_KINDS.join(', ')}`);
    out.push({ kind: kind as EmitKind, file: values[i + 1]! });
  }
  return out;
}

export async function doctorAction(ctx: CliContext, cmd: Command, flags: CliFlags): Promise<number> {
  const args = argsAfterCommand(cmd);
  const plan = parseFlags(flags, ctx.cwd);
  const scenario: Scenario | null = flags.scenario !== undefined ? await loadScenario(flags.scenario, { cwd: ctx.cwd }) : null;
  const log = flags.quiet ? undefined : (line: string): void => void ctx.stderr.write(`${line}\n`);
  const interrupt = watchInterrupt(ctx, 'finishing the window early and writing the report');
  const startedAt = new Date();
  try {
    const result = await runDoctorSession(
      {
        targetUrl: plan.targetUrl,
        serve: plan.serve,
        maxOldSpaceMiB: plan.maxOldSpaceMiB,
        heapSnapshotDir: plan.heapSnapshotDir,
        metricsUrl: plan.metricsUrl,
        sloP99Ms: plan.sloP99Ms,
        windowS: plan.windowS,
        ...(plan.intervalS !== undefined ? { intervalS: plan.intervalS } : {}),
        databaseUrl: flags.databaseUrl ?? null,
        scenario,
        load: plan.rps !== null ? { rps: plan.rps, ...(plan.seed !== undefined ? { seed: plan.seed } : {}), ...(plan.requestPool !== undefined ? { requestPool: plan.requestPool } : {}) } : null,
        celProfileBudgetMs: flags.celProfile === false ? 0 : 3000,
        hostCores: os.availableParallelism(),
        cwd: ctx.cwd,
        signal: interrupt.signal,
        ...(log ? { log } : {}),
      },
      ctx,
    );
    const report: DoctorReport = {
      ...reportEnvelope('doctor', args, startedAt, new Date(), collectEnvironment(ctx.cwd, plan.targetUrl === null || isLoopback(result.targetUrl) ? true : null)),
      ...(result.interrupted ? { interrupted: true } : {}),
      doctor: result.section,
    };
    for (const e of plan.emits) {
      const file = path.resolve(ctx.cwd, e.file);
      await writeOutputFile(file, emitArtefact(e.kind, result.section.target.flavour), '--emit');
      ctx.stderr.write(`doctor: ${e.kind} for ${result.section.target.flavour}: ${path.relative(ctx.cwd, file) || file}\n`);
    }
    await emitReport(ctx, report, flags);
    if (result.interrupted) return EXIT_INTERRUPTED;
    if (result.section.worst === 'critical') {
      const ids = [...new Set(result.section.findings.filter((f) => f.severity === 'critical').map((f) => f.ruleId))];
      ctx.stderr.write(`authz-perf: critical finding${ids.length > 1 ? 's' : ''}: ${ids.join(', ')}\n`);
      return EXIT_CRITICAL;
    }
    return 0;
  } finally {
    interrupt.dispose();
  }
}
