/**
 * A fake run clock for deterministic scheduler tests: time stands still until the program has
 * nothing left to do but wait (a setImmediate turn), then jumps to the earliest timer and fires it.
 * Timers due at the same time fire in the order they were set.
 */
import type { RunClock, TimerHandle } from '../../src/load/clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class FakeClock implements RunClock {
  private t = 0;
  private seq = 0;
  private timers: Timer[] = [];
  private scheduled = false;
  /** every timer that fired, as [time, label] when a label was given by the caller (for debugging) */
  fired = 0;

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    this.wake();
    return { cancel: () => (timer.cancelled = true) };
  }

  private wake(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.step());
  }

  private step(): void {
    this.scheduled = false;
    this.timers = this.timers.filter((x) => !x.cancelled);
    if (this.timers.length === 0) return;
    let next = this.timers[0]!;
    for (const x of this.timers) if (x.at < next.at || (x.at === next.at && x.seq < next.seq)) next = x;
    this.timers.splice(this.timers.indexOf(next), 1);
    if (next.at > this.t) this.t = next.at;
    this.fired++;
    next.fn();
    this.wake();
  }
}
