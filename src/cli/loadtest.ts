/**
 * `authz-perf loadtest`: flags → target (the bundled engine in a child process, --in-process, or
 * --target URL) → requests from the scenario → open / closed model or --find-max → report.
 * Exit 99 when a threshold is crossed, 130 after Ctrl-C / SIGTERM (the partial report is written).
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import type { CliContext } from './context.js';
import { wantsColor } from './context.js';
import { argsAfterCommand, runAction, writeOutputFile } from './action.js';
import { addReportOptions, emitReport, type ReportOutputOptions } from './report-output.js';
import { reportEnvelope } from '../report/build.js';
import { collectEnvironment } from '../report/environment.js';
import type { LoadtestReport } from '../report/types.js';
import { UsageError } from '../util/errors.js';
import { createProgress, type Progress } from '../util/progress.js';
import { DEFAULTS, parseLoadtestFlags, requestPoolSize, resolvePlan, type LoadtestFlags, type ParsedFlags, type ResolvedPlan } from '../load/options.js';
import { buildRequestSource, CHECK_PATH } from '../load/request-source.js';
import { runLoadtest, type BaseConfig } from '../load/run.js';
import { LoadShape } from '../load/schedule.js';
import { startBundledTarget, type BundledTarget } from '../load/target.js';
import { k6Script } from '../load/k6.js';
import { readK6Report } from './k6-import.js';
import { KNOWN_METRICS } from '../load/thresholds.js';
import { loadScenario, scenarioRequests, startInProcessTarget } from '../load/scenario-requests.js';
import type { ProgressSnapshot } from '../load/run-types.js';
import type { FindMaxStep } from '../load/types.js';
import { SERVE_CACHE_SIZE_MAX, type ServeFlags } from './serve.js';
import { parseIntegerFlag } from './integer-flag.js';
import type { Scenario } from '../scenario/index.js';

/** Exit codes of this command beyond 0/2 (see README). */
export const EXIT_THRESHOLDS = 99;
export const EXIT_INTERRUPTED = 130;

