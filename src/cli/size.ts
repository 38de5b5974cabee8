/** `authz-perf size`: flags → calibration (--from REPORT | defaults) → planSize → report or k8s YAML. */
import { Command, Option } from 'commander';
import type { CliContext } from './context.js';
import { argsAfterCommand, readTextOr, runAction } from './action.js';
import { addReportOptions, emitReport, type ReportOutputOptions } from './report-output.js';
import { reportEnvelope } from '../report/build.js';
import { collectEnvironment } from '../report/environment.js';
import type { LoadtestReport, Report, SizeReport } from '../report/types.js';
import { EXIT_INTERRUPTED, watchInterrupt } from './interrupt.js';
import { parseLoadtestFlags, type LoadtestFlags } from './loadtest-flags.js';
import { serveChildOptions } from './serve.js';
import { startLoadTarget } from '../load/start-target.js';
import { runLoadtestSession } from '../load/session.js';
import { loadReport } from '../report/load.js';
import { loadScenario } from '../scenario/index.js';
import { UsageError } from '../util/errors.js';
import { defaultCalibration, k8sManifests, WHAT_IF_LEVELS, type Calibration, type SizeOptions } from '../sizing/index.js';
import { calibrationFromMeasurement, calibrationFromSaved, planAnswerableSize, withScenarioDefaults } from '../sizing/session.js';
import { DEFAULTS } from '../sizing/defaults.js';
import { parseCores, parseCount, parseDuration, parseFraction, parseLatency, parseRate, parseRateList } from './flags.js';

interface SizeFlags extends ReportOutputOptions {
  rps?: string;
  p99?: string;
  scenario?: string;
  policies?: string;
  cacheSize?: string;
  cacheHitRate?: string;
  ha?: boolean;
  headroom?: string;
  cpuPerReplica?: string;
  dbMaxConnections?: string;
  poolSize?: string;
  from?: string;
  measure?: boolean;
  measureStep?: string;
  whatIf?: string;
  format: 'terminal' | 'k8s';
  name: string;
  namespace?: string;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = new Command('size')
    .description('resource calculator: replicas, CPU/memory requests and limits, HPA, pools; calibrated by a saved bench or loadtest --find-max report')
    .option('--rps <n>', 'peak requests per second (e.g. 50000, 50k, 1M)')
    .option('--p99 <latency>', `p99 target (e.g. 10ms; default: the scenario/report SLO, else ${DEFAULTS.p99TargetMs}ms)`)
    .option('--scenario <name>', 'scenario (policy complexity): selects the bench scenario to calibrate from')
    .option('--policies <n>', `number of policies loaded (default ${DEFAULTS.policies})`)
    .option('--cache-size <n>', `decision cache entries (default ${DEFAULTS.cacheSize})`)
    .option('--cache-hit-rate <r>', `expected cache hit rate, 0..1 or % (default: measured, else ${DEFAULTS.cacheHitRate})`)
    .option('--ha', `high availability: at least ${DEFAULTS.haMinReplicas} replicas`)
    .option('--headroom <r>', `target CPU utilisation, between 0 and 1 exclusive (default ${DEFAULTS.headroom})`)
    .option('--cpu-per-replica <cores>', `cores per replica (e.g. 2, 500m; default ${DEFAULTS.cpuPerReplica})`)
    .option('--db-max-connections <n>', `database max_connections (default ${DEFAULTS.dbMaxConnections})`)
    .option('--pool-size <n>', `DB pool size per replica (default ${DEFAULTS.poolSize})`)
    .option('--from <report.json>', 'calibrate from a saved bench or loadtest --find-max report')
    .option('--measure', `calibrate now: a short loadtest --find-max of the bundled engine on this machine (an autocannon run, then ${MEASURE.maxSteps} steps at most)`)
    .option('--measure-step <duration>', `--measure: length of each find-max step (default ${MEASURE.stepDuration})`)
    .option('--what-if <rates>', `RPS levels for the what-if table (default ${WHAT_IF_LEVELS.map((l) => l.toLocaleString('en-US')).join(',')})`)
    .addOption(new Option('--format <format>', 'stdout format: terminal table, or k8s (Deployment resources + HPA YAML)').choices(['terminal', 'k8s']).default('terminal'))
    .option('--name <name>', 'Deployment/HPA name for --format k8s', 'authz-engine')
    .option('--namespace <ns>', 'namespace for --format k8s');
  addReportOptions(cmd);
  cmd.action(runAction(ctx, async (flags: SizeFlags) => sizeAction(ctx, cmd, flags)));
  program.addCommand(cmd);
}

