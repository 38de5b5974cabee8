/**
 * The clock and timers a run is scheduled on. The real one is performance.now and setTimeout;
 * tests pass a fake one whose time only moves when its timers fire, so send times are exact.
 */
import { performance } from 'node:perf_hooks';

export interface TimerHandle {
  cancel(): void;
}

export interface RunClock {
  /** monotonic time in ms */
  now(): number;
  /** calls `fn` once, `ms` from now (never earlier) */
  setTimer(fn: () => void, ms: number): TimerHandle;
}

export const realClock: RunClock = {
  now: () => performance.now(),
  setTimer(fn, ms) {
    // 0 ms: the next turn of the event loop (setTimeout would wait at least 1 ms)
    if (ms <= 0) {
      const i = setImmediate(fn);
      return { cancel: () => clearImmediate(i) };
    }
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};

/** Resolves after `ms` on `clock`, or at once when `signal` is already aborted / aborts meanwhile. */
export function sleepOn(clock: RunClock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = clock.setTimer(done, ms);
    function done(): void {
      timer.cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