interface CliFlags extends LoadtestFlags, ReportOutputOptions {
  inProcess?: boolean;
  cacheSize?: string;
  /** false with --no-cache */
  cache?: boolean;
  exportK6?: string;
  importK6?: string;
  quiet?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function register(program: Command, ctx: CliContext): void {
  const cmd = new Command('loadtest')
    .description('load test the bundled engine (or --target URL): open model with corrected latency, closed VU model, --find-max, thresholds')
    .option('--scenario <name|dir>', 'scenario: request stream, SLO and load profiles (bundled name or folder)', 'abac-cel')
    .option('--target <url>', 'load test this service (speaks POST /api/check/resources) instead of starting the bundled engine')
    .option('--in-process', 'run the bundled engine inside this process (shares the event loop: quick looks and tests only)')
    .option('--rps <n>', 'open model: requests per second (e.g. 2000, 5k)')
    .option('--vus <n>', 'closed model: virtual users, each looping request → think time')
    .addOption(new Option('--model <model>', 'model for --stages').choices(['open', 'closed']))
    .option('--duration <d>', `how long to hold --rps / --vus (default ${DEFAULTS.durationS}s)`)
    .option('--ramp-up <d>', 'ramp linearly from 0 to --rps / --vus first')
    .option('--stages <list>', "load shape DURATION:TARGET,... e.g. '30s:100,1m:500,30s:0' (rate, or VUs with --model closed)")
    .option('--profile <name>', "the scenario's load profile: normal, peak, stress, soak, spike")
    .option('--think-time <range>', 'closed model: pause after each response, e.g. 100ms..500ms')
    .option('--threshold <expr>', `fail (exit 99) unless it holds, repeatable: 'p99<50ms', 'error_rate<0.1%', 'rps>=4900' (metrics: ${KNOWN_METRICS})`, collect)
    .option('--no-slo', "do not apply the scenario's SLO block as thresholds")
    .option('--find-max', 'step the rate up until the SLO (p99 or error rate) breaks; report the highest rate that held')
    .option('--start-rps <n>', `--find-max: first step (default ${DEFAULTS.findMaxStartRps})`)
    .option('--step-duration <d>', `--find-max: length of each step (default ${DEFAULTS.findMaxStepDurationS}s)`)
    .option('--max-steps <n>', `--find-max: at most this many steps (default ${DEFAULTS.findMaxSteps})`)
    .option('--slo-p99 <latency>', '--find-max: p99 limit (default: the scenario SLO)')
    .option('--max-error-rate <r>', '--find-max: error-rate limit, 0.001 or 0.1% (default: the scenario SLO)')
    .option('--min-samples <n>', `--find-max: fewest requests for a step's verdict; low-rate steps are extended up to ${DEFAULTS.findMaxStepExtension}× --step-duration to reach it, else inconclusive (default ${DEFAULTS.findMaxMinSamples})`)
    .option('--no-autocannon', '--find-max: skip the autocannon cross-check')
    .option('--autocannon-connections <n>', `--find-max: autocannon connections (default ${DEFAULTS.autocannonConnections})`)
    .option('--max-connections <n>', `open model: connection limit; requests finding all busy wait for one, and are dropped after --timeout (default ${DEFAULTS.maxConnections})`)
    .option('--timeout <d>', `request timeout (default ${DEFAULTS.timeoutMs / 1000}s)`)
    .option('--seed <n>', "request stream seed (default: the scenario's)")
    .option('--warmup <d>', `open model / --find-max: unrecorded ramp to the first rate first, with requests of its own (default ${DEFAULTS.warmupS}s; 0 = none)`)
    .option('--request-pool <n>', `distinct requests prepared and cycled (default: the planned count, at most ${DEFAULTS.requestPoolMax})`)
    .option('--no-verify', 'do not compare decisions with the in-process engine (still checks the response shape)')
    .option('--no-metrics', 'do not scrape the target /metrics')
    .option('--metrics-url <url>', 'Prometheus endpoint of the target (default: TARGET/metrics)')
    .option('--cache-size <n>', 'bundled engine: decision cache entries')
    .option('--no-cache', 'bundled engine: disable the decision cache')
    .option('--export-k6 <file.js>', 'write an equivalent k6 script (same requests and thresholds) and exit without running')
    .option('--import-k6 <summary.json>', 'turn a k6 end-of-test JSON summary into a loadtest report (no run)')
    .option('--quiet', 'no live progress on stderr');
  addReportOptions(cmd);
  cmd.action(runAction(ctx, async (flags: CliFlags) => loadtestAction(ctx, cmd, flags)));
  program.addCommand(cmd);
}

export async function loadtestAction(ctx: CliContext, cmd: Command, flags: CliFlags): Promise<number> {
  const args = argsAfterCommand(cmd);
  if (flags.importK6 !== undefined) return importK6(ctx, flags, args);
  const parsed = parseLoadtestFlags(flags);
  // checked here with serve's parser and bounds, so a bad value fails before the serve child starts
  if (flags.cacheSize !== undefined) parseIntegerFlag('--cache-size', flags.cacheSize, { min: 1, max: SERVE_CACHE_SIZE_MAX });
  if (parsed.targetUrl && (flags.inProcess || flags.cacheSize !== undefined || flags.cache === false))
    throw new UsageError('--in-process, --cache-size and --no-cache configure the bundled engine; they do not apply with --target');
  if (flags.exportK6 !== undefined && parsed.findMax) throw new UsageError('--export-k6 writes a fixed load shape; it cannot express --find-max');

  // a bundled name or a path relative to ctx.cwd (the bundled serve child runs in ctx.cwd too)
  const scenarioArg = flags.scenario ?? 'abac-cel';
  const scenario = await loadScenario(scenarioArg, { cwd: ctx.cwd });
  const plan = resolvePlan(parsed, scenario);
  const poolSize = requestPoolSize(parsed, plannedRequests(plan));
  const { requests, expected } = await scenarioRequests(scenario, poolSize, plan.seed, parsed.verify && flags.exportK6 === undefined);
  const pathPrefix = parsed.targetUrl ? new URL(parsed.targetUrl).pathname.replace(/\/+$/, '') : '';
  const source = buildRequestSource(requests, expected, pathPrefix + CHECK_PATH);

  const base = (targetUrl: string, bundled: boolean): BaseConfig => ({
    targetUrl,
    bundledTarget: bundled,
    scenario: scenario.name,
    seed: plan.seed,
    maxConnections: parsed.maxConnections,
    timeoutMs: parsed.timeoutMs,
    requestPoolSize: requests.length,
    lateThresholdMs: DEFAULTS.lateThresholdMs,
  });

  if (flags.exportK6 !== undefined) {
    const shape = plan.shape!;
    const text = k6Script({
      config: { ...base(parsed.targetUrl ?? 'http://127.0.0.1:3592', !parsed.targetUrl), model: shape.model, stages: shape.stages, plannedDurationS: sum(shape), thinkTimeMs: shape.thinkTimeMs, profile: shape.profile },
      startTarget: shape.startTarget,
      path: source.path,
      bodies: source.bodies,
      thresholds: plan.thresholds,
      generatedAt: new Date(),
    });
    const file = path.resolve(ctx.cwd, flags.exportK6);
    await writeOutputFile(file, text, '--export-k6');
    ctx.stderr.write(`k6 script: ${path.relative(ctx.cwd, file) || file} (run: k6 run -e TARGET=http://HOST:PORT ${flags.exportK6})\n`);
    return 0;
  }

  const warmup = await warmupRequests(scenario, plan, parsed);
  // Ctrl-C / SIGTERM: stop sending, drain briefly, write what was measured
  const abort = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals === 1) ctx.stderr.write('\nauthz-perf: stopping: waiting briefly for in-flight requests, then writing the report (Ctrl-C again to quit at once)\n');
    else process.exit(EXIT_INTERRUPTED);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const startedAt = new Date();
  let target: { url: string; bundled: boolean; stop: () => Promise<void> } | null = null;
  let killChild: (() => void) | null = null;
  const progress = flags.quiet ? null : createProgress({ stream: ctx.stderr, color: wantsColor(ctx, ctx.stderr) });
  try {
    target = await startTarget(ctx, flags, parsed, scenarioArg, (t) => {
      killChild = () => t.kill();
      process.once('exit', killChild);
    });
    const origin = new URL(target.url).origin;
    const metricsUrl = !parsed.metrics ? null : (parsed.metricsUrl ?? `${target.url}/metrics`);
    if (!flags.quiet) ctx.stderr.write(`loadtest: ${describePlan(plan, parsed)} → ${target.bundled ? `bundled engine at ${target.url}` : target.url} (scenario ${scenario.name}, ${requests.length} prepared requests)\n`);
    const result = await runLoadtest({
      base: base(target.url, target.bundled),
      shape: plan.shape,
      findMax: plan.findMax,
      thresholds: plan.thresholds,
      source,
      origin,
      metricsUrl,
      warmupRequests: 1000,
      warmup,
      signal: abort.signal,
      ...(progress ? { onProgress: (p: ProgressSnapshot) => showProgress(progress, p) } : {}),
      ...(progress ? { onStep: (s: FindMaxStep) => progress.log(stepLine(s)) } : {}),
      log: (line) => progress?.log(line),
    });
    progress?.done();
    const sharedHost = target.bundled || isLoopback(target.url) ? true : null;
    const report: LoadtestReport = {
      ...reportEnvelope('loadtest', args, startedAt, new Date(), collectEnvironment(ctx.cwd, sharedHost)),
      ...(result.interrupted ? { interrupted: true } : {}),
      loadtest: result.section,
    };
    await emitReport(ctx, report, flags);
    if (result.interrupted) return EXIT_INTERRUPTED;
    if (!result.section.thresholdsPassed) {
      const failed = result.section.thresholds.filter((t) => !t.passed).map((t) => t.expression);
      ctx.stderr.write(`authz-perf: threshold${failed.length > 1 ? 's' : ''} crossed: ${failed.join(', ')}\n`);
      return EXIT_THRESHOLDS;
    }
    return 0;
  } finally {
    progress?.done();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await target?.stop();
    if (killChild) process.off('exit', killChild);
  }
}

