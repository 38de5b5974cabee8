/**
 * `loadtest --replay FILE`: the check requests of a decision log, sent by the open model at their
 * recorded relative times (divided by `--speed`), so the target sees the production arrival
 * pattern: bursts, lulls and all. Latency is measured from each request's recorded (intended) time,
 * as for any open-model run.
 */
import type { CheckRequest } from '../engine/index.js';
import { parseDecisionLog } from '../scenario-init/index.js';
import { UsageError } from '../util/errors.js';
import type { LoadShapePlan, ParsedFlags, ResolvedPlan } from './options.js';
import { LoadShape } from './schedule.js';

/** Recorded arrival times as a load shape: request i is due at `offsetsMs[i]`. */
export class ReplayShape extends LoadShape {
  private readonly times: Float64Array;

  /** `offsetsMs` ascending, the first 0; `durationMs` covers the last one */
  constructor(offsetsMs: readonly number[]) {
    const last = offsetsMs.length ? offsetsMs[offsetsMs.length - 1]! : 0;
    // the recorded span plus one mean gap, so the last request falls inside the run
    const durationMs = Math.max(1, last + (offsetsMs.length > 1 ? last / (offsetsMs.length - 1) : 1000));
    const rate = (offsetsMs.length * 1000) / durationMs;
    super([{ durationS: durationMs / 1000, target: rate }], rate);
    this.times = Float64Array.from(offsetsMs);
  }

  override timeOfMs(index: number): number {
    return index < this.times.length ? this.times[index]! : Infinity;
  }

  override countBetween(fromMs: number, toMs: number): number {
    return Math.max(0, lowerBound(this.times, toMs) - lowerBound(this.times, fromMs));
  }

  /** the recorded rate over the second starting at `ms` */
  override targetAt(ms: number): number {
    return ms < 0 || ms >= this.totalMs ? 0 : this.countBetween(ms, ms + 1000);
  }
}

function lowerBound(xs: Float64Array, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface ReplayPlan {
  requests: CheckRequest[];
  shape: ReplayShape;
  /** the log's own span, before --speed */
  recordedS: number;
}

/** Calls in log order → requests in time order, offsets from the first, divided by `speed`. */
export function replayPlan(calls: ReadonlyArray<{ atMs: number; request: CheckRequest }>, speed: number): ReplayPlan {
  const sorted = [...calls].sort((a, b) => a.atMs - b.atMs);
  const t0 = sorted[0]?.atMs ?? 0;
  const offsets = sorted.map((c) => (c.atMs - t0) / speed);
  return { requests: sorted.map((c) => c.request), shape: new ReplayShape(offsets), recordedS: ((sorted[sorted.length - 1]?.atMs ?? t0) - t0) / 1000 };
}

/** `2x`, `0.5x`, `2` → 2; null when not a positive factor. */
export function parseSpeed(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)x?$/i.exec(text.trim());
  const v = m ? Number(m[1]) : NaN;
  return v > 0 && v <= 1000 ? v : null;
}

export interface LoadedReplay {
  requests: CheckRequest[];
  /** the recorded timing (null with --rps: a constant rate) */
  loadShape: ReplayShape | null;
  plan: ResolvedPlan;
}

/**
 * A decision log's check requests as the load: at their recorded relative times (divided by
 * `speed`), or, with --rps, cycled at that constant rate for --duration (default: once through).
 */
export function loadReplay(
  text: string,
  file: string,
  parsed: ParsedFlags,
  plan: ResolvedPlan,
  o: { durationGiven: boolean; speed?: string },
): LoadedReplay {
  const log = parseDecisionLog(text, file);
  if (log.calls.length === 0) throw new UsageError(`--replay: ${file} holds no CheckResources decisions`);
  if (parsed.rps !== null) {
    const durationS = o.durationGiven ? parsed.durationS : Math.max(1, Math.ceil(log.calls.length / parsed.rps));
    const shape: LoadShapePlan = { model: 'open', stages: [{ durationS, target: parsed.rps }], startTarget: parsed.rps, thinkTimeMs: null, profile: null };
    return { requests: log.calls.map((c) => c.request), loadShape: null, plan: { ...plan, shape, findMax: null } };
  }
  const speed = o.speed === undefined ? 1 : parseSpeed(o.speed);
  if (speed === null) throw new UsageError(`--speed: expected a positive factor such as 2x or 0.5x, got '${o.speed}'`);
  const r = replayPlan(log.calls, speed);
  const durationS = r.shape.totalMs / 1000;
  const mean = r.requests.length / durationS;
  const shape: LoadShapePlan = { model: 'open', stages: [{ durationS, target: mean }], startTarget: mean, thinkTimeMs: null, profile: null };
  return {
    requests: r.requests,
    loadShape: r.shape,
    plan: { ...plan, shape, findMax: null },
  };
}
