/** The live progress line of a run: once a second, the figures since the last tick. */
import type { Recorder } from './recorder.js';
import type { LoadShape } from './schedule.js';
import type { ProgressSnapshot } from './run-types.js';

export interface TickerInput {
  recorder: Recorder;
  shape: LoadShape;
  /** the run clock and its start (ms) */
  now: () => number;
  startMs: number;
  inFlight: () => number;
  /** closed model: the target is a number of virtual users */
  wholeTarget: boolean;
  onProgress: (p: ProgressSnapshot) => void;
}

/** Starts the ticker; the caller clears the returned interval when the run ends. */
export function startProgressTicker(i: TickerInput): ReturnType<typeof setInterval> {
  let lastCompleted = 0;
  return setInterval(() => {
    const t = i.now() - i.startMs;
    i.recorder.roll(t);
    const c = i.recorder.counts;
    const target = i.shape.targetAt(t);
    i.onProgress({
      elapsedS: t / 1000,
      plannedS: i.shape.totalMs / 1000,
      target: i.wholeTarget ? Math.round(target) : target,
      rateRps: c.completed - lastCompleted,
      p50Ms: i.recorder.latencyNowMs(50),
      p99Ms: i.recorder.latencyNowMs(99),
      errors: i.recorder.errors.total,
      dropped: c.dropped,
      inFlight: i.inFlight(),
    });
    lastCompleted = c.completed;
  }, 1000);
}
