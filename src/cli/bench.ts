/** `authz-perf bench`: flags → runBenchSuite → baseline save/compare → report. */
import { loadScenario } from '../scenario/index.js';
import { cerbosHttpTarget } from '../bench/cerbos-target.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import type { CliContext } from './context.js';
import { EXIT_INTERRUPTED } from './interrupt.js';
import { argsAfterCommand, readTextOr, runAction, writeOutputFile } from './action.js';
import { addReportOptions, emitReport, type ReportOutputOptions } from './report-output.js';
import { reportEnvelope } from '../report/build.js';
import { collectEnvironment } from '../report/environment.js';
import type { BenchReport } from '../report/types.js';
import { InputError, UsageError } from '../util/errors.js';
import { DEFAULTS, DEFAULT_HTTP_ROUNDS, QUICK, parseSlowTask, type BenchRunOptions } from '../bench/options.js';
import { SEED_RANGE, parseInteger, parseMilliseconds, parsePercent, repeatableList } from './flags.js';
import { compareWithBaseline, parseBaseline } from '../bench/baseline.js';
import { loadReport } from '../report/load.js';
import { runBenchSuite, availableScenarios } from '../bench/suite.js';
import { policyTestWarnings } from '../policytest/warnings.js';

interface BenchFlags extends ReportOutputOptions {
  /** engine globals file */
  globals?: string;
  lenientScopes?: boolean;
  scenario?: string[];
  time?: string;
  iterations?: string;
  warmup?: string;
  quick?: boolean;
  http?: boolean;
  httpRounds?: string;
  /** --http against: reference (our serve, default) or cerbos */
  engine?: string;
  celEngines?: boolean;
  seed?: string;
  requests?: string;
  memory?: boolean;
  saveBaseline?: string;
  baseline?: string;
  maxRegression: string;
  list?: boolean;
}


export function register(program: Command, ctx: CliContext): void {
  const cmd = new Command('bench')
    .description('benchmark the reference engine per scenario: checks (cached/uncached), each CEL condition, load+compile, engine overhead ratio, stage breakdown, memory')
    .option('--scenario <name>', 'bundled scenario or scenario folder (repeatable or comma-separated; default: all bundled)', repeatableList)
    .option('--time <ms>', `time budget per task (ms or duration; default ${DEFAULTS.timeMs}, --quick ${QUICK.timeMs})`)
    .option('--iterations <n>', `minimum iterations per task (default ${DEFAULTS.iterations}, --quick ${QUICK.iterations})`)
    .option('--warmup <ms>', `warmup time per task, or off (default ${DEFAULTS.warmupMs}, --quick ${QUICK.warmupMs})`)
    .option('--quick', 'short run for CI: a few seconds per scenario')
    .option('--http', 'also measure a keep-alive HTTP round trip to `serve` on 127.0.0.1')
    .option('--http-rounds <n>', `--http: alternating rounds of serve vs bare node:http and of cache on vs off; the median ratio counts (default ${DEFAULT_HTTP_ROUNDS})`)
    .option('--engine <name>', '--http: the server to measure the round trip to: reference (`serve`) or cerbos (the real Cerbos PDP, started per scenario)', 'reference')
    .option('--cel-engines', 'compare @marcbachmann/cel-js with cel-js (ChromeGG) on the same conditions and inputs')
    .option('--seed <n>', 'seed of the request streams', '1')
    .option('--globals <file>', "YAML/JSON engine globals (default: each scenario's globals:)")
    .option('--lenient-scopes', "lenient scope search (Cerbos's engine.lenientScopeSearch; default: each scenario's setting)")
    .option('--requests <n>', `requests drawn from each scenario's stream (default ${DEFAULTS.requests}, --quick ${QUICK.requests})`)
    .option('--memory', 'measure bytes allocated per check in a child process (default: on, off with --quick)')
    .option('--no-memory', 'skip the child process that measures bytes allocated per check')
    .option('--save-baseline <file>', 'write this run as a baseline file')
    .option('--baseline <file>', 'compare with a baseline (or any saved bench report); exit 1 on regression')
    .option('--max-regression <pct>', 'slowdown that counts as a regression, when also beyond the margin of error', '10%')
    .option('--list', 'list the bundled scenarios and exit');
  addReportOptions(cmd);
  cmd.action(runAction(ctx, async (flags: BenchFlags) => benchAction(ctx, cmd, flags)));
  program.addCommand(cmd);
}