async function startTarget(
  ctx: CliContext,
  flags: CliFlags,
  parsed: ParsedFlags,
  scenarioArg: string,
  onChild: (t: BundledTarget) => void,
): Promise<{ url: string; bundled: boolean; stop: () => Promise<void> }> {
  if (parsed.targetUrl) return { url: parsed.targetUrl, bundled: false, stop: async () => undefined };
  if (flags.inProcess) {
    const t = await startInProcessTarget(await loadScenario(scenarioArg, { cwd: ctx.cwd }));
    return { url: t.url, bundled: true, stop: () => t.close() };
  }
  const serveFlags: ServeFlags = {
    scenario: scenarioArg,
    host: '127.0.0.1',
    port: '0',
    cache: flags.cache !== false,
    ...(flags.cacheSize !== undefined ? { cacheSize: flags.cacheSize } : {}),
  };
  // `authz-perf serve` of this same build in its own process, loading only the serve command
  // (the whole CLI takes seconds to import on a busy host)
  const serve = new URL('./serve.js', import.meta.url).href;
  const action = new URL('./action.js', import.meta.url).href;
  const script = [
    `const { serveCommand, untilSignal } = await import(${JSON.stringify(serve)});`,
    `const { reportError } = await import(${JSON.stringify(action)});`,
    `const ctx = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env, debug: ${ctx.debug}, exitCode: 0 };`,
    `try { process.exitCode = await serveCommand(ctx, JSON.parse(process.argv[1]), { untilStopped: untilSignal }); }`,
    `catch (err) { process.exitCode = reportError(ctx, err); }`,
  ].join('\n');
  const child = await startBundledTarget({
    command: process.execPath,
    args: ['--input-type=module', '-e', script, JSON.stringify(serveFlags)],
    cwd: ctx.cwd,
    env: { ...ctx.env, NO_COLOR: '1' },
    // every line with --debug; otherwise only the notes on policies the engine does not evaluate
    onLine: (line: string) => {
      if (ctx.debug) ctx.stderr.write(`[serve] ${line}\n`);
      else if (line.startsWith('authz-perf serve: note: ')) ctx.stderr.write(`${line}\n`);
    },
  });
  onChild(child);
  return { url: child.url, bundled: true, stop: () => child.stop() };
}

