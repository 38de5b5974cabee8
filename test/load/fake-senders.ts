/**
 * Senders without a network for scheduler tests on a FakeClock: each request is answered after
 * `serviceMs(sentMs, n)` on that clock, with `status(n)` and an optional Server-Timing handler
 * time. Every send is logged with its times.
 */
import type { RunClock } from '../../src/load/clock.js';
import type { RequestSender, SenderEvents, SenderFactory, ServerTiming } from '../../src/load/sender.js';

export interface SendLog {
  n: number;
  bodyIndex: number;
  intendedMs: number;
  scheduledMs: number;
  sentMs: number;
  doneMs: number | null;
  sender: number;
}

export interface FakeTarget {
  senders: SenderFactory;
  sends: SendLog[];
  /** senders opened */
  opened: () => number;
}

export function fakeTarget(
  clock: RunClock,
  o: { serviceMs?: (sentMs: number, n: number) => number; status?: (n: number) => number; serverTiming?: (n: number) => ServerTiming | null } = {},
): FakeTarget {
  const sends: SendLog[] = [];
  let opened = 0;
  const senders: SenderFactory = (events: SenderEvents) => {
    const id = opened++;
    let closed = false;
    const sender: RequestSender & { intendedMs: number; scheduledMs: number; sentMs: number; serverTiming: ServerTiming | null } = {
      intendedMs: 0,
      scheduledMs: 0,
      sentMs: 0,
      serverTiming: null,
      send(bodyIndex, intendedMs, scheduledMs, sentMs) {
        const log: SendLog = { n: sends.length, bodyIndex, intendedMs, scheduledMs, sentMs, doneMs: null, sender: id };
        sends.push(log);
        sender.intendedMs = intendedMs;
        sender.scheduledMs = scheduledMs;
        sender.sentMs = sentMs;
        sender.serverTiming = null;
        const at = clock.now();
        clock.setTimer(() => {
          if (closed) return;
          log.doneMs = clock.now();
          sender.serverTiming = o.serverTiming ? o.serverTiming(log.n) : null;
          const status = o.status ? o.status(log.n) : 200;
          if (status === 200) events.onDone(sender, true, 'other', 200, '');
          else events.onDone(sender, false, 'status', status, 'nope');
        }, o.serviceMs ? o.serviceMs(at, log.n) : 1);
      },
      close: async () => {
        closed = true;
      },
    };
    return sender;
  };
  return { senders, sends, opened: () => opened };
}