/** RFC 1123 label: what Kubernetes accepts as a Deployment, HPA or namespace name. */
const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * What the sizing model can answer. rps: 100M req/s is tens of thousands of replicas at any
 * calibrated per-replica rate, near Kubernetes' limit of 150,000 pods per cluster; beyond it the
 * replica count means nothing. dbConnections: PostgreSQL's largest max_connections (262,143).
 */
export const SIZE_LIMITS = {
  rps: 100_000_000,
  p99Ms: 60_000,
  policies: 1_000_000,
  cacheSize: 1_000_000_000,
  cpuPerReplica: 256,
  dbConnections: 262_143,
  measureStepMs: 60_000,
} as const;

/** Parses every flag up front, so bad input fails before any file is read. */
export function parseSizeFlags(flags: SizeFlags): SizeOptions {
  if (flags.rps === undefined) throw new UsageError('--rps is required: the peak requests per second (e.g. --rps 50000)');
  if (flags.measure && flags.from !== undefined) throw new UsageError('--measure and --from are alternatives: measure now, or calibrate from a saved report');
  for (const [flag, value] of [['--name', flags.name], ['--namespace', flags.namespace]] as const) {
    if (value !== undefined && !DNS_LABEL.test(value)) {
      throw new UsageError(`${flag}: "${value}" must be a Kubernetes name: lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit`);
    }
  }
  if (flags.measureStep !== undefined) {
    if (!flags.measure) throw new UsageError('--measure-step applies only with --measure');
    try {
      parseDuration('--measure-step', flags.measureStep, { maxMs: SIZE_LIMITS.measureStepMs });
    } catch {
      throw new UsageError(`--measure-step: "${flags.measureStep}" must be a positive duration (e.g. 2s, 500ms), at most ${SIZE_LIMITS.measureStepMs / 1000}s`);
    }
  }
  const L = SIZE_LIMITS;
  const options: SizeOptions = { peakRps: parseRate('--rps', flags.rps, L.rps), ha: Boolean(flags.ha) };
  if (flags.p99 !== undefined) options.p99TargetMs = parseLatency('--p99', flags.p99, L.p99Ms);
  if (flags.scenario !== undefined) options.scenario = flags.scenario;
  if (flags.policies !== undefined) options.policies = parseCount('--policies', flags.policies, { min: 0, max: L.policies });
  if (flags.cacheSize !== undefined) options.cacheSize = parseCount('--cache-size', flags.cacheSize, { min: 0, max: L.cacheSize });
  if (flags.cacheHitRate !== undefined) options.cacheHitRate = parseFraction('--cache-hit-rate', flags.cacheHitRate, false);
  if (flags.headroom !== undefined) options.headroom = parseFraction('--headroom', flags.headroom, true);
  if (flags.cpuPerReplica !== undefined) options.cpuPerReplica = parseCores('--cpu-per-replica', flags.cpuPerReplica, L.cpuPerReplica);
  if (flags.dbMaxConnections !== undefined) options.dbMaxConnections = parseCount('--db-max-connections', flags.dbMaxConnections, { min: 1, max: L.dbConnections });
  if (flags.poolSize !== undefined) options.poolSize = parseCount('--pool-size', flags.poolSize, { min: 0, max: L.dbConnections });
  options.whatIfLevels = [...new Set([...(flags.whatIf !== undefined ? parseRateList('--what-if', flags.whatIf, L.rps) : WHAT_IF_LEVELS), options.peakRps])];
  return options;
}

