/**
 * --find-max: step the open-model rate up until the SLO (p99 or error rate) fails, then bisect
 * between the last rate that held and the first that did not. Every step is a full open-model
 * run; its figures are kept (they feed `size`).
 *
 * A verdict must not rest on a handful of samples: one event-loop stall on a busy host delays
 * rate × stall requests, which is more than 1% of a short, slow step. So a step lasts long enough
 * for `minSamples` requests (up to `maxStepDurationS`; fewer is inconclusive), and a failed step
 * is run once more before the search believes it (unless it plainly could not keep up).
 *
 * A failure early in the search (one burst of load from another process on the host) would bound
 * everything after it, so once the result is confirmed, the lowest rate that broke is run once
 * more (budget permitting): when it now holds, it is the new lower bound and the search goes on
 * above it; when it breaks again, the search ends.
 *
 * Given a closed-loop estimate of the target's throughput (`ceilingRps`), the climb does not
 * double past it but halves the distance to it: a step at twice the limit builds queues and heap
 * that leave the target slower for the rest of the search.
 */
import { realClock, sleepOn, type RunClock } from './clock.js';
import { measuresOf } from './section.js';
import type { RunOutcome } from './run-types.js';
import type { FindMaxLimit, FindMaxStep, FindMaxVerdict } from './types.js';

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
  /**
   * pause after a step the target plainly could not carry (achieved under OVERLOAD_SHARE of the
   * rate, or p99 over OVERLOAD_P99_FACTOR × the SLO; default: pauseMs): the target's queues and
   * heap grown by the overload are left behind, and the next step, from the bisection, is the one
   * nearest the limit (measured: 16,000 req/s against a 13,000 limit, then 12,000 and 10,000 broke
   * at p99 646 and 463 ms, then 9,000-11,000 held)
   */
  settleMs?: number;
  onStep?: (step: FindMaxStep) => void;
  /** after each step: steps so far and an estimate of what is left */
  onSearch?: (p: FindMaxProgress) => void;
  /** the search starts no step that would end after this (ms; default: no limit) */
  budgetMs?: number;
  /** re-run the final highest passing rate: it counts only when it holds twice (default true) */
  confirm?: boolean;
  /** then re-run the lowest failing rate once, and search on above it if it holds (default true) */
  recheck?: boolean;
  /** clock for the budget and the pauses (default: the real one) */
  clock?: RunClock;
  /**
   * the target's throughput measured closed-loop before the search (e.g. autocannon's rate): no
   * open-model rate above it can hold for long, so while nothing has broken the climb approaches
   * it by halves instead of doubling past it
   */
  ceilingRps?: number;
}

export interface FindMaxProgress {
  stepsDone: number;
  elapsedS: number;
  budgetS: number | null;
  /** highest rate that held so far, lowest that broke */
  low: number | null;
  high: number | null;
  /** estimated steps and seconds still to run */
  stepsLeft: number;
  remainingS: number;
}

export interface FindMaxSearch {
  steps: FindMaxStep[];
  highestPassingRps: number | null;
  /** the run of the highest passing step (or the last step when none passed) */
  best: RunOutcome | null;
  interrupted: boolean;
  /** the highest passing rate held twice */
  confirmed: boolean;
  /** the budget ended the search before it reached its resolution */
  budgetExhausted: boolean;
  /** (lowest failing − highest passing) / highest passing at the end; null without both */
  gap: number | null;
  elapsedMs: number;
  /** what broke the lowest failing step */
  limit: FindMaxLimit | null;
}

/** A failed attempt that reached less than this share of its target could not keep up: no re-run. */
export const OVERLOAD_SHARE = 0.9;
/**
 * Growth once a rate has broken: when a re-check held and no failure is left above it, the search
 * climbs from there by this factor, not by doubling (16,000 held on its re-check, then 32,000 and
 * 24,000 broke and the budget ended the search unconfirmed); not by much less either, since a
 * re-check after an early burst may hold far below the limit.
 */
