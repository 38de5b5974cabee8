/**
 * --find-max: step the open-model rate up until the SLO (p99 or error rate) fails, then bisect
 * between the last rate that held and the first that did not. Every step is a full open-model
 * run; its figures are kept (they feed `size`).
 *
 * A verdict must not rest on a handful of samples: one event-loop stall on a busy host delays
 * rate × stall requests, which is more than 1% of a short, slow step. So a step lasts long enough
 * for `minSamples` requests (up to `maxStepDurationS`; fewer is inconclusive), and a failed step
 * is run once more before the search believes it (unless it plainly could not keep up).
 */
import { measuresOf } from './section.js';
import { sleep, type RunOutcome } from './run-types.js';
import type { FindMaxStep, FindMaxVerdict } from './types.js';

export interface FindMaxOptions {
  startRps: number;
  /** multiplier while no step has failed yet */
  growth: number;
  maxSteps: number;
  /** stop bisecting when the gap between passing and failing rates is below this share */
  resolution: number;
  sloP99Ms: number;
  maxErrorRate: number;
  /** step length; default 1 s (the caller's runStep may ignore it) */
  stepDurationS?: number;
  /** a step at a low rate is extended up to this long to collect `minSamples` (default: stepDurationS) */
  maxStepDurationS?: number;
  /** fewest requests for a verdict (default 0: every step decides) */
  minSamples?: number;
  /** re-run a failed step once before concluding (default true) */
  retryFailed?: boolean;
  runStep: (targetRps: number, durationS: number) => Promise<RunOutcome>;
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

/** A failed attempt that reached less than this share of its target could not keep up: no re-run. */
export const OVERLOAD_SHARE = 0.9;

export function stepFigures(targetRps: number, run: RunOutcome, sloP99Ms: number, maxErrorRate: number, minSamples = 0): FindMaxStep {
  const m = measuresOf(run);
  const c = run.recorder.counts;
  const attempted = Math.max(1, c.scheduled);
  const p50Ms = m.latencyAtMs(50) ?? 0;
  const p99Ms = m.latencyAtMs(99) ?? 0;
  // requests not answered successfully, including those that could not be sent or were abandoned
  const errorRate = (c.failed + c.dropped + c.abandoned) / attempted;
  const achievedRps = m.achievedRps ?? 0;
  const meanMs = m.meanMs ?? 0;
  const held = c.succeeded > 0 && p99Ms <= sloP99Ms && errorRate <= maxErrorRate;
  const verdict: FindMaxVerdict = c.scheduled < minSamples ? 'inconclusive' : held ? 'passed' : 'failed';
  return {
    targetRps,
    achievedRps: Math.round(achievedRps * 10) / 10,
    p50Ms,
    p99Ms,
    errorRate: Math.round(errorRate * 1e6) / 1e6,
    meanConcurrency: Math.round(achievedRps * (meanMs / 1000) * 100) / 100,
    droppedRate: Math.round((c.dropped / attempted) * 1e6) / 1e6,
    passed: verdict === 'passed',
    verdict,
    samples: c.scheduled,
    retries: 0,
  };
}

/** Long enough for `minSamples` requests at `rps`, between the step length and the cap. */
export function stepDurationFor(rps: number, stepDurationS: number, maxStepDurationS: number, minSamples: number): number {
  const needed = minSamples > 0 ? Math.ceil((minSamples / rps) * 10) / 10 : 0;
  return Math.max(stepDurationS, Math.min(Math.max(stepDurationS, maxStepDurationS), needed));
}

export async function searchMaxRate(o: FindMaxOptions): Promise<FindMaxSearch> {
  const steps: FindMaxStep[] = [];
  const minSamples = o.minSamples ?? 0;
  const stepS = o.stepDurationS ?? 1;
  const maxStepS = o.maxStepDurationS ?? stepS;
  let pass: number | null = null;
  let fail: number | null = null;
  let best: RunOutcome | null = null;
  let last: RunOutcome | null = null;
  let rate = Math.max(1, Math.round(o.startRps));
  for (let i = 0; i < o.maxSteps && !o.signal?.aborted; i++) {
    const durationS = stepDurationFor(rate, stepS, maxStepS, minSamples);
    let run = await o.runStep(rate, durationS);
    last = run;
    if (run.interrupted) break;
    let step: FindMaxStep = { ...stepFigures(rate, run, o.sloP99Ms, o.maxErrorRate, minSamples), durationS };
    if (step.verdict === 'failed' && o.retryFailed !== false && step.achievedRps >= OVERLOAD_SHARE * rate && !o.signal?.aborted) {
      const first = step;
      await sleep(o.pauseMs ?? 500, o.signal);
      const again = await o.runStep(rate, durationS);
      if (!again.interrupted) {
        run = again;
        last = again;
        step = {
          ...stepFigures(rate, again, o.sloP99Ms, o.maxErrorRate, minSamples),
          durationS,
          retries: 1,
          firstAttempt: { p99Ms: first.p99Ms, errorRate: first.errorRate, achievedRps: first.achievedRps, samples: first.samples ?? 0 },
        };
      }
    }
    steps.push(step);
    o.onStep?.(step);
    if (step.verdict === 'passed') {
      pass = rate;
      best = run;
    } else if (step.verdict === 'failed' || fail !== null) {
      // an inconclusive step while bisecting cannot count as held: search below it
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