async function sizeAction(ctx: CliContext, cmd: Command, flags: SizeFlags): Promise<number> {
  const options = await withScenarioDefaults(parseSizeFlags(flags), ctx.cwd);
  const startedAt = new Date();
  let calibration = defaultCalibration();
  if (flags.measure) {
    const measured = await measureNow(ctx, options, flags.scenario ?? MEASURE.scenario, flags.measureStep ?? MEASURE.stepDuration);
    if (typeof measured === 'number') return measured;
    calibration = measured;
  } else if (flags.from !== undefined) {
    calibration = await calibrationFromSaved(await readReport(ctx, flags.from), flags.from, options);
  }
  const section = planAnswerableSize(options, calibration);
  const report: SizeReport = {
    ...reportEnvelope('size', argsAfterCommand(cmd), startedAt, new Date(), collectEnvironment(ctx.cwd, calibration.kind === 'measure' ? true : null)),
    size: section,
  };
  if (flags.format === 'k8s') {
    // YAML alone on stdout (pipe it to kubectl); report files are still written unless --no-report.
    const discard = { write: (): boolean => true };
    await emitReport({ ...ctx, stdout: discard }, report, { ...flags, json: false });
    ctx.stdout.write(k8sManifests(section, { name: flags.name, ...(flags.namespace ? { namespace: flags.namespace } : {}) }));
    return 0;
  }
  await emitReport(ctx, report, flags);
  return 0;
}

/** --measure: a deliberately short find-max (seconds, not minutes): enough points for a USL fit. */
const MEASURE = { stepDuration: '2s', maxSteps: 8, scenario: 'abac-cel' } as const;

/**
 * A short `loadtest --find-max` of the bundled engine (in its own child process, as loadtest
 * starts it) through the load room's front door, then the calibration from its section. Ctrl-C
 * stops it: exit 130.
 */
async function measureNow(ctx: CliContext, options: SizeOptions, scenarioName: string, stepDuration: string): Promise<Calibration | number> {
  const flags: LoadtestFlags = { findMax: true, scenario: scenarioName, stepDuration, maxSteps: String(MEASURE.maxSteps) };
  if (options.p99TargetMs !== undefined) flags.sloP99 = `${options.p99TargetMs}ms`;
  const shown = ['--find-max', '--scenario', scenarioName, '--step-duration', stepDuration, '--max-steps', String(MEASURE.maxSteps), ...(flags.sloP99 ? ['--slo-p99', flags.sloP99] : [])];
  ctx.stderr.write(`size: measuring: authz-perf loadtest ${shown.join(' ')}\n`);
  const parsed = parseLoadtestFlags(flags);
  const scenario = await loadScenario(scenarioName, { cwd: ctx.cwd });
  const interrupt = watchInterrupt(ctx, 'stopping the measurement');
  const startedAt = new Date();
  try {
    const result = await runLoadtestSession({
      parsed,
      scenario,
      signal: interrupt.signal,
      startTarget: () => startLoadTarget({ kind: 'serve', options: serveChildOptions(ctx, { scenario: scenarioName, cache: true }) }, ctx),
    });
    if (result.interrupted) return EXIT_INTERRUPTED;
    const report: LoadtestReport = {
      ...reportEnvelope('loadtest', ['--find-max', ...shown.slice(1)], startedAt, new Date(), collectEnvironment(ctx.cwd, true)),
      loadtest: result.section,
    };
    return calibrationFromMeasurement(report, scenarioName, stepDuration, options);
  } finally {
    interrupt.dispose();
  }
}

/** Reads a saved report through the report layer's loader (file:line:column errors, schema version check). */
async function readReport(ctx: CliContext, file: string): Promise<Report> {
  const text = await readTextOr(ctx, file, (reason, code) => new UsageError(`--from ${file}: cannot read the report (${code === 'ENOENT' ? reason : (code ?? reason)})`));
  return loadReport(text, file);
}
