/**
 * `loadtest` flags → ParsedFlags, each flag checked on its own so bad input fails before anything
 * starts; load/options.ts resolvePlan then combines them with the scenario.
 */
import { UsageError } from '../util/errors.js';
import { tryParseDurationRangeMs } from '../util/duration.js';
import { parseStages } from '../load/schedule.js';
import { parseThreshold } from '../load/thresholds.js';
import { DEFAULTS, type FindMaxPlan, type ParsedFlags } from '../load/options.js';
import type { LoadModel } from '../load/types.js';
import os from 'node:os';
import { SEED_RANGE, parseCount, parseIntegerOrAuto, parseDuration, parseFraction, parseInteger, parseLatency, parseRate, parseUrl } from './flags.js';

/**
 * Largest accepted values, from what one load-generator process can hold:
 * - rps: a request the target cannot take yet waits in the open model's queue (16 bytes) for up
 *   to --timeout; 1M/s × 60 s stays under 1 GB, and one Node process sends far fewer anyway.
 * - vus, connections: each is one socket (a file descriptor) with its buffers; 10,000 stays
 *   under the usual open-file limits.
 * - requestPool: prepared request bodies are held in memory (about 1 KB each): 1M ≈ 1 GB.
 */
export const LOADTEST_LIMITS = {
  rps: 1_000_000,
  vus: 10_000,
  connections: 10_000,
  requestPool: 1_000_000,
  maxSteps: 100,
  minSamples: 10_000_000,
  durationMs: 24 * 3_600_000,
  timeoutMs: 60_000,
} as const;

/** Flag values as commander hands them over. */
export interface LoadtestFlags {
  scenario?: string;
  target?: string;
  rps?: string;
  vus?: string;
  model?: string;
  duration?: string;
  rampUp?: string;
  stages?: string;
  profile?: string;
  thinkTime?: string;
  maxConnections?: string;
  timeout?: string;
  seed?: string;
  requestPool?: string;
  warmup?: string;
  threshold?: string[];
  /** false with --no-slo */
  slo?: boolean;
  findMax?: boolean;
  startRps?: string;
  stepDuration?: string;
  maxSteps?: string;
  sloP99?: string;
  maxErrorRate?: string;
  minSamples?: string;
  /** false with --no-autocannon */
  autocannon?: boolean;
  autocannonConnections?: string;
  budget?: string;
  /** false with --no-verify */
  verify?: boolean;
  /** false with --no-metrics */
  metrics?: boolean;
  metricsUrl?: string;
  generatorThreads?: string;
}

/** --generator-threads: at most 4 per core (more only share the cores); `auto` = one per core. */
export function generatorThreadsRange(cores = os.availableParallelism()): { min: number; max: number; auto: number } {
  return { min: 1, max: Math.max(1, cores) * 4, auto: Math.max(1, cores) };
}


const durationS = (text: string, flag: string): number => parseDuration(flag, text, { maxMs: LOADTEST_LIMITS.durationMs }) / 1000;

