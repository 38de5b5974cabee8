/**
 * The loadtest plan's front door: how many distinct requests to prepare, the warm-up requests,
 * and the one-line description of the plan. The CLI parses flags and calls these.
 */
import { DEFAULTS, requestPoolSize, warmupTargetRps, type ParsedFlags, type ResolvedPlan } from './options.js';
import { buildRequestSource } from './request-source.js';
import { LoadShape, peakTarget } from './schedule.js';
import { scenarioRequests } from './scenario-requests.js';
import type { Scenario } from '../scenario/index.js';

/**
 * Added to the run's seed for the warm-up requests: any fixed offset gives another request
 * stream, so the run's own requests reach the target uncached; a prime keeps the two streams'
 * seeds from lining up for neighbouring seeds.
 */
export const WARMUP_SEED_OFFSET = 7919;

/**
 * --find-max prepares this many steps' worth of requests at the start rate: the search usually
 * doubles the rate two or three times (1 + 2 + 4 = 7 steps' worth), and a pool cycled beyond that
 * only raises the cache hit rate a little.
 */
export const FIND_MAX_POOL_STEPS = 8;

/** --find-max always warms the target up first, for at least this long (also with --warmup 0). */
export const FIND_MAX_MIN_WARMUP_S = 1;

export interface WarmupPlan {
  durationS: number;
  bodies: Buffer[];
}

/** Requests the plan will send (an estimate for the closed model and --find-max). */
export function plannedRequests(plan: ResolvedPlan): number {
  if (plan.findMax) return plan.findMax.startRps * plan.findMax.stepDurationS * FIND_MAX_POOL_STEPS;
  const shape = plan.shape!;
  if (shape.model === 'open') return new LoadShape(shape.stages, shape.startTarget).expectedCount;
  // closed: roughly 1,000 requests per VU-second without think time, fewer with it
  const perVuRps = shape.thinkTimeMs ? 1000 / Math.max(1, (shape.thinkTimeMs[0] + shape.thinkTimeMs[1]) / 2) : 1000;
  return peakTarget(shape) * perVuRps * plannedDurationS(shape);
}

/** Distinct requests to prepare for this plan. */
export function poolSizeFor(parsed: ParsedFlags, plan: ResolvedPlan): number {
  return requestPoolSize(parsed, plannedRequests(plan));
}

/** How long the warm-up ramp lasts: --warmup, at least FIND_MAX_MIN_WARMUP_S for --find-max. */
export function warmupSeconds(plan: ResolvedPlan, parsed: ParsedFlags): number {
  return plan.findMax ? Math.max(parsed.warmupS, FIND_MAX_MIN_WARMUP_S) : parsed.warmupS;
}

/** Requests for the warm-up ramp, from another seed, so the run's own requests start uncached. */
export async function warmupRequests(scenario: Scenario, plan: ResolvedPlan, parsed: ParsedFlags): Promise<WarmupPlan | null> {
  const first = warmupTargetRps(plan);
  const durationS = warmupSeconds(plan, parsed);
  if (!(durationS > 0) || !(first > 0)) return null;
  // a ramp from 0 sends half of first × duration, plus the unrecorded connection warm-up
  const count = Math.min(DEFAULTS.requestPoolMax, Math.ceil((first * durationS) / 2) + 1000);
  const { requests } = await scenarioRequests(scenario, count, (plan.seed + WARMUP_SEED_OFFSET) >>> 0, false);
  return { durationS, bodies: buildRequestSource(requests, null).bodies as Buffer[] };
}

export function plannedDurationS(shape: { stages: ReadonlyArray<{ durationS: number }> }): number {
  return shape.stages.reduce((s, x) => s + x.durationS, 0);
}

/** e.g. "open model up to 2000 req/s for 30 s" */
export function describePlan(plan: ResolvedPlan, parsed: ParsedFlags): string {
  if (plan.findMax) {
    const f = plan.findMax;
    return `--find-max from ${f.startRps} req/s, ${f.stepDurationS} s steps, SLO p99 ≤ ${f.sloP99Ms} ms, errors ≤ ${f.maxErrorRate * 100}%, resolution ${DEFAULTS.findMaxResolution * 100}%, budget ${f.budgetS} s`;
  }
  const s = plan.shape!;
  const peak = peakTarget(s);
  const what = s.model === 'open' ? `open model up to ${peak} req/s` : `closed model up to ${peak} VUs`;
  return `${what} for ${plannedDurationS(s)} s${s.profile ? ` (profile ${s.profile})` : ''}${parsed.maxConnections !== DEFAULTS.maxConnections ? `, max ${parsed.maxConnections} connections` : ''}`;
}
