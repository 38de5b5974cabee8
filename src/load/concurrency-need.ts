/**
 * How many connections the open model's rate needs, by Little's law: the target rate × the median
 * service time (sent → answered) of the last SAMPLES responses, × HEADROOM, so a backlog left by a
 * stall drains at (HEADROOM − 1) × the rate. The pool grows no further: when every connection is
 * busy because the target stalled, more connections do not answer sooner; they only put the
 * backlog onto the target all at once when it resumes (past its in-flight limit it sheds them).
 * Requests that wait for a connection still count from their intended time. A target that is
 * truly slower answers slower, its median rises, and so does the need.
 */

/**
 * responses the median is taken over: many more than a stall's backlog (whose service times include
 * the target's own queue, which grows with the connections), so the backlog does not raise the
 * need and open more connections onto it; a target that stays slower takes the median over
 */
export const NEED_SAMPLES = 2048;
/** fewer responses than this: no estimate yet (no cap) */
const MIN_SAMPLES = 32;
/** connections per connection's worth of load by Little's law */
export const NEED_HEADROOM = 4;
/** the estimate is recomputed at most this often (ms) */
const RECOMPUTE_MS = 100;

export class ConcurrencyNeed {
  private readonly ring = new Float64Array(NEED_SAMPLES);
  private readonly scratch = new Float64Array(NEED_SAMPLES);
  private count = 0;
  private next = 0;
  private cached = Infinity;
  private cachedAtMs = -Infinity;

  /**
   * @param rateAt target rate (requests/s) this sender group carries at a run time (ms)
   * @param floor never fewer than this (e.g. the connections opened up front)
   */
  constructor(
    private readonly rateAt: (ms: number) => number,
    private readonly floor: number,
  ) {}

  /** A successful response's service time (sent → answered, ms). */
  record(serviceMs: number): void {
    this.ring[this.next] = serviceMs;
    this.next = (this.next + 1) % NEED_SAMPLES;
    if (this.count < NEED_SAMPLES) this.count++;
  }

  /** Median service time of the recorded responses (ms), or null before MIN_SAMPLES. */
  medianMs(): number | null {
    if (this.count < MIN_SAMPLES) return null;
    const s = this.scratch.subarray(0, this.count);
    s.set(this.ring.subarray(0, this.count));
    s.sort();
    return s[this.count >> 1]!;
  }

  /** Connections the rate at `t` needs (Infinity while there is no estimate). */
  cap(t: number): number {
    if (t - this.cachedAtMs < RECOMPUTE_MS) return this.cached;
    const median = this.medianMs();
    if (median === null) return Infinity;
    this.cachedAtMs = t;
    this.cached = Math.max(this.floor, Math.ceil((NEED_HEADROOM * this.rateAt(t) * median) / 1000));
    return this.cached;
  }
}