async function importK6(ctx: CliContext, flags: CliFlags, args: string[]): Promise<number> {
  const report = await readK6Report(ctx, flags.importK6!);
  report.args = args;
  await emitReport(ctx, report, flags);
  return 0;
}


/** Requests for the warm-up ramp, from another seed, so the run's own requests start uncached. */
async function warmupRequests(scenario: Scenario, plan: ResolvedPlan, parsed: ParsedFlags): Promise<{ durationS: number; bodies: Buffer[] } | null> {
  const first = plan.findMax ? plan.findMax.startRps : plan.shape?.model === 'open' ? Math.max(plan.shape.startTarget, plan.shape.stages[0]?.target ?? 0) : 0;
  if (!(parsed.warmupS > 0) || !(first > 0)) return null;
  const count = Math.min(DEFAULTS.requestPoolMax, Math.ceil((first * parsed.warmupS) / 2) + 1000);
  const { requests } = await scenarioRequests(scenario, count, (plan.seed + 7919) >>> 0, false);
  return { durationS: parsed.warmupS, bodies: buildRequestSource(requests, null).bodies as Buffer[] };
}

function plannedRequests(plan: ResolvedPlan): number {
  if (plan.findMax) return plan.findMax.startRps * plan.findMax.stepDurationS * 8;
  const shape = plan.shape!;
  if (shape.model === 'open') return new LoadShape(shape.stages, shape.startTarget).expectedCount;
  // closed: roughly 1,000 requests per VU-second without think time, fewer with it
  const peak = Math.max(shape.startTarget, ...shape.stages.map((s) => s.target));
  const perVuRps = shape.thinkTimeMs ? 1000 / Math.max(1, (shape.thinkTimeMs[0] + shape.thinkTimeMs[1]) / 2) : 1000;
  return peak * perVuRps * sum(shape);
}

function sum(shape: { stages: Array<{ durationS: number }> }): number {
  return shape.stages.reduce((s, x) => s + x.durationS, 0);
}

function describePlan(plan: ResolvedPlan, parsed: ParsedFlags): string {
  if (plan.findMax) return `--find-max from ${plan.findMax.startRps} req/s, ${plan.findMax.stepDurationS} s steps, SLO p99 ≤ ${plan.findMax.sloP99Ms} ms, errors ≤ ${plan.findMax.maxErrorRate * 100}%`;
  const s = plan.shape!;
  const peak = Math.max(s.startTarget, ...s.stages.map((x) => x.target));
  const what = s.model === 'open' ? `open model up to ${peak} req/s` : `closed model up to ${peak} VUs`;
  return `${what} for ${sum(s)} s${s.profile ? ` (profile ${s.profile})` : ''}${parsed.maxConnections !== DEFAULTS.maxConnections ? `, max ${parsed.maxConnections} connections` : ''}`;
}

function showProgress(progress: Progress, p: ProgressSnapshot): void {
  const line = `${Math.round(p.elapsedS)}s · target ${Math.round(p.target)} · ${p.rateRps}/s · p50 ${p.p50Ms.toFixed(2)}ms p99 ${p.p99Ms.toFixed(2)}ms · ${p.errors} errors${p.dropped ? ` · ${p.dropped} dropped` : ''} · ${p.inFlight} in flight`;
  if (progress.live) progress.update(p.plannedS > 0 ? Math.min(1, p.elapsedS / p.plannedS) : 0, line);
  else if (Math.round(p.elapsedS) % 5 === 0) progress.log(line);
}

function stepLine(s: FindMaxStep): string {
  const retry = s.firstAttempt ? ` (re-run after a first attempt with p99 ${s.firstAttempt.p99Ms}ms, errors ${(s.firstAttempt.errorRate * 100).toFixed(2)}%)` : '';
  const verdict = s.verdict === 'inconclusive' ? `inconclusive (${s.samples} requests)` : s.passed ? 'held' : 'broke';
  return `find-max: target ${s.targetRps} req/s for ${s.durationS ?? '?'}s → achieved ${s.achievedRps} · p50 ${s.p50Ms}ms · p99 ${s.p99Ms}ms · errors ${(s.errorRate * 100).toFixed(2)}% · ${verdict}${retry}`;
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host.startsWith('127.') || host === '[::1]';
}

