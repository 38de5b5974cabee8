/**
 * --find-max: step the open-model rate up until the SLO (p99 or error rate) fails, then bisect
 * between the last rate that held and the first that did not. Every step is a full open-model
 * run; its figures are kept (they feed `size`).
 */
import { measuresOf } from './section.js';
import { sleep, type RunOutcome } from './run-types.js';
import type { FindMaxStep } from './types.js';

export interface FindMaxOptions {
  startRps: number;
  /** multiplier while no step has failed yet */
  growth: number;
  maxSteps: number;
  /** stop bisecting when the gap between passing and failing rates is below this share */
  resolution: number;
  sloP99Ms: number;
  maxErrorRate: number;
  runStep: (targetRps: number) => Promise<RunOutcome>;
  signal?: AbortSignal;
  /** pause between steps so the target settles */
  pauseMs?: number;
  onStep?: (step: FindMaxStep) => void;
}

export interface FindMaxSearch {
  steps: FindMaxStep[];
  highestPassingRps: number | null;
  /** the run of the highest passing step (or the last step when none passed) */
  best: RunOutcome | null;
  interrupted: boolean;
}

export function stepFigures(targetRps: number, run: RunOutcome, sloP99Ms: number, maxErrorRate: number): FindMaxStep {
  const m = measuresOf(run);
  const c = run.recorder.counts;
  const attempted = Math.max(1, c.scheduled);
  const p50Ms = m.latencyAtMs(50) ?? 0;
  const p99Ms = m.latencyAtMs(99) ?? 0;
  // requests not answered successfully, including those that could not be sent or were abandoned
  const errorRate = (c.failed + c.dropped + c.abandoned) / attempted;
  const achievedRps = m.achievedRps ?? 0;
  const meanMs = m.meanMs ?? 0;
  return {
    targetRps,
    achievedRps: Math.round(achievedRps * 10) / 10,
    p50Ms,
    p99Ms,
    errorRate: Math.round(errorRate * 1e6) / 1e6,
    meanConcurrency: Math.round(achievedRps * (meanMs / 1000) * 100) / 100,
    droppedRate: Math.round((c.dropped / attempted) * 1e6) / 1e6,
    passed: c.succeeded > 0 && p99Ms <= sloP99Ms && errorRate <= maxErrorRate,
  };
}

export async function searchMaxRate(o: FindMaxOptions): Promise<FindMaxSearch> {
  const steps: FindMaxStep[] = [];
  let pass: number | null = null;
  let fail: number | null = null;
  let best: RunOutcome | null = null;
  let last: RunOutcome | null = null;
  let rate = Math.max(1, Math.round(o.startRps));
  for (let i = 0; i < o.maxSteps && !o.signal?.aborted; i++) {
    const run = await o.runStep(rate);
    last = run;
    if (run.interrupted) break;
    const step = stepFigures(rate, run, o.sloP99Ms, o.maxErrorRate);
    steps.push(step);
    o.onStep?.(step);
    if (step.passed) {
      pass = rate;
      best = run;
    } else {
      fail = fail === null ? rate : Math.min(fail, rate);
    }
    const next = fail === null ? rate * o.growth : pass === null ? rate / 2 : (pass + fail) / 2;
    const rounded = roundRate(next);
    if (fail !== null && pass !== null && (fail - pass) / pass <= o.resolution) break;
    if (rounded === rate || rounded < 1 || steps.some((s) => s.targetRps === rounded)) break;
    rate = rounded;
    await sleep(o.pauseMs ?? 500, o.signal);
  }
  return { steps, highestPassingRps: pass, best: best ?? last, interrupted: Boolean(o.signal?.aborted) };
}

/** Two significant digits is plenty for a rate step (e.g. 2,250 → 2,300). */
export function roundRate(x: number): number {
  if (x < 10) return Math.max(1, Math.round(x));
  const mag = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Math.round(x / mag) * mag;
}
