/**
 * `loadtest` flags → a run plan. Parsed in two passes so bad input fails before anything starts:
 * parseLoadtestFlags checks every flag on its own; resolvePlan then combines them with the
 * scenario (named profiles, SLO, seed). Both throw UsageError naming the flag.
 */
import { UsageError } from '../util/errors.js';
import { parseDurationMs, tryParseDurationRangeMs } from '../util/duration.js';
import { parseCount, parseFraction, parseLatencyMs, parsePositiveRate } from '../sizing/parse.js';
import { parseStages } from './schedule.js';
import { parseThreshold, sloThresholds } from './thresholds.js';
import type { LoadModel, LoadStage, Threshold } from './types.js';

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
}

export interface FindMaxPlan {
  startRps: number;
  stepDurationS: number;
  maxSteps: number;
  /** from the flag, else the scenario SLO */
  sloP99Ms: number | null;
  maxErrorRate: number | null;
  /** fewest requests for a step's verdict; a step at a low rate is extended (up to
   * findMaxStepExtension × stepDurationS) to reach it, else it is inconclusive */
  minSamples: number;
  autocannon: boolean;
  autocannonConnections: number;
  /** the whole search (warm-up, steps, cross-checks) ends within this (seconds) */
  budgetS: number;
}

export interface ParsedFlags {
  model: LoadModel | null;
  rps: number | null;
  vus: number | null;
  durationS: number;
  rampUpS: number;
  stages: LoadStage[] | null;
  profile: string | null;
  thinkTimeMs: [number, number] | null;
  maxConnections: number;
  timeoutMs: number;
  seed: number | null;
  requestPool: number | null;
  /** unrecorded ramp before an open-model run or --find-max (0: none) */
  warmupS: number;
  thresholds: Threshold[];
  useSlo: boolean;
  findMax: FindMaxPlan | null;
  verify: boolean;
  metrics: boolean;
  metricsUrl: string | null;
  /** --target, normalised (no trailing slash); null: start the bundled engine */
  targetUrl: string | null;
}

export const DEFAULTS = {
  durationS: 30,
  warmupS: 2,
  maxConnections: 256,
  timeoutMs: 10_000,
  lateThresholdMs: 10,
  requestPoolMax: 20_000,
  requestPoolMin: 100,
  findMaxStartRps: 500,
  findMaxStepDurationS: 2,
  findMaxBudgetS: 60,
  findMaxSteps: 14,
  findMaxGrowth: 2,
  findMaxResolution: 0.05,
  /** 1,000 requests put ≥ 10 samples above the p99, so one outlier cannot decide it */
  findMaxMinSamples: 1000,
  findMaxStepExtension: 4,
  autocannonConnections: 16,
  sloP99Ms: 50,
  maxErrorRate: 0.001,
} as const;

const durationS = (text: string, flag: string): number => {
  const ms = parseDurationMs(text, flag);
  if (!(ms > 0)) throw new UsageError(`${flag}: must be longer than 0 (got '${text}')`);
  return ms / 1000;
};

export function parseLoadtestFlags(f: LoadtestFlags): ParsedFlags {
  const rps = f.rps !== undefined ? parsePositiveRate(f.rps, '--rps') : null;
  const vus = f.vus !== undefined ? parseCount(f.vus, '--vus', 1) : null;
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
      startRps: f.startRps !== undefined ? parsePositiveRate(f.startRps, '--start-rps') : DEFAULTS.findMaxStartRps,
      stepDurationS: f.stepDuration !== undefined ? durationS(f.stepDuration, '--step-duration') : DEFAULTS.findMaxStepDurationS,
      maxSteps: f.maxSteps !== undefined ? parseCount(f.maxSteps, '--max-steps', 1) : DEFAULTS.findMaxSteps,
      sloP99Ms: f.sloP99 !== undefined ? parseLatencyMs(f.sloP99, '--slo-p99') : null,
      maxErrorRate: f.maxErrorRate !== undefined ? parseFraction(f.maxErrorRate, '--max-error-rate', false) : null,
      minSamples: f.minSamples !== undefined ? parseCount(f.minSamples, '--min-samples', 0) : DEFAULTS.findMaxMinSamples,
      autocannon: f.autocannon !== false,
      autocannonConnections: f.autocannonConnections !== undefined ? parseCount(f.autocannonConnections, '--autocannon-connections', 1) : DEFAULTS.autocannonConnections,
      budgetS: f.budget !== undefined ? durationS(f.budget, '--budget') : DEFAULTS.findMaxBudgetS,
    };
    model = 'open';
  } else {
    for (const [flag, v] of [['--start-rps', f.startRps], ['--step-duration', f.stepDuration], ['--max-steps', f.maxSteps], ['--slo-p99', f.sloP99], ['--max-error-rate', f.maxErrorRate], ['--min-samples', f.minSamples], ['--budget', f.budget]] as const)
      if (v !== undefined) throw new UsageError(`${flag} applies to --find-max only`);
  }
  const seed = f.seed !== undefined ? parseCount(f.seed, '--seed', 0) : null;
  return {
    model,
    rps,
    vus,
    durationS: f.duration !== undefined ? durationS(f.duration, '--duration') : DEFAULTS.durationS,
    rampUpS: f.rampUp !== undefined ? parseDurationMs(f.rampUp, '--ramp-up') / 1000 : 0,
    stages,
    profile: f.profile ?? null,
    thinkTimeMs,
    maxConnections: f.maxConnections !== undefined ? parseCount(f.maxConnections, '--max-connections', 1) : DEFAULTS.maxConnections,
    timeoutMs: f.timeout !== undefined ? positiveMs(f.timeout, '--timeout') : DEFAULTS.timeoutMs,
    seed,
    requestPool: f.requestPool !== undefined ? parseCount(f.requestPool, '--request-pool', 1) : null,
    warmupS: f.warmup === undefined ? DEFAULTS.warmupS : f.warmup.trim() === '0' ? 0 : parseDurationMs(f.warmup, '--warmup') / 1000,
    thresholds: (f.threshold ?? []).map((t) => parseThreshold(t)),
    useSlo: f.slo !== false,
    findMax,
    verify: f.verify !== false,
    metrics: f.metrics !== false,
    metricsUrl: f.metricsUrl !== undefined ? parseUrl(f.metricsUrl, '--metrics-url') : null,
    targetUrl: f.target !== undefined ? parseUrl(f.target, '--target') : null,
  };
}

