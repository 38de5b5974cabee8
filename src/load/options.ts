/**
 * A `loadtest` run plan: the parsed flags (ParsedFlags, from cli/loadtest-flags.ts) combined with
 * the scenario (named profiles, SLO, seed) by resolvePlan, which throws UsageError naming the flag.
 */
import { UsageError } from '../util/errors.js';
import { sloThresholds } from './thresholds.js';
import { firstTarget } from './schedule.js';
import type { LoadModel, LoadStage, Threshold } from './types.js';

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
  /** open model: worker threads sharing the schedule (--generator-threads; default 1) */
  generatorThreads?: number;
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
  findMaxSteps: 20,
  findMaxGrowth: 2,
  /** pause after a step the target plainly could not carry (find-max.ts settleMs) */
  findMaxSettleMs: 2000,
  findMaxResolution: 0.05,
  /** 1,000 requests put ≥ 10 samples above the p99, so one outlier cannot decide it */
  findMaxMinSamples: 1000,
  findMaxStepExtension: 4,
  autocannonConnections: 16,
  sloP99Ms: 50,
  maxErrorRate: 0.001,
} as const;

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

/** The rate a warm-up ramps to: --find-max's first step, or an open-model run's first target (0: none). */
export function warmupTargetRps(plan: { findMax: { startRps: number } | null; shape: LoadShapePlan | null }): number {
  return plan.findMax ? plan.findMax.startRps : plan.shape?.model === 'open' ? firstTarget(plan.shape) : 0;
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