export const RECHECK_GROWTH = 1.5;
/** A step whose p99 exceeds the SLO this many times was overloaded (the settle pause follows it). */
export const OVERLOAD_P99_FACTOR = 4;

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

/** What stopped the rate from going higher, judged on the lowest failing step. */
export function limitOf(run: RunOutcome, step: FindMaxStep, sloP99Ms: number, maxErrorRate: number): FindMaxLimit {
  const c = run.recorder.counts;
  const attempted = Math.max(1, c.scheduled);
  const lag = run.recorder.lag;
  const lagP99Ms = lag && lag.totalCount > 0 ? lag.getValueAtPercentile(99) / 1000 : 0;
  // the generator itself could not keep its schedule: the figures show its limit, not the target's
  if (run.generator.saturated || lagP99Ms > Math.max(GENERATOR_LAG_MS, sloP99Ms / 2)) return 'generator';
  if ((c.failed + c.abandoned) / attempted > maxErrorRate) return 'errors';
  if (c.dropped / attempted > maxErrorRate) return 'dropped';
  return step.p99Ms > sloP99Ms ? 'slo' : 'errors';
}

/** Scheduler lag p99 above this (or half the SLO) means the generator fell behind. */
const GENERATOR_LAG_MS = 20;
/** Time a step costs beyond its planned length (drain, scrape, set-up) until one is measured. */
const STEP_OVERHEAD_MS = 400;

