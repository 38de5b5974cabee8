/**
 * Requests of the open model that found no free connection, oldest first (wrk2's behaviour: each
 * is sent late and its latency still counts from its intended time). Stored as (index, intended
 * ms, queued-at ms) triples in one growable array with a moving head, so queueing allocates
 * nothing per request.
 */
export class WaitQueue {
  private readonly items: number[] = [];
  private head = 0;

  get length(): number {
    return (this.items.length - this.head) / 3;
  }

  /** `queuedMs`: when the scheduler got to it and found no free sender */
  push(index: number, intendedMs: number, queuedMs: number): void {
    this.items.push(index, intendedMs, queuedMs);
  }

  /**
   * Hands the oldest requests to `send` while `take` yields a sender; requests whose intended
   * time is more than `timeoutMs` before `t` could only time out: they go to `drop` instead.
   */
  pump<S>(t: number, timeoutMs: number, take: () => S | undefined, send: (s: S, index: number, intendedMs: number, queuedMs: number) => void, drop: () => void): void {
    const q = this.items;
    while (this.head < q.length) {
      const index = q[this.head]!;
      const intendedMs = q[this.head + 1]!;
      if (t - intendedMs > timeoutMs) {
        this.head += 3;
        drop();
        continue;
      }
      const s = take();
      if (s === undefined) break;
      const queuedMs = q[this.head + 2]!;
      this.head += 3;
      send(s, index, intendedMs, queuedMs);
    }
    this.compact();
  }

  /** Empties the queue, calling `drop` once per request. */
  dropAll(drop: () => void): void {
    for (; this.head < this.items.length; this.head += 3) drop();
    this.compact();
  }

  private compact(): void {
    if (this.head >= this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 65_536) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }
}
