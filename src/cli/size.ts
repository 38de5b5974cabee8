/** `authz-perf size`: flags → calibration (--from REPORT | defaults) → planSize → report or k8s YAML. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import type { CliContext } from './context.js';
import { runAction } from './action.js';
import { addReportOptions, emitReport, type ReportOutputOptions } from './report-output.js';
import { reportEnvelope } from '../report/build.js';
import { collectEnvironment } from '../report/environment.js';
import { SCHEMA_VERSION, type SizeReport } from '../report/types.js';
import { InputError, UsageError } from '../util/errors.js';
import { calibrationFromReport, defaultCalibration, k8sManifests, planSize, WHAT_IF_LEVELS, type SizeOptions } from '../sizing/index.js';
import { DEFAULTS } from '../sizing/defaults.js';
import { parseCores, parseCount, parseFraction, parseLatencyMs, parsePositiveRate, parseRateList } from '../sizing/parse.js';

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
    .option('--what-if <rates>', `RPS levels for the what-if table (default ${WHAT_IF_LEVELS.map((l) => l.toLocaleString('en-US')).join(',')})`)
    .addOption(new Option('--format <format>', 'stdout format: terminal table, or k8s (Deployment resources + HPA YAML)').choices(['terminal', 'k8s']).default('terminal'))
    .option('--name <name>', 'Deployment/HPA name for --format k8s', 'authz-engine')
    .option('--namespace <ns>', 'namespace for --format k8s');
  addReportOptions(cmd);
  cmd.action(runAction(ctx, async (flags: SizeFlags) => sizeAction(ctx, cmd, flags)));
  program.addCommand(cmd);
}

/** Parses every flag up front, so bad input fails before any file is read. */
export function parseSizeFlags(flags: SizeFlags): SizeOptions {
  if (flags.rps === undefined) throw new UsageError('--rps is required: the peak requests per second (e.g. --rps 50000)');
  const options: SizeOptions = { peakRps: parsePositiveRate(flags.rps, '--rps'), ha: Boolean(flags.ha) };
  if (flags.p99 !== undefined) options.p99TargetMs = parseLatencyMs(flags.p99, '--p99');
  if (flags.scenario !== undefined) options.scenario = flags.scenario;
  if (flags.policies !== undefined) options.policies = parseCount(flags.policies, '--policies');
  if (flags.cacheSize !== undefined) options.cacheSize = parseCount(flags.cacheSize, '--cache-size');
  if (flags.cacheHitRate !== undefined) options.cacheHitRate = parseFraction(flags.cacheHitRate, '--cache-hit-rate', false);
  if (flags.headroom !== undefined) options.headroom = parseFraction(flags.headroom, '--headroom', true);
  if (flags.cpuPerReplica !== undefined) options.cpuPerReplica = parseCores(flags.cpuPerReplica, '--cpu-per-replica');
  if (flags.dbMaxConnections !== undefined) options.dbMaxConnections = parseCount(flags.dbMaxConnections, '--db-max-connections', 1);
  if (flags.poolSize !== undefined) options.poolSize = parseCount(flags.poolSize, '--pool-size', 0);
  options.whatIfLevels = [...new Set([...(flags.whatIf !== undefined ? parseRateList(flags.whatIf, '--what-if') : WHAT_IF_LEVELS), options.peakRps])];
  return options;
}

async function sizeAction(ctx: CliContext, cmd: Command, flags: SizeFlags): Promise<number> {
  const options = parseSizeFlags(flags);
  const startedAt = new Date();
  let calibration = defaultCalibration();
  if (flags.from !== undefined) {
    const json = await readReportJson(path.resolve(ctx.cwd, flags.from), flags.from);
    calibration = calibrationFromReport(json, flags.from, {
      ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
      ...(options.cacheHitRate !== undefined ? { cacheHitRate: options.cacheHitRate } : {}),
    });
  }
  const section = planSize(options, calibration);
  const report: SizeReport = {
    ...reportEnvelope('size', argsAfterCommand(cmd), startedAt, new Date(), collectEnvironment(ctx.cwd)),
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

/**
 * Reads a saved report as JSON. Swap point for the report room's loader once it lands: keep the
 * same contract (InputError naming the file, line and column; refuse newer schema versions).
 */
async function readReportJson(file: string, shown: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`--from: cannot read report (${code === 'ENOENT' ? 'no such file' : code ?? (err as Error).message})`, { file: shown });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message);
    const offset = at ? Number(at[1]) : null;
    const before = offset === null ? '' : text.slice(0, offset);
    const line = offset === null ? undefined : before.split('\n').length;
    const column = offset === null ? undefined : offset - before.lastIndexOf('\n');
    throw new InputError(`--from: not valid JSON (${(err as Error).message.split('\n')[0]})`, {
      file: shown,
      ...(line !== undefined ? { line } : {}),
      ...(column !== undefined ? { column } : {}),
    });
  }
  const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version > SCHEMA_VERSION) {
    throw new InputError(`--from: report schema version ${version} is newer than this authz-perf understands (${SCHEMA_VERSION}); upgrade authz-perf`, { file: shown });
  }
  return json;
}

/** argv after `size`, as given (commander keeps it on the root program, untyped). */
function argsAfterCommand(cmd: Command): string[] {
  const raw = (cmd.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? [];
  const at = raw.indexOf('size');
  return at >= 0 ? raw.slice(at + 1) : [];
}
