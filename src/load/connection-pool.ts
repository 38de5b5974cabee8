/**
 * The open model's senders: opened on demand up to `max`, at most a quarter more (at least 8) per
 * 100 ms, so a brief stall of the target does not open hundreds of connections that then overload
 * it further, and not beyond the `need` the caller gives (what its rate needs: concurrency-need.ts).
 * Idle senders are reused last-in first-out (the warmest connection first).
 */
import type { RequestSender } from './sender.js';

/** New connections per 100 ms: at most a quarter of those open, at least MIN_GROWTH. */
const GROWTH_WINDOW_MS = 100;
const MIN_GROWTH = 8;

export class ConnectionPool {
  readonly all: RequestSender[] = [];
  private readonly idle: RequestSender[] = [];
  private windowStartMs = -Infinity;
  private openedInWindow = 0;

  constructor(
    private readonly openSender: () => RequestSender,
    readonly max: number,
  ) {}

  /** Opens `n` senders now (outside the growth limit: before the clock starts). */
  prefill(n: number): void {
    for (let i = 0; i < n && this.all.length < this.max; i++) {
      const s = this.openSender();
      this.all.push(s);
      this.idle.push(s);
    }
  }

  /**
   * An idle sender, or a new one unless at the limit (`max`, or `need` when lower: the connections
   * the rate needs) or the growth budget of this window is spent.
   */
  acquire(t: number, need = Infinity): RequestSender | undefined {
    const s = this.idle.pop();
    if (s) return s;
    if (this.all.length >= this.max || this.all.length >= need) return undefined;
    if (t - this.windowStartMs >= GROWTH_WINDOW_MS) {
      this.windowStartMs = t;
      this.openedInWindow = 0;
    }
    if (this.openedInWindow >= Math.max(MIN_GROWTH, this.all.length >> 2)) return undefined;
    this.openedInWindow++;
    const opened = this.openSender();
    this.all.push(opened);
    return opened;
  }

  release(s: RequestSender): void {
    this.idle.push(s);
  }

  get idleCount(): number {
    return this.idle.length;
  }

  get busyCount(): number {
    return this.all.length - this.idle.length;
  }

  closeAll(): Promise<void> {
    return Promise.all(this.all.map((s) => s.close())).then(() => undefined);
  }
}