function positiveMs(text: string, flag: string): number {
  const ms = parseDurationMs(text, flag);
  if (!(ms > 0)) throw new UsageError(`${flag}: must be longer than 0 (got '${text}')`);
  return ms;
}

/** `http://host:port[/base]` without a trailing slash. */
export function parseUrl(text: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${flag}: '${text}' is not a URL (e.g. http://127.0.0.1:3592)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${flag}: only http:// and https:// URLs are supported (got '${text}')`);
  return url.href.replace(/\/+$/, '');
}

/** What resolvePlan needs from a scenario (a subset of Scenario, so tests can pass literals). */
export interface ScenarioPlanInfo {
  name: string;
  seed: number;
  slo: { p50Ms?: number; p95Ms?: number; p99Ms?: number; errorRate?: number } | null;
  load: Record<string, { executor: 'arrival-rate' | 'vus'; thinkTimeMs?: [number, number]; stages: LoadStage[] }>;
}

export interface LoadShapePlan {
  model: LoadModel;
  stages: LoadStage[];
  /** the target at t = 0 */
  startTarget: number;
  thinkTimeMs: [number, number] | null;
  profile: string | null;
}

export interface ResolvedPlan {
  /** null with --find-max (each step is a constant rate) */
  shape: LoadShapePlan | null;
  thresholds: Threshold[];
  seed: number;
  findMax: (FindMaxPlan & { sloP99Ms: number; maxErrorRate: number }) | null;
}

export function resolvePlan(p: ParsedFlags, scenario: ScenarioPlanInfo): ResolvedPlan {
  const thresholds = [...p.thresholds, ...(p.useSlo && !p.findMax ? sloThresholds(scenario.slo) : [])];
  const seed = p.seed ?? scenario.seed;
  if (p.findMax) {
    return {
      shape: null,
      thresholds,
      seed,
      findMax: {
        ...p.findMax,
        sloP99Ms: p.findMax.sloP99Ms ?? scenario.slo?.p99Ms ?? DEFAULTS.sloP99Ms,
        maxErrorRate: p.findMax.maxErrorRate ?? scenario.slo?.errorRate ?? DEFAULTS.maxErrorRate,
      },
    };
  }
  return { shape: shapeOf(p, scenario), thresholds, seed, findMax: null };
}

function shapeOf(p: ParsedFlags, scenario: ScenarioPlanInfo): LoadShapePlan {
  if (p.profile !== null) {
    const profile = scenario.load[p.profile];
    const names = Object.keys(scenario.load).sort();
    if (!profile)
      throw new UsageError(
        `--profile: scenario ${scenario.name} has no load profile '${p.profile}'${names.length ? `; it has ${names.join(', ')}` : ' (it defines none)'}`,
      );
    const model: LoadModel = profile.executor === 'vus' ? 'closed' : 'open';
    if (p.model !== null && p.model !== model) throw new UsageError(`--model ${p.model} conflicts with profile '${p.profile}' (${profile.executor})`);
    if (p.thinkTimeMs && model === 'open') throw new UsageError(`--think-time applies to the closed model; profile '${p.profile}' is an arrival rate`);
    const stages = profile.stages.map((s) => ({ durationS: s.durationS, target: s.target }));
    return { model, stages, startTarget: 0, thinkTimeMs: model === 'closed' ? (p.thinkTimeMs ?? profile.thinkTimeMs ?? null) : null, profile: p.profile };
  }
  if (p.stages) {
    const model = p.model ?? 'open';
    return { model, stages: p.stages, startTarget: 0, thinkTimeMs: model === 'closed' ? p.thinkTimeMs : null, profile: null };
  }
  const model: LoadModel = p.rps !== null ? 'open' : 'closed';
  const target = (p.rps ?? p.vus)!;
  const stages: LoadStage[] = [];
  if (p.rampUpS > 0) stages.push({ durationS: p.rampUpS, target });
  stages.push({ durationS: p.durationS, target });
  return { model, stages, startTarget: p.rampUpS > 0 ? 0 : target, thinkTimeMs: model === 'closed' ? p.thinkTimeMs : null, profile: null };
}

/** Distinct request bodies to prepare: the planned request count, clamped (a pool is cycled). */
export function requestPoolSize(p: ParsedFlags, expectedRequests: number): number {
  if (p.requestPool !== null) return p.requestPool;
  return Math.max(DEFAULTS.requestPoolMin, Math.min(DEFAULTS.requestPoolMax, Math.ceil(expectedRequests)));
}
