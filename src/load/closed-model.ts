/**
 * The closed model: virtual users, each looping request → think time on its own keep-alive
 * connection (the Locust / k6 ramping-vus model); the number of VUs follows the load shape.
 *
 * Why our own loop and not autocannon: autocannon (v8) has no per-request think time (its
 * `connectionRate` paces each connection at a fixed rate, which is not a random pause after each
 * response) and no way to change the number of connections during a run, so it cannot ramp VU
 * stages. It is still used as the closed-loop cross-check in --find-max (autocannon.ts).
 * A closed loop slows down with the server, so only service time is meaningful here: there are
 * no intended send times and no corrected latency.
 */
import { realClock, type RunClock, type TimerHandle } from './clock.js';
import type { RequestSource } from './connection.js';
import { httpSenders } from './senders.js';
import { finishRun, InFlight } from './finish-run.js';
import { Recorder, type ErrorClass } from './recorder.js';
import type { LoadShape } from './schedule.js';
import type { RequestSender, SenderEvents, SenderFactory } from './sender.js';
import { startProgressTicker } from './progress-ticker.js';
import { type RunCommon, type RunOutcome } from './run-types.js';
import { mulberry32 } from '../util/random.js';

export interface ClosedModelOptions extends RunCommon {
  source: RequestSource;
  /** target = number of VUs */
  shape: LoadShape;
  thinkTimeMs: [number, number] | null;
  seed: number;
  /** the transport (default: HTTP/1.1 connections to `origin`) */
  senders?: SenderFactory;
}

/** How often the VU count is adjusted to the shape. */
const CONTROL_INTERVAL_MS = 100;
/**
 * New VUs (connections) per interval: 10,000 per second. A huge --vus then ramps up over seconds
 * instead of blocking the event loop (and Ctrl-C) while it opens every connection at once.
 */
const MAX_STARTS_PER_TICK = 1000;

interface Vu {
  conn: RequestSender;
  /** running: counted as active; retiring: finishing its last request, no longer counted */
  state: 'idle' | 'running' | 'retiring';
  thinkTimer: TimerHandle | null;
}

export async function runClosedModel(o: ClosedModelOptions): Promise<RunOutcome> {
  const clock: RunClock = o.clock ?? (o.now ? { now: o.now, setTimer: realClock.setTimer } : realClock);
  const now = (): number => clock.now();
  const vus: Vu[] = [];
  const byConn = new Map<RequestSender, Vu>();
  const inFlight = new InFlight();
  let active = 0;
  let stopped = false;
  let index = 0;
  const random = mulberry32(o.seed);
  const bodies = o.source.bodies.length;
  const recorder = new Recorder('closed', o.shape, Infinity, () => active);
  const openSender = o.senders ?? httpSenders(o.origin, o.source, o.timeoutMs);

  const t0 = now();
  const cpu0 = process.cpuUsage();

  const iterate = (vu: Vu): void => {
    vu.thinkTimer = null;
    if (stopped || vu.state !== 'running') return idle(vu);
    const t = now() - t0;
    recorder.counts.scheduled++;
    inFlight.started();
    recorder.onSent(t, t);
    vu.conn.send(index++ % bodies, t, t, t);
  };

  const idle = (vu: Vu): void => {
    if (vu.state === 'running') active--;
    vu.state = 'idle';
  };

  const events: SenderEvents = {
    onDone(conn: RequestSender, ok: boolean, kind: ErrorClass, status: number, message: string): void {
      const t = now() - t0;
      if (ok) recorder.onSenderSuccess(t, conn);
      else recorder.onFailure(t, kind, status, message);
      const vu = byConn.get(conn)!;
      if (stopped || vu.state !== 'running') idle(vu);
      else {
        const think = o.thinkTimeMs ? o.thinkTimeMs[0] + random() * (o.thinkTimeMs[1] - o.thinkTimeMs[0]) : 0;
        vu.thinkTimer = clock.setTimer(() => iterate(vu), think >= 1 ? think : 0);
      }
      inFlight.ended();
    },
  };

  const control = (): void => {
    const t = now() - t0;
    if (t >= o.shape.totalMs) return stop(o.shape.totalMs);
    const want = Math.round(o.shape.targetAt(t));
    // start idle VUs (or new ones) until `want` are active, at most MAX_STARTS_PER_TICK new
    // connections per interval; retire the newest beyond it
    let opened = 0;
    for (let i = 0; active < want && (i < vus.length || opened < MAX_STARTS_PER_TICK); i++) {
      let vu = vus[i];
      if (!vu) {
        const conn = openSender(events);
        opened++;
        vu = { conn, state: 'idle', thinkTimer: null };
        vus.push(vu);
        byConn.set(conn, vu);
      }
      if (vu.state === 'running') continue;
      const wasRetiring = vu.state === 'retiring';
      vu.state = 'running';
      active++;
      // a retiring VU still has its request in flight: it simply carries on looping
      if (wasRetiring) continue;
      // spread the first requests of newly started VUs over the control interval
      const started = vu;
      vu.thinkTimer = clock.setTimer(() => iterate(started), random() * CONTROL_INTERVAL_MS);
    }
    for (let i = vus.length - 1; i >= 0 && active > want; i--) {
      const vu = vus[i]!;
      if (vu.state !== 'running') continue;
      if (vu.thinkTimer) {
        vu.thinkTimer.cancel();
        vu.thinkTimer = null;
        idle(vu);
      } else {
        vu.state = 'retiring';
        active--;
      }
    }
    controller = clock.setTimer(control, CONTROL_INTERVAL_MS);
  };

  let endMs = 0;
  let controller: TimerHandle | null = null;
  let finishSending!: () => void;
  const sendingDone = new Promise<void>((resolve) => (finishSending = resolve));
  const stop = (atMs: number): void => {
    if (stopped) return;
    stopped = true;
    endMs = atMs;
    controller?.cancel();
    for (const vu of vus) {
      if (vu.thinkTimer) {
        vu.thinkTimer.cancel();
        vu.thinkTimer = null;
      }
    }
    finishSending();
  };
  const onAbort = (): void => stop(Math.min(now() - t0, o.shape.totalMs));
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });

  const progress = o.onProgress
    ? startProgressTicker({ recorder, shape: o.shape, now, startMs: t0, inFlight: () => inFlight.count, wholeTarget: true, onProgress: o.onProgress })
    : null;

  if (!stopped) control();
  await sendingDone;
  o.signal?.removeEventListener('abort', onAbort);
  const interrupted = Boolean(o.signal?.aborted);
  const { generator } = await finishRun({
    ...{ clock, t0, cpu0, recorder, inFlight, run: o, endMs },
    stopTicker: progress ? () => clearInterval(progress) : null,
    closeAll: () => Promise.all(vus.map((vu) => vu.conn.close())).then(() => undefined),
  });
  return {
    recorder,
    durationS: endMs / 1000,
    activeS: endMs / 1000,
    interrupted,
    connections: { max: vus.length, opened: vus.length, peakInFlight: inFlight.peak, exhaustedCount: 0 },
    generator,
    warnings: [],
  };
}