async function benchAction(ctx: CliContext, cmd: Command, flags: BenchFlags): Promise<number> {
  const known = await availableScenarios();
  if (flags.list) {
    for (const s of known) ctx.stdout.write(`${s.name}${s.description ? `  ${s.description}` : ''}\n`);
    return 0;
  }
  const options = resolveOptions(ctx, flags, known.map((s) => s.name));
  if (flags.engine !== undefined && flags.engine !== 'reference') {
    if (flags.engine !== 'cerbos') throw new UsageError(`--engine: expected reference or cerbos, got '${flags.engine}'`);
    if (!flags.http) throw new UsageError('--engine cerbos: applies to the --http round trip; add --http');
    options.httpTarget = await cerbosHttpTarget(options.scenarios, { cwd: ctx.cwd, env: ctx.env, lenient: options.lenientScopes === true });
  }
  if (flags.httpRounds !== undefined && !flags.http) throw new UsageError('--http-rounds: applies to the --http comparisons; add --http');
  const maxRegression = parsePercent('--max-regression', flags.maxRegression, 1000);
  // Read the baseline before measuring: a bad file should fail in a second, not after the run.
  let baseline: { file: string; data: ReturnType<typeof parseBaseline> } | null = null;
  if (flags.baseline) {
    const text = await readTextOr(ctx, flags.baseline, (reason, code) => new InputError(`cannot read baseline: ${code ?? reason}`, { file: flags.baseline }));
    const data = parseBaseline(text, flags.baseline);
    loadReport(text, flags.baseline); // the schema check `report` applies (schemaVersion, shape)
    baseline = { file: flags.baseline, data };
  }

  const warnings: string[] = [];
  for (const s of options.scenarios) warnings.push(...(await policyTestWarnings(ctx.stderr, 'bench', await loadScenario(s, { cwd: ctx.cwd }))));
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const startedAt = new Date();
  let section;
  try {
    section = await runBenchSuite({
      ...options,
      signal: controller.signal,
      onProgress: (line) => void ctx.stderr.write(`bench: ${line}\n`),
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  const finishedAt = new Date();
  const report: BenchReport = {
    ...reportEnvelope('bench', argsAfterCommand(cmd), startedAt, finishedAt, collectEnvironment(ctx.cwd)),
    ...(warnings.length > 0 ? { warnings } : {}),
    bench: section,
  };
  if (controller.signal.aborted) report.interrupted = true;
  if (baseline) report.bench.baseline = compareWithBaseline(report.bench, baseline.data, maxRegression, baseline.file);
  // an interrupted run would make a partial baseline, so later runs would gate on fewer tasks
  const saveBaseline = flags.saveBaseline !== undefined && !report.interrupted;
  if (saveBaseline) report.bench.savedBaseline = flags.saveBaseline;
  await emitReport(ctx, report, flags);
  if (saveBaseline) {
    await writeOutputFile(path.resolve(ctx.cwd, flags.saveBaseline!), JSON.stringify(report, null, 2) + '\n', '--save-baseline');
  } else if (flags.saveBaseline !== undefined) {
    ctx.stderr.write(`bench: baseline not saved to ${flags.saveBaseline}: the run was interrupted\n`);
  }
  if (report.interrupted) return EXIT_INTERRUPTED;
  return report.bench.baseline && report.bench.baseline.regressions > 0 ? 1 : 0;
}

/** Largest --time / --warmup per task. */
const BENCH_TIME_MAX_MS = 3_600_000;

function resolveOptions(ctx: CliContext, flags: BenchFlags, known: string[]): Omit<BenchRunOptions, 'onProgress' | 'signal'> {
  const preset = flags.quick ? QUICK : DEFAULTS;
  // A bundled name, or a folder with a scenario.yaml (made absolute: the memory probe runs in a child).
  const scenarios = (flags.scenario?.length ? [...new Set(flags.scenario)] : known).map((s) => {
    if (known.includes(s)) return s;
    if (/[\\/]/.test(s) || s.startsWith('.')) {
      const dir = path.resolve(ctx.cwd, s);
      if (!existsSync(dir)) throw new UsageError(`--scenario: ${s}: no such scenario folder or file`);
      return dir;
    }
    throw new UsageError(`--scenario: unknown scenario '${s}' (bundled: ${known.join(', ') || 'none'}; or a folder with scenario.yaml)`);
  });
  if (scenarios.length === 0) throw new UsageError('--scenario: no bundled scenarios found');
  const warmupMs = flags.warmup !== undefined ? parseMilliseconds('--warmup', flags.warmup, { maxMs: BENCH_TIME_MAX_MS, allowZero: true, allowOff: true }) : preset.warmupMs;
  const options: Omit<BenchRunOptions, 'onProgress' | 'signal'> = {
    scenarios,
    timeMs: flags.time !== undefined ? parseMilliseconds('--time', flags.time, { maxMs: BENCH_TIME_MAX_MS }) : preset.timeMs,
    iterations: flags.iterations !== undefined ? parseInteger('--iterations', flags.iterations, { min: 1, max: 10_000_000 }) : preset.iterations,
    warmupMs,
    warmupIterations: warmupMs === 0 ? 0 : preset.warmupIterations,
    quick: Boolean(flags.quick),
    http: Boolean(flags.http),
    httpRounds: flags.httpRounds !== undefined ? parseInteger('--http-rounds', flags.httpRounds, { min: 1, max: 50 }) : DEFAULT_HTTP_ROUNDS,
    celEngines: Boolean(flags.celEngines),
    seed: parseInteger('--seed', flags.seed ?? '1', SEED_RANGE),
    requests: flags.requests !== undefined ? parseInteger('--requests', flags.requests, { min: 1, max: 100_000 }) : preset.requests,
    stageSamples: preset.stageSamples,
    memory: flags.memory ?? !flags.quick,
  };
  if (flags.globals !== undefined) options.globalsFile = path.resolve(ctx.cwd, flags.globals);
  if (flags.lenientScopes) options.lenientScopes = true;
  const slow = ctx.env.AUTHZ_PERF_BENCH_SLOW_TASK;
  if (slow) options.slowTask = parseSlowTask(slow);
  return options;
}
