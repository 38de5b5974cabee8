/**
 * `authz-perf loadtest`: flags → the load room's front door (load/session.ts: requests from the
 * scenario or a decision log, the target, the open / closed model or --find-max) → report.
 * Exports (--export-k6, --export) and --import-k6 write or read files and run nothing.
 * Exit 99 when a threshold is crossed, 130 after Ctrl-C / SIGTERM (the partial report is written).
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, Option } from 'commander';
import type { CliContext } from './context.js';
import { EXIT_INTERRUPTED, watchInterrupt } from './interrupt.js';
import { wantsColor } from './context.js';
import { argsAfterCommand, runAction, writeOutputFile } from './action.js';
import { addReportOptions, emitReport, type ReportOutputOptions } from './report-output.js';
import { parseLoadtestFlags, type LoadtestFlags } from './loadtest-flags.js';
import { checkGrpcFlags } from './loadtest-grpc.js';
import { checkReplayFlags, readReplay } from './loadtest-replay.js';
import { readK6Report } from './k6-import.js';
import { parseInteger, repeatable } from './flags.js';
import { serveChildOptions } from './serve.js';
import { reportEnvelope } from '../report/build.js';
import { collectEnvironment } from '../report/environment.js';
import type { LoadtestReport } from '../report/types.js';
import { UsageError } from '../util/errors.js';
import { isLoopback } from '../util/net.js';
import { findOnPath } from '../util/which.js';
import { createProgress, type Progress } from '../util/progress.js';
import { DEFAULTS, resolvePlan, type ParsedFlags } from '../load/options.js';
import { prepareLoadtest, runLoadtestSession } from '../load/session.js';
import { startLoadTarget, type TargetSpec } from '../load/start-target.js';
import { k6ScriptExport, runnerExport } from '../load/export.js';
import { KNOWN_METRICS } from '../load/thresholds.js';
import { loadScenario } from '../load/scenario-requests.js';
import { readGlobalsFile } from '../engine/index.js';
import { policyTestWarnings } from '../policytest/warnings.js';
import type { ProgressSnapshot } from '../load/run-types.js';
import type { FindMaxStep, LoadtestSection } from '../load/types.js';
import type { FindMaxProgress } from '../load/find-max.js';
import { progressLine, searchLine, stepLine } from '../load/progress-text.js';
import type { Scenario } from '../scenario/index.js';

/** Exit codes of this command beyond 0/2 (see README). */
export const EXIT_THRESHOLDS = 99;
/** a run in which no request succeeded failed, whatever the thresholds say */
export const EXIT_ALL_FAILED = 1;