export async function searchMaxRate(o: FindMaxOptions): Promise<FindMaxSearch> {
  const clock = o.clock ?? realClock;
  const started = clock.now();
  const elapsed = (): number => clock.now() - started;
  const budgetMs = o.budgetMs ?? Infinity;
  const pauseMs = o.pauseMs ?? 500;
  const steps: FindMaxStep[] = [];
  const minSamples = o.minSamples ?? 0;
  const stepS = o.stepDurationS ?? 1;
  const maxStepS = o.maxStepDurationS ?? stepS;
  const confirm = o.confirm !== false;
  // passes per rate, and the run of each passing rate
  const passes = new Map<number, number>();
  const passRuns = new Map<number, RunOutcome>();
  let pass: number | null = null;
  let fail: number | null = null;
  // every rate that broke (and has not held since), with its step; the lowest is `fail`
  const failed = new Map<number, FindMaxStep>();
  const rechecked = new Set<number>();
  let last: RunOutcome | null = null;
  // planned seconds of every run so far, and the wall time they took: the estimate's basis
  let plannedS = 0;
  let spentMs = 0;
  let budgetExhausted = false;
  const costMs = (durationS: number): number => (plannedS > 0 ? (spentMs / plannedS) * durationS : durationS * 1000 + STEP_OVERHEAD_MS) + pauseMs;
  const fits = (durationS: number): boolean => {
    if (elapsed() + costMs(durationS) <= budgetMs) return true;
    budgetExhausted = true;
    return false;
  };
  const runOnce = async (rate: number, durationS: number): Promise<RunOutcome> => {
    const t = clock.now();
    const run = await o.runStep(rate, durationS);
    plannedS += durationS;
    spentMs += clock.now() - t + pauseMs;
    last = run;
    return run;
  };

  let rate = Math.max(1, Math.round(o.startRps));
  while (steps.length < o.maxSteps && !o.signal?.aborted) {
    const durationS = stepDurationFor(rate, stepS, maxStepS, minSamples);
    if (!fits(durationS)) break;
    const confirming = (passes.get(rate) ?? 0) > 0;
    const rechecking = rechecked.has(rate) && failed.has(rate);
    let run = await runOnce(rate, durationS);
    if (run.interrupted) break;
    let step: FindMaxStep = { ...stepFigures(rate, run, o.sloP99Ms, o.maxErrorRate, minSamples), durationS, generatorCpu: run.generator.cpuUtilization };
    if (step.verdict === 'failed' && o.retryFailed !== false && step.achievedRps >= OVERLOAD_SHARE * rate && !o.signal?.aborted && fits(durationS)) {
      const first = step;
      await sleepOn(clock, pauseMs, o.signal);
      const again = await runOnce(rate, durationS);
      if (!again.interrupted) {
        run = again;
        step = {
          ...stepFigures(rate, again, o.sloP99Ms, o.maxErrorRate, minSamples),
          durationS,
          generatorCpu: again.generator.cpuUtilization,
          retries: 1,
          firstAttempt: { p99Ms: first.p99Ms, errorRate: first.errorRate, achievedRps: first.achievedRps, samples: first.samples ?? 0 },
        };
      }
    }
    if (confirming) step.confirmation = true;
    if (rechecking) step.recheck = true;
    if (step.verdict === 'failed') step.limit = limitOf(run, step, o.sloP99Ms, o.maxErrorRate);
    steps.push(step);
    o.onStep?.(step);
    if (step.verdict === 'passed') {
      passes.set(rate, (passes.get(rate) ?? 0) + 1);
      passRuns.set(rate, run);
      if (pass === null || rate > pass) pass = rate;
      if (fail !== null && rate >= fail) {
        // a rate that broke before held on its re-check: the bound moves to the next rate that broke
        for (const r of [...failed.keys()]) if (r <= rate) failed.delete(r);
        fail = failed.size > 0 ? Math.min(...failed.keys()) : null;
      }
    } else if (step.verdict === 'failed' || fail !== null) {
      // an inconclusive step while bisecting cannot count as held: search below it
      if (step.verdict === 'failed') failed.set(rate, step);
      fail = fail === null ? rate : Math.min(fail, rate);
      if (confirming) {
        // the rate held once and broke on the repeat: it does not count; bisect below it
        passes.delete(rate);
        passRuns.delete(rate);
        pass = highestPassing(passes, rate);
      }
    }
    // the re-check broke again: the bound stands and the result is already confirmed
    if (rechecking && step.verdict !== 'passed' && pass !== null && (!confirm || (passes.get(pass) ?? 0) >= 2)) break;
    const narrow = fail !== null && pass !== null && (fail - pass) / pass <= o.resolution;
    let next: number;
    // the result counts only when it held twice; then the lowest rate that broke is re-checked once
    const finalRate = (): number | null => {
      if (confirm && pass !== null && (passes.get(pass) ?? 0) < 2) return pass;
      if (o.recheck !== false && pass !== null && fail !== null && failed.has(fail) && !rechecked.has(fail)) {
        rechecked.add(fail);
        return fail;
      }
      return null;
    };
    if (narrow) {
      const n = finalRate();
      if (n === null) break;
      next = n;
    } else {
      // once any rate has broken (a re-check that held cleared it), the search climbs in small steps
      const climb = steps.some((x) => x.verdict === 'failed') ? RECHECK_GROWTH : o.growth;
      next = fail === null ? climbFrom(rate, climb, o.ceilingRps, o.resolution) : roundRate(pass === null ? rate / 2 : (pass + fail) / 2);
      if (next === rate && pass !== null && fail !== null) next = pass;
      if (next < 1) break;
      if (next !== pass && steps.some((s) => s.targetRps === next && !s.confirmation && s.verdict !== 'passed')) {
        // rounding puts the midpoint on a rate that broke: the gap cannot be split further, so the
        // highest rate that held is repeated (once) before the search ends
        const n = finalRate();
        if (n === null) break;
        next = n;
      }
      if (next === rate && (passes.get(rate) ?? 0) >= 2) break;
    }
    const recheckLeft = o.recheck !== false && fail !== null && failed.has(fail) && !rechecked.has(fail);
    o.onSearch?.(searchProgress(steps.length, elapsed(), budgetMs, pass, fail, o.resolution, confirm, costMs(stepS), recheckLeft));
    const overloaded = step.achievedRps < OVERLOAD_SHARE * rate || step.p99Ms > OVERLOAD_P99_FACTOR * o.sloP99Ms;
    rate = next;
    await sleepOn(clock, overloaded ? Math.max(pauseMs, o.settleMs ?? 0) : pauseMs, o.signal);
  }
  const confirmed = pass !== null && (passes.get(pass) ?? 0) >= 2;
  return {
    steps,
    highestPassingRps: pass,
    best: (pass !== null ? passRuns.get(pass) : null) ?? last,
    interrupted: Boolean(o.signal?.aborted),
    confirmed,
    budgetExhausted,
    gap: pass !== null && fail !== null ? Math.round(((fail - pass) / pass) * 1000) / 1000 : null,
    elapsedMs: elapsed(),
    limit: failed.size > 0 ? (failed.get(Math.min(...failed.keys()))!.limit ?? null) : null,
  };
}

