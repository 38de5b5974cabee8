/** How many requests a loadtest prepares, and the warm-up ramp's own requests. */
import { DEFAULTS, warmupTargetRps, type ParsedFlags, type ResolvedPlan } from './options.js';
import { buildRequestSource } from './request-source.js';
import { LoadShape, peakTarget } from './schedule.js';
import { scenarioRequests } from './scenario-requests.js';
import type { Scenario } from '../scenario/index.js';

/** Requests for the warm-up ramp, from another seed, so the run's own requests start uncached. */
export async function warmupRequests(scenario: Scenario, plan: ResolvedPlan, parsed: ParsedFlags): Promise<{ durationS: number; bodies: Buffer[] } | null> {
  const first = warmupTargetRps(plan);
  if (!(parsed.warmupS > 0) || !(first > 0)) return null;
  const count = Math.min(DEFAULTS.requestPoolMax, Math.ceil((first * parsed.warmupS) / 2) + 1000);
  const { requests } = await scenarioRequests(scenario, count, (plan.seed + 7919) >>> 0, false);
  return { durationS: parsed.warmupS, bodies: buildRequestSource(requests, null).bodies as Buffer[] };
}

export function plannedRequests(plan: ResolvedPlan): number {
  if (plan.findMax) return plan.findMax.startRps * plan.findMax.stepDurationS * 8;
  const shape = plan.shape!;
  if (shape.model === 'open') return new LoadShape(shape.stages, shape.startTarget).expectedCount;
  // closed: roughly 1,000 requests per VU-second without think time, fewer with it
  const peak = peakTarget(shape);
  const perVuRps = shape.thinkTimeMs ? 1000 / Math.max(1, (shape.thinkTimeMs[0] + shape.thinkTimeMs[1]) / 2) : 1000;
  return peak * perVuRps * totalDurationS(shape);
}

export function totalDurationS(shape: { stages: Array<{ durationS: number }> }): number {
  return shape.stages.reduce((s, x) => s + x.durationS, 0);
}