interface CliFlags extends LoadtestFlags, ReportOutputOptions {
  inProcess?: boolean;
  /** reference (default) or cerbos: which engine loadtest starts on the scenario's policies */
  engine?: string;
  /** http (default) or grpc */
  protocol?: string;
  /** a decision log whose check requests are the load */
  replay?: string;
  speed?: string;
  lenientScopes?: boolean;
  /** engine globals file (default: the scenario's `globals:`) */
  globals?: string;
  cacheSize?: string;
  /** false with --no-cache */
  cache?: boolean;
  exportK6?: string;
  importK6?: string;
  /** --export RUNNER DIR */
  export?: string[];
  parallelism?: string;
  runner?: string;
  workers?: string;
  quiet?: boolean;
}

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
    .option('--threshold <expr>', `fail (exit 99) unless it holds, repeatable: 'p99<50ms', 'error_rate<0.1%', 'rps>=4900' (metrics: ${KNOWN_METRICS})`, repeatable)
    .option('--no-slo', "do not apply the scenario's SLO block as thresholds")
    .option('--find-max', 'step the rate up until the SLO (p99 or error rate) breaks; report the highest rate that held')
    .option('--start-rps <n>', `--find-max: first step (default ${DEFAULTS.findMaxStartRps})`)
    .option('--step-duration <d>', `--find-max: length of each step (default ${DEFAULTS.findMaxStepDurationS}s)`)
    .option('--max-steps <n>', `--find-max: at most this many steps (default ${DEFAULTS.findMaxSteps})`)
    .option('--slo-p99 <latency>', '--find-max: p99 limit (default: the scenario SLO)')
    .option('--max-error-rate <r>', '--find-max: error-rate limit, 0.001 or 0.1% (default: the scenario SLO)')
    .option('--budget <d>', `--find-max: the whole search (warm-up, steps, cross-checks) ends within this; progress shows the steps so far and an estimate (default ${DEFAULTS.findMaxBudgetS}s)`)
    .option('--min-samples <n>', `--find-max: fewest requests for a step's verdict; low-rate steps are extended up to ${DEFAULTS.findMaxStepExtension}× --step-duration to reach it, else inconclusive (default ${DEFAULTS.findMaxMinSamples})`)
    .option('--no-autocannon', '--find-max: skip the autocannon cross-check (and the cap its rate puts on the climb)')
    .option('--autocannon-connections <n>', `--find-max: autocannon connections (default ${DEFAULTS.autocannonConnections})`)
    .option('--generator-threads <n|auto>', 'open model: worker threads sending the schedule, each every Nth request over its share of --max-connections, histograms merged exactly (for targets one core cannot saturate; auto = one per core, at most 4 per core; default 1)')
    .option('--max-connections <n>', `open model: connection limit (--find-max against the bundled engine: at most its --max-inflight, 128); requests finding all busy wait for one, and are dropped after --timeout (default ${DEFAULTS.maxConnections})`)
    .option('--timeout <d>', `request timeout (default ${DEFAULTS.timeoutMs / 1000}s)`)
    .option('--seed <n>', "request stream seed (default: the scenario's)")
    .option('--globals <file>', "YAML/JSON engine globals for the bundled engine and the decision check (default: the scenario's)")
    .option('--lenient-scopes', "lenient scope search (Cerbos's engine.lenientScopeSearch) for the started engine and the decision check")
    .option('--engine <name>', 'the engine to start on the scenario\'s policies: reference (authz-perf serve) or cerbos (the real Cerbos PDP)', 'reference')
    .option('--replay <file>', "send a Cerbos decision log's check requests (JSON lines, file audit backend) at their recorded relative times, or at --rps")
    .option('--speed <factor>', '--replay: play the recorded timing this much faster, e.g. 2x (default 1x)')
    .addOption(new Option('--protocol <protocol>', "http (POST /api/check/resources) or grpc (cerbos.svc.v1.CerbosService/CheckResources; with --target, give HOST:PORT of the gRPC listener)").choices(['http', 'grpc']).default('http'))
    .option('--warmup <d>', `open model / --find-max: unrecorded ramp to the first rate first, with requests of its own (default ${DEFAULTS.warmupS}s; 0 = none)`)
    .option('--request-pool <n>', `distinct requests prepared and cycled (default: the planned count, at most ${DEFAULTS.requestPoolMax})`)
    .option('--no-verify', 'do not compare decisions with the in-process engine (still checks the response shape)')
    .option('--no-metrics', 'do not scrape the target /metrics')
    .option('--metrics-url <url>', 'Prometheus endpoint of the target (default: TARGET/metrics)')
    .option('--cache-size <n>', 'bundled engine: decision cache entries')
    .option('--no-cache', 'bundled engine: disable the decision cache')
    .option('--export-k6 <file.js>', 'write an equivalent k6 script (same requests and thresholds) and exit without running')
    .option('--import-k6 <summary.json>', 'turn a k6 end-of-test JSON summary into a loadtest report (no run)')
    .option('--export <runner-and-dir...>', 'write the test for another load generator and exit: `locust DIR` (Locust file, plan with the seeded requests, requirements) or `k6 DIR` (k6 script for --parallelism runners, k6-operator TestRun and ConfigMap)')
    .option('--parallelism <n>', '--export k6: k6-operator runners sharing the rate (default 1)')
    .addOption(new Option('--runner <name>', 'who sends the load: local (this process) or locust (a Locust master and --workers workers on this machine, results merged exactly)').choices(['local', 'locust']))
    .option('--workers <n>', `--runner locust: Locust worker processes (default ${LOCUST_DEFAULT_WORKERS})`)
    .option('--quiet', 'no live progress on stderr');
  addReportOptions(cmd);
  cmd.action(runAction(ctx, async (flags: CliFlags) => loadtestAction(ctx, cmd, flags)));
  program.addCommand(cmd);
}

