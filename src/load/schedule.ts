/**
 * Load shapes. A stage moves the target linearly from the previous stage's end value to its own
 * `target` over `durationS` (k6's ramping executors); the first stage starts at `startTarget`.
 *
 * For the open model the target is a rate, and the intended send time of request i is the moment
 * the integral of the rate reaches i. It is computed from the start time and the index alone, so
 * timer delays never accumulate (no drift) and requests are spread evenly, never sent in
 * per-second bursts.
 */
import type { LoadStage } from './types.js';
import { UsageError } from '../util/errors.js';

/** Any load shape: where it starts and its stages' targets. */
export interface ShapeTargets {
  startTarget: number;
  stages: ReadonlyArray<{ target: number }>;
}

/** The highest target of the shape (rate or VUs). */
export function peakTarget(shape: ShapeTargets): number {
  return Math.max(shape.startTarget, ...shape.stages.map((s) => s.target));
}

/** The target of the run's first stage, or where it starts when that is higher. */
export function firstTarget(shape: ShapeTargets): number {
  return Math.max(shape.startTarget, shape.stages[0]?.target ?? 0);
}

interface Segment {
  startMs: number;
  durationMs: number;
  /** per ms */
  fromRate: number;
  toRate: number;
  /** cumulative count at the segment's start */
  startCount: number;
  count: number;
}

export class LoadShape {
  readonly totalMs: number;
  /** number of requests with an intended time inside the run (open model) */
  readonly expectedCount: number;
  private readonly segments: Segment[] = [];
  private cursor = 0;

  constructor(readonly stages: readonly LoadStage[], readonly startTarget = 0) {
    let t = 0;
    let count = 0;
    let from = startTarget;
    for (const stage of stages) {
      const durationMs = stage.durationS * 1000;
      if (!(durationMs > 0)) continue;
      const fromRate = from / 1000;
      const toRate = stage.target / 1000;
      const segCount = ((fromRate + toRate) / 2) * durationMs;
      this.segments.push({ startMs: t, durationMs, fromRate, toRate, startCount: count, count: segCount });
      t += durationMs;
      count += segCount;
      from = stage.target;
    }
    this.totalMs = t;
    // request i is sent at the moment the cumulative count reaches i, so i = 0 goes at t = 0;
    // the tiny epsilon keeps 2000/s × 10 s at exactly 20,000 despite floating-point error
    this.expectedCount = count > 0 ? Math.ceil(count - 1e-9) : 0;
  }

  /** Target (rate per second or VUs) at `ms` since start; 0 outside the run. */
  targetAt(ms: number): number {
    for (const s of this.segments) {
      if (ms >= s.startMs && ms < s.startMs + s.durationMs) {
        const f = (ms - s.startMs) / s.durationMs;
        return (s.fromRate + (s.toRate - s.fromRate) * f) * 1000;
      }
    }
    return 0;
  }

  /** Number of intended sends in [fromMs, toMs). */
  countBetween(fromMs: number, toMs: number): number {
    return Math.max(0, Math.ceil(this.cumulative(toMs) - 1e-9) - Math.ceil(this.cumulative(fromMs) - 1e-9));
  }

  /**
   * Intended send time (ms since start) of request `index`; Infinity past the end. Indices are
   * expected in increasing order (a cursor makes this O(1)); smaller ones restart the search.
   */
  timeOfMs(index: number): number {
    if (index >= this.expectedCount) return Infinity;
    if (this.cursor >= this.segments.length || index < this.segments[this.cursor]!.startCount) this.cursor = 0;
    while (this.cursor < this.segments.length) {
      const s = this.segments[this.cursor]!;
      const n = index - s.startCount;
      if (n < s.count || this.cursor === this.segments.length - 1) {
        // the segment's first request goes at its start (the formula below is 0/0 for a ramp from 0)
        if (n <= 0) return s.startMs;
        // solve fromRate·t + (toRate − fromRate)·t² / (2·duration) = n, in the form that is
        // stable for flat (a = 0) and falling (a < 0) ramps alike
        const a = (s.toRate - s.fromRate) / (2 * s.durationMs);
        const b = s.fromRate;
        const disc = b * b + 4 * a * n;
        const denom = b + Math.sqrt(disc > 0 ? disc : 0);
        if (denom > 0) {
          const t = (2 * n) / denom;
          if (t <= s.durationMs) return s.startMs + t;
        }
      }
      this.cursor++;
    }
    return Infinity;
  }

  private cumulative(ms: number): number {
    for (const s of this.segments) {
      if (ms < s.startMs + s.durationMs) {
        const t = Math.max(0, ms - s.startMs);
        return s.startCount + s.fromRate * t + ((s.toRate - s.fromRate) * t * t) / (2 * s.durationMs);
      }
    }
    const last = this.segments[this.segments.length - 1];
    return last ? last.startCount + last.count : 0;
  }
}

/** `--stages '30s:100,1m:500,30s:0'` → stages; durations via the given parser. */
export function parseStages(text: string, parseDurationS: (d: string) => number, flag = '--stages'): LoadStage[] {
  const stages: LoadStage[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*([^:\s]+)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) throw new UsageError(`${flag}: expected DURATION:TARGET[,DURATION:TARGET...] e.g. '30s:100,1m:500,30s:0' (got '${part.trim()}')`);
    stages.push({ durationS: parseDurationS(m[1]!), target: Number(m[2]) });
  }
  return stages;
}