export function parseLoadtestFlags(f: LoadtestFlags): ParsedFlags {
  const rps = f.rps !== undefined ? parseRate('--rps', f.rps, LOADTEST_LIMITS.rps) : null;
  const vus = f.vus !== undefined ? parseCount('--vus', f.vus, { min: 1, max: LOADTEST_LIMITS.vus }) : null;
  if (rps !== null && vus !== null) throw new UsageError('--rps (open model) and --vus (closed model) exclude each other; give one');
  let model: LoadModel | null = rps !== null ? 'open' : vus !== null ? 'closed' : null;
  if (f.model !== undefined) {
    if (f.model !== 'open' && f.model !== 'closed') throw new UsageError(`--model must be open or closed (got '${f.model}')`);
    if (model !== null && model !== f.model) throw new UsageError(`--model ${f.model} conflicts with ${rps !== null ? '--rps' : '--vus'}`);
    model = f.model;
  }
  const stages = f.stages !== undefined ? parseStages(f.stages, (d) => durationS(d, '--stages'), '--stages') : null;
  const shapes = [rps !== null || vus !== null ? (rps !== null ? '--rps' : '--vus') : null, stages ? '--stages' : null, f.profile !== undefined ? '--profile' : null, f.findMax ? '--find-max' : null].filter(
    (x): x is string => x !== null,
  );
  if (shapes.length > 1) throw new UsageError(`${shapes.join(' and ')} exclude each other: give one load shape`);
  if (shapes.length === 0) throw new UsageError('give a load shape: --rps N (open model), --vus N (closed model), --stages, --profile NAME or --find-max');
  if (stages && model === null) model = 'open';
  const targetMax = model === 'closed' ? LOADTEST_LIMITS.vus : LOADTEST_LIMITS.rps;
  if (stages?.some((s) => s.target > targetMax)) throw new UsageError(`--stages: a target must be at most ${targetMax} ${model === 'closed' ? 'VUs' : 'requests per second'}`);
  if ((f.duration !== undefined || f.rampUp !== undefined) && (stages || f.profile !== undefined))
    throw new UsageError(`--duration and --ramp-up apply to --rps/--vus; ${stages ? '--stages' : '--profile'} sets its own durations`);
  let thinkTimeMs: [number, number] | null = null;
  if (f.thinkTime !== undefined) {
    thinkTimeMs = tryParseDurationRangeMs(f.thinkTime);
    if (!thinkTimeMs) throw new UsageError(`--think-time: expected a duration or MIN..MAX, e.g. 100ms..500ms (got '${f.thinkTime}')`);
    if (model === 'open' || f.findMax) throw new UsageError('--think-time applies to the closed model (--vus); the open model has no think time');
  }
  let findMax: FindMaxPlan | null = null;
  if (f.findMax) {
    if (f.model === 'closed') throw new UsageError('--find-max steps an arrival rate: it runs the open model only');
    findMax = {
      startRps: f.startRps !== undefined ? parseRate('--start-rps', f.startRps, LOADTEST_LIMITS.rps) : DEFAULTS.findMaxStartRps,
      stepDurationS: f.stepDuration !== undefined ? durationS(f.stepDuration, '--step-duration') : DEFAULTS.findMaxStepDurationS,
      maxSteps: f.maxSteps !== undefined ? parseCount('--max-steps', f.maxSteps, { min: 1, max: LOADTEST_LIMITS.maxSteps }) : DEFAULTS.findMaxSteps,
      sloP99Ms: f.sloP99 !== undefined ? parseLatency('--slo-p99', f.sloP99, LOADTEST_LIMITS.timeoutMs) : null,
      maxErrorRate: f.maxErrorRate !== undefined ? parseFraction('--max-error-rate', f.maxErrorRate, false) : null,
      minSamples: f.minSamples !== undefined ? parseCount('--min-samples', f.minSamples, { min: 0, max: LOADTEST_LIMITS.minSamples }) : DEFAULTS.findMaxMinSamples,
      autocannon: f.autocannon !== false,
      autocannonConnections: f.autocannonConnections !== undefined ? parseCount('--autocannon-connections', f.autocannonConnections, { min: 1, max: LOADTEST_LIMITS.connections }) : DEFAULTS.autocannonConnections,
      budgetS: f.budget !== undefined ? durationS(f.budget, '--budget') : DEFAULTS.findMaxBudgetS,
    };
    model = 'open';
  } else {
    for (const [flag, v] of [['--start-rps', f.startRps], ['--step-duration', f.stepDuration], ['--max-steps', f.maxSteps], ['--slo-p99', f.sloP99], ['--max-error-rate', f.maxErrorRate], ['--min-samples', f.minSamples], ['--budget', f.budget]] as const)
      if (v !== undefined) throw new UsageError(`${flag} applies to --find-max only`);
  }
  const seed = f.seed !== undefined ? parseInteger('--seed', f.seed, SEED_RANGE) : null;
  const threadRange = generatorThreadsRange();
  const generatorThreads = f.generatorThreads !== undefined ? parseIntegerOrAuto('--generator-threads', f.generatorThreads, threadRange, threadRange.auto) : 1;
  if (generatorThreads > 1 && model === 'closed') throw new UsageError('--generator-threads applies to the open model (--rps, --stages, --find-max); the closed model runs in one thread');
  return {
    model,
    rps,
    vus,
    durationS: f.duration !== undefined ? durationS(f.duration, '--duration') : DEFAULTS.durationS,
    rampUpS: f.rampUp !== undefined ? parseDuration('--ramp-up', f.rampUp, { maxMs: LOADTEST_LIMITS.durationMs, allowZero: true }) / 1000 : 0,
    stages,
    profile: f.profile ?? null,
    thinkTimeMs,
    maxConnections: f.maxConnections !== undefined ? parseCount('--max-connections', f.maxConnections, { min: 1, max: LOADTEST_LIMITS.connections }) : DEFAULTS.maxConnections,
    timeoutMs: f.timeout !== undefined ? parseDuration('--timeout', f.timeout, { maxMs: LOADTEST_LIMITS.timeoutMs }) : DEFAULTS.timeoutMs,
    seed,
    requestPool: f.requestPool !== undefined ? parseCount('--request-pool', f.requestPool, { min: 1, max: LOADTEST_LIMITS.requestPool }) : null,
    warmupS: f.warmup === undefined ? DEFAULTS.warmupS : f.warmup.trim() === '0' ? 0 : parseDuration('--warmup', f.warmup, { maxMs: LOADTEST_LIMITS.durationMs, allowZero: true }) / 1000,
    thresholds: (f.threshold ?? []).map((t) => parseThreshold(t)),
    useSlo: f.slo !== false,
    findMax,
    verify: f.verify !== false,
    metrics: f.metrics !== false,
    metricsUrl: f.metricsUrl !== undefined ? parseUrl('--metrics-url', f.metricsUrl) : null,
    targetUrl: f.target !== undefined ? parseUrl('--target', f.target) : null,
    generatorThreads,
  };
}


