/**
 * `authz-perf doctor`: flags → (the bundled engine in a child process, or --target URL) → the
 * doctor room's front door (observe, optional load and Postgres, rules) → report. Exit 1 when a
 * finding is critical, 130 after Ctrl-C / SIGTERM.
 */
import { mkdir, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import http from 'node:http';
import https from 'node:https';
import type { CliContext } from './context.js';
import { EXIT_INTERRUPTED, watchInterrupt } from './interrupt.js';
import { argsAfterCommand, runAction, writeOutputFile } from './action.js';
import { addReportOptions, emitReport, type ReportOutputOptions } from './report-output.js';
import { SEED_RANGE, parseDuration, parseInteger, parseLatency, parseRate, parseUrl } from './flags.js';
import { LOADTEST_LIMITS } from './loadtest-flags.js';
import { serveChildOptions } from './serve.js';
import { startServeChild } from '../load/serve-child.js';
import type { ServeOptions } from '../serve/run.js';
import { reportEnvelope } from '../report/build.js';
import { collectEnvironment } from '../report/environment.js';
import type { DoctorReport } from '../report/types.js';
import { UsageError } from '../util/errors.js';
import { isLoopback } from '../util/net.js';
import type { BundledTarget } from '../load/target.js';
import { sleep } from '../load/run-types.js';
import { loadScenario } from '../scenario/index.js';
import type { Scenario } from '../scenario/index.js';
import { openServer, validateDatabaseUrl } from '../query/database.js';
import type { DbAdapter } from '../query/adapter.js';
import { runDoctor } from '../doctor/run.js';
import { EMIT_KINDS, emitArtefact, type EmitKind } from '../doctor/emit.js';
import { THRESHOLDS } from '../doctor/rules/index.js';

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

/** GET a metrics page (node:http: a scrape must not share the load generator's connection pools). */
export function fetchText(url: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${url} answered HTTP ${res.statusCode}`));
        else resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new Error(`${url}: ${err.message}`)));
  });
}

/** TARGET/metrics (serve), else TARGET/_cerbos/metrics (Cerbos); a usage error when neither answers. */
async function findMetricsUrl(target: string): Promise<string> {
  const reasons: string[] = [];
  for (const p of ['/metrics', '/_cerbos/metrics']) {
    const url = `${target}${p}`;
    try {
      await fetchText(url);
      return url;
    } catch (err) {
      reasons.push((err as Error).message.split('\n')[0] ?? '');
    }
  }
  throw new UsageError(`--target: no Prometheus metrics at ${target}/metrics or ${target}/_cerbos/metrics (${reasons.join('; ')}); give --metrics-url`);
}

export async function doctorAction(ctx: CliContext, cmd: Command, flags: CliFlags): Promise<number> {
  const args = argsAfterCommand(cmd);
  const plan = parseFlags(flags, ctx.cwd);
  const scenario: Scenario | null = flags.scenario !== undefined ? await loadScenario(flags.scenario, { cwd: ctx.cwd }) : null;
  const log = flags.quiet ? undefined : (line: string): void => void ctx.stderr.write(`${line}\n`);

  const interrupt = watchInterrupt(ctx, 'finishing the window early and writing the report');

  const startedAt = new Date();
  let stopTarget: (() => Promise<void>) | null = null;
  let child: BundledTarget | null = null;
  let db: DbAdapter | null = null;
  try {
    let targetUrl = plan.targetUrl;
    if (targetUrl === null) {
      if (plan.heapSnapshotDir) await mkdir(plan.heapSnapshotDir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(`--heap-snapshot: cannot create ${plan.heapSnapshotDir} (${err.code ?? err.message})`);
      });
      const started = await startServeChild(ctx, plan.serve!, {
        nodeOptions: [
          ...(plan.maxOldSpaceMiB !== null ? [`--max-old-space-size=${plan.maxOldSpaceMiB}`] : []),
          ...(plan.heapSnapshotDir !== null ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${plan.heapSnapshotDir}`] : []),
        ],
      });
      child = started;
      stopTarget = () => started.stop();
      targetUrl = started.url;
      log?.(`doctor: started the bundled engine at ${targetUrl} (scenario ${scenario!.name})`);
    }
    const metricsUrl = plan.metricsUrl ?? (await findMetricsUrl(targetUrl));
    if (flags.databaseUrl !== undefined) db = await openServer(flags.databaseUrl);
    const slo = plan.sloP99Ms !== null
      ? { p99Ms: plan.sloP99Ms, errorRate: scenario?.slo.errorRate ?? THRESHOLDS.errorRate, source: '--slo-p99' }
      : scenario
        ? { p99Ms: scenario.slo.p99Ms, errorRate: scenario.slo.errorRate, source: `scenario ${scenario.name}` }
        : { p99Ms: THRESHOLDS.sloP99Ms, errorRate: THRESHOLDS.errorRate, source: 'checklist default' };
    const result = await runDoctor(
      {
        targetUrl,
        metricsUrl,
        bundled: plan.targetUrl === null,
        windowS: plan.windowS,
        ...(plan.intervalS !== undefined ? { intervalS: plan.intervalS } : {}),
        slo,
        scenario,
        load: plan.rps !== null ? { rps: plan.rps, ...(plan.seed !== undefined ? { seed: plan.seed } : {}), ...(plan.requestPool !== undefined ? { requestPool: plan.requestPool } : {}) } : null,
        database: db,
        celProfileBudgetMs: flags.celProfile === false ? 0 : 3000,
        hostCores: os.availableParallelism(),
        cwd: ctx.cwd,
        signal: interrupt.signal,
        ...(log ? { log } : {}),
      },
      { fetchText, now: () => performance.now(), sleep },
    );
    if (plan.heapSnapshotDir && child && !result.interrupted) {
      const file = await takeHeapSnapshot(child, plan.heapSnapshotDir);
      result.section.notes.push(file ? `heap snapshot of the engine at the end of the window: ${path.relative(ctx.cwd, file) || file}` : 'the heap snapshot was not written within 60 s');
      if (file) log?.(`doctor: heap snapshot ${path.relative(ctx.cwd, file) || file}`);
    }
    const report: DoctorReport = {
      ...reportEnvelope('doctor', args, startedAt, new Date(), collectEnvironment(ctx.cwd, plan.targetUrl === null || isLoopback(targetUrl) ? true : null)),
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
    await db?.close().catch(() => undefined);
    await stopTarget?.();
  }
}

/**
 * SIGUSR2 makes the serve child (started with --heapsnapshot-signal) write a heap snapshot into its
 * --diagnostic-dir; the write blocks its event loop, so /health answers again once it is complete.
 * Resolves to the file, or null after 60 s.
 */
async function takeHeapSnapshot(child: BundledTarget, dir: string): Promise<string | null> {
  const before = new Set(await readdir(dir));
  process.kill(child.pid, 'SIGUSR2');
  for (let waited = 0; waited < 60_000; waited += 250) {
    await sleep(250);
    const file = (await readdir(dir)).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (file === undefined) continue;
    try {
      await fetchText(`${child.url}/health`, 60_000);
      return path.join(dir, file);
    } catch {
      return null;
    }
  }
  return null;
}