/**
 * Growth past the closed-loop ceiling once a rate near it held: the ceiling was measured low (a
 * slow moment of the host), so the limit is near it, not twice as high (1.5× from 12,000 held
 * against a ceiling of 12,500 asked 18,000, which broke and left the engine slower: the search
 * ended at 10,000).
 */
export const PAST_CEILING_GROWTH = 1.2;

/**
 * The next rate while nothing above `rate` has broken: `rate × climb`, except that below the
 * ceiling the step goes at most half way to it (or onto it when half way rounds back to `rate`);
 * at or within `resolution` of the ceiling, by PAST_CEILING_GROWTH.
 */
export function climbFrom(rate: number, climb: number, ceilingRps: number | undefined, resolution: number): number {
  if (ceilingRps === undefined || !(ceilingRps > 0)) return roundRate(rate * climb);
  if ((ceilingRps - rate) / rate <= resolution) return Math.max(rate + 1, roundRate(rate * Math.min(climb, PAST_CEILING_GROWTH)));
  const up = roundRate(rate * climb);
  if (up <= ceilingRps) return up;
  const half = roundRate((rate + ceilingRps) / 2);
  return half > rate ? half : Math.max(rate + 1, roundRate(ceilingRps));
}

/**
 * Rates that broke while a higher or equal rate held, before or after, in the same search: the
 * target (or the host under it) was slower for a while. Each rate once, as [broke, the highest that held].
 */
export function slowerSpells(steps: readonly FindMaxStep[]): Array<[number, number]> {
  const held = steps.filter((s) => s.verdict === 'passed').map((s) => s.targetRps);
  const out: Array<[number, number]> = [];
  for (const rate of new Set(steps.filter((s) => s.verdict === 'failed').map((s) => s.targetRps))) {
    const best = Math.max(-Infinity, ...held.filter((r) => r >= rate));
    if (best >= rate) out.push([rate, best]);
  }
  return out;
}

function highestPassing(passes: Map<number, number>, below: number): number | null {
  let best: number | null = null;
  for (const r of passes.keys()) if (r < below && (best === null || r > best)) best = r;
  return best;
}

/** Steps so far and an estimate of what is left (bisection halves the gap; one confirmation; one re-check). */
export function searchProgress(
  stepsDone: number,
  elapsedMs: number,
  budgetMs: number,
  pass: number | null,
  fail: number | null,
  resolution: number,
  confirm: boolean,
  stepCostMs: number,
  recheck = false,
): FindMaxProgress {
  let left: number;
  if (fail === null) left = 1 + Math.ceil(Math.log2(1 / resolution));
  else if (pass === null) left = 2 + Math.ceil(Math.log2(1 / resolution));
  else {
    const gap = (fail - pass) / pass;
    left = gap <= resolution ? 0 : Math.ceil(Math.log2(gap / resolution));
  }
  if (confirm) left++;
  if (recheck) left++;
  return {
    stepsDone,
    elapsedS: Math.round(elapsedMs / 100) / 10,
    budgetS: Number.isFinite(budgetMs) ? Math.round(budgetMs / 100) / 10 : null,
    low: pass,
    high: fail,
    stepsLeft: left,
    remainingS: Math.round((left * stepCostMs) / 100) / 10,
  };
}

/** Two significant digits is plenty for a rate step (e.g. 2,250 → 2,300). */
export function roundRate(x: number): number {
  if (x < 10) return Math.max(1, Math.round(x));
  const mag = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Math.round(x / mag) * mag;
}