export async function loadtestAction(ctx: CliContext, cmd: Command, flags: CliFlags): Promise<number> {
  // --budget counts from here: preparing requests and starting the engine are part of the wait
  const actionStartMs = performance.now();
  const args = argsAfterCommand(cmd);
  if (flags.importK6 !== undefined) return importK6(ctx, flags, args);
  checkReplayFlags(flags);
  // --replay without --rps: the log's own timing is the load shape (the parser wants one; it is dropped again)
  const recordedTiming = flags.replay !== undefined && flags.rps === undefined;
  const parsed = parseLoadtestFlags(recordedTiming ? { ...flags, rps: '1' } : flags);
  if (recordedTiming) parsed.rps = null;
  // a bundled name or a path relative to ctx.cwd (the bundled serve child runs in ctx.cwd too)
  const scenarioArg = flags.scenario ?? 'abac-cel';
  // serve's flags, checked with serve's parser and bounds so a bad value fails before anything starts
  const serveOptions = serveChildOptions(ctx, {
    scenario: scenarioArg,
    cache: flags.cache !== false,
    ...(flags.cacheSize !== undefined ? { cacheSize: flags.cacheSize } : {}),
    ...(flags.globals !== undefined ? { globals: flags.globals } : {}),
    ...(flags.lenientScopes ? { lenientScopes: true } : {}),
    ...(flags.protocol === 'grpc' ? { grpcPort: '0' } : {}),
  });
  const engine = flags.engine ?? 'reference';
  if (engine !== 'reference' && engine !== 'cerbos') throw new UsageError(`--engine: expected reference or cerbos, got '${engine}'`);
  if (engine === 'cerbos' && (parsed.targetUrl || flags.inProcess)) throw new UsageError('--engine: cerbos starts the Cerbos PDP itself; it does not combine with --target or --in-process');
  if (engine === 'cerbos' && (flags.cacheSize !== undefined || flags.cache === false)) throw new UsageError('--cache-size and --no-cache configure the reference engine; they do not apply with --engine cerbos');
  if (parsed.targetUrl && (flags.inProcess || flags.cacheSize !== undefined || flags.cache === false))
    throw new UsageError('--in-process, --cache-size and --no-cache configure the bundled engine; they do not apply with --target');
  if (flags.exportK6 !== undefined && parsed.findMax) throw new UsageError('--export-k6 writes a fixed load shape; it cannot express --find-max');
  const runners = parseRunnerFlags(flags, parsed, ctx.env.PATH ?? '');
  const grpc = flags.protocol === 'grpc';
  if (grpc) checkGrpcFlags(flags, parsed);

  const loaded = await loadScenario(scenarioArg, { cwd: ctx.cwd });
  const scenario: Scenario = {
    ...loaded,
    ...(flags.globals !== undefined ? { globals: await readGlobalsFile(path.resolve(ctx.cwd, flags.globals)) } : {}),
    ...(flags.lenientScopes ? { lenientScopeSearch: true } : {}),
  };
  const replay = flags.replay !== undefined ? await readReplay(ctx, flags, parsed, resolvePlan({ ...parsed, findMax: null }, scenario)) : null;
  // the suites check the policies the bundled engine or Cerbos is started with; --target runs neither
  const warnings = parsed.targetUrl ? [] : await policyTestWarnings(ctx.stderr, 'loadtest', scenario);
  const exporting = flags.exportK6 !== undefined || runners.exportTo !== null;
  const prepared = await prepareLoadtest({ parsed, scenario, replay, verify: parsed.verify && flags.exportK6 === undefined && runners.exportTo?.runner !== 'k6' });
  const engineName = engine === 'cerbos' ? 'cerbos' : null;
  if (exporting) return writeExport(ctx, flags, runners, () => k6ScriptExport(prepared, parsed, scenario.name, engineName), (to) => runnerExport(prepared, parsed, scenario.name, engineName, to));

  // Ctrl-C / SIGTERM: stop sending, drain briefly, write what was measured
  const interrupt = watchInterrupt(ctx, 'waiting briefly for in-flight requests, then writing the report');
  const startedAt = new Date();
  const progress = flags.quiet ? null : createProgress({ stream: ctx.stderr, color: wantsColor(ctx, ctx.stderr) });
  const announce = flags.quiet ? undefined : (line: string): void => void ctx.stderr.write(`${line}\n`);
  const spec: TargetSpec = parsed.targetUrl
    ? { kind: 'url', url: parsed.targetUrl, protocol: grpc ? 'grpc' : 'http' }
    : engine === 'cerbos'
      ? { kind: 'cerbos', scenario }
      : flags.inProcess
        ? { kind: 'in-process', scenario }
        : { kind: 'serve', options: serveOptions };
  try {
    const result = await runLoadtestSession({
      parsed,
      scenario,
      prepared,
      replayShape: replay?.loadShape ?? null,
      engine: engineName,
      protocol: grpc ? 'grpc' : 'http',
      startTarget: () => startLoadTarget(spec, { stderr: ctx.stderr, env: ctx.env, debug: ctx.debug, ...(announce ? { log: announce } : {}) }),
      locust: runners.workers !== null ? { command: runners.locust!, workers: runners.workers, env: ctx.env, debug: ctx.debug, log: (line) => void ctx.stderr.write(`${line}\n`) } : null,
      ...(announce ? { announce } : {}),
      budgetStartMs: actionStartMs,
      signal: interrupt.signal,
      ...(progress ? { onProgress: (p: ProgressSnapshot) => showProgress(progress, p) } : {}),
      ...(progress ? { onStep: (s: FindMaxStep) => progress.log(stepLine(s)) } : {}),
      ...(progress ? { onSearch: (p: FindMaxProgress) => progress.log(searchLine(p)) } : {}),
      log: (line) => progress?.log(line),
    });
    progress?.done();
    // Locust workers run on this host; a target on another host has the machine to itself
    const sharedHost = runners.workers !== null || result.target.bundled || isLoopback(result.target.url) ? true : null;
    const report: LoadtestReport = {
      ...reportEnvelope('loadtest', args, startedAt, new Date(), collectEnvironment(ctx.cwd, sharedHost)),
      ...(result.interrupted ? { interrupted: true } : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
      loadtest: result.section,
    };
    await emitReport(ctx, report, flags);
    if (result.interrupted) return EXIT_INTERRUPTED;
    return thresholdExit(ctx, result.section);
  } finally {
    progress?.done();
    interrupt.dispose();
  }
}

/** --export-k6 FILE or --export RUNNER DIR: the files written, and how to run them on stderr. */
async function writeExport(
  ctx: CliContext,
  flags: CliFlags,
  runners: RunnerFlags,
  k6Script: () => string,
  runnerFiles: (to: { runner: 'k6' | 'locust'; dir: string; parallelism: number }) => { files: Array<[string, string]>; how: string },
): Promise<number> {
  if (flags.exportK6 !== undefined) {
    const file = path.resolve(ctx.cwd, flags.exportK6);
    await writeOutputFile(file, k6Script(), '--export-k6');
    ctx.stderr.write(`k6 script: ${path.relative(ctx.cwd, file) || file} (run: k6 run -e TARGET=http://HOST:PORT ${flags.exportK6})\n`);
    return 0;
  }
  const { runner, dir } = runners.exportTo!;
  const { files, how } = runnerFiles({ runner, dir, parallelism: runners.parallelism });
  const full = path.resolve(ctx.cwd, dir);
  for (const [name, text] of files) await writeOutputFile(path.join(full, name), text, '--export');
  ctx.stderr.write(`${runner} export: ${files.map(([n]) => path.join(dir, n)).join(', ')}\n${how}\n`);
  return 0;
}

function thresholdExit(ctx: CliContext, section: LoadtestSection): number {
  const c = section.counts;
  if (c.sent + c.dropped > 0 && c.succeeded === 0) {
    ctx.stderr.write(`authz-perf: every request failed (${c.failed} failed, ${c.dropped} dropped, ${c.abandoned} unanswered${section.errors.samples[0] ? `; e.g. ${section.errors.samples[0]}` : ''})\n`);
    return EXIT_ALL_FAILED;
  }
  if (section.thresholdsPassed) return 0;
  const failed = section.thresholds.filter((t) => !t.passed).map((t) => t.expression);
  ctx.stderr.write(`authz-perf: threshold${failed.length > 1 ? 's' : ''} crossed: ${failed.join(', ')}\n`);
  return EXIT_THRESHOLDS;
}

const LOCUST_DEFAULT_WORKERS = 2;
const LOCUST_MAX_WORKERS = 64;

interface RunnerFlags {
  exportTo: { runner: 'locust' | 'k6'; dir: string } | null;
  parallelism: number;
  /** --runner locust: worker count; null: this process sends */
  workers: number | null;
  /** path of the locust executable (with --runner locust) */
  locust: string | null;
}

/** --export, --parallelism, --runner, --workers: checked before anything starts. */
function parseRunnerFlags(flags: CliFlags, parsed: ParsedFlags, envPath: string): RunnerFlags {
  let exportTo: RunnerFlags['exportTo'] = null;
  if (flags.export !== undefined) {
    const [runner, dir, ...rest] = flags.export;
    if ((runner !== 'locust' && runner !== 'k6') || dir === undefined || rest.length > 0)
      throw new UsageError(`--export takes a runner and a folder: --export locust DIR or --export k6 DIR (got '${flags.export.join(' ')}')`);
    if (flags.exportK6 !== undefined) throw new UsageError('--export and --export-k6 exclude each other; give one');
    if (parsed.findMax) throw new UsageError('--export writes a fixed load shape; it cannot express --find-max');
    if (runner === 'locust' && parsed.model === 'closed') throw new UsageError('--export locust runs the open model (--rps, --stages, an arrival-rate --profile); the closed model is not exported to Locust');
    exportTo = { runner, dir };
  }
  if (flags.parallelism !== undefined && exportTo?.runner !== 'k6') throw new UsageError('--parallelism applies to --export k6 only');
  const parallelism = flags.parallelism !== undefined ? parseInteger('--parallelism', flags.parallelism, { min: 1, max: 10_000 }) : 1;
  const locust = flags.runner === 'locust';
  if (flags.workers !== undefined && !locust) throw new UsageError('--workers applies to --runner locust only');
  if (!locust) return { exportTo, parallelism, workers: null, locust: null };
  if (exportTo || flags.exportK6 !== undefined) throw new UsageError('--runner locust runs the test; --export / --export-k6 only write it: give one');
  if (parsed.findMax) throw new UsageError('--runner locust runs a fixed load shape; --find-max runs in this process only');
  if (parsed.model === 'closed') throw new UsageError('--runner locust runs the open model (--rps, --stages, an arrival-rate --profile)');
  const workers = flags.workers !== undefined ? parseInteger('--workers', flags.workers, { min: 1, max: LOCUST_MAX_WORKERS }) : LOCUST_DEFAULT_WORKERS;
  const command = findOnPath('locust', envPath);
  if (!command) throw new UsageError('--runner locust: Locust is not installed (no `locust` on PATH); on Debian: apt-get install -y python3-locust');
  return { exportTo, parallelism, workers, locust: command };
}

async function importK6(ctx: CliContext, flags: CliFlags, args: string[]): Promise<number> {
  const report = await readK6Report(ctx, flags.importK6!);
  report.args = args;
  await emitReport(ctx, report, flags);
  return 0;
}


function showProgress(progress: Progress, p: ProgressSnapshot): void {
  if (progress.live) progress.update(p.plannedS > 0 ? Math.min(1, p.elapsedS / p.plannedS) : 0, progressLine(p));
  else if (Math.round(p.elapsedS) % 5 === 0) progress.log(progressLine(p));
}
