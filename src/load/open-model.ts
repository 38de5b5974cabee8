/**
 * The open model (wrk2's method): every request has an intended send time from the load shape,
 * computed from the start time and its index. A timer wakes the scheduler at the next intended
 * time (1 ms granularity, as in wrk2); everything due by then is sent, late ones immediately,
 * and each is measured from its intended time, so a stalled server shows up in the corrected
 * latency instead of silently slowing the generator down (coordinated omission).
 * Connections are opened on demand up to maxConnections, at most a quarter more (at least 8) per
 * 100 ms, so a brief stall of the target does not open hundreds of connections that then overload
 * it further. A request that finds no free connection waits in a FIFO queue for the next one
 * (wrk2's behaviour: it is sent late and its latency still counts from the intended time, while
 * its service time does not include the wait). A queued request whose intended time is more than
 * the request timeout ago is dropped (k6's dropped_iterations): it could only have timed out.
 */
import { performance } from 'node:perf_hooks';
import { Connection, type ConnectionEvents, type RequestSource } from './connection.js';
import { Recorder, type ErrorClass } from './recorder.js';
import type { LoadShape } from './schedule.js';
import { startProgressTicker } from './progress-ticker.js';
import { generatorView, type RunCommon, type RunOutcome } from './run-types.js';

export interface OpenModelOptions extends RunCommon {
  source: RequestSource;
  shape: LoadShape;
  maxConnections: number;
  lateThresholdMs: number;
  /**
   * Requests sent before the clock starts (not recorded) over the connections the peak rate is
   * likely to need, so connection setup and JIT warm-up do not show up as a first-second spike.
   */
  warmupRequests?: number;
  /** bodies for those requests (default: the source's; separate ones keep the target's cache cold for the run) */
  warmupBodies?: readonly Buffer[];
  /** the warm-up stops after this long even if not all its requests were sent (default 300 ms) */
  warmupMaxMs?: number;
  /** opens one connection; default an HTTP/1.1 connection (connection.ts); gRPC: grpc-sender.ts */
  connect?: (origin: string, source: RequestSource, events: ConnectionEvents, timeoutMs: number) => Connection;
}

/** New connections per 100 ms: at most a quarter of those open, at least MIN_GROWTH. */
const GROWTH_WINDOW_MS = 100;
const MIN_GROWTH = 8;

/** Connections opened up front: enough for the peak rate at ~2 ms each, at least 2. */
export function initialConnections(peakRps: number, maxConnections: number): number {
  return Math.max(1, Math.min(maxConnections, Math.max(2, Math.ceil(peakRps / 500))));
}

export async function runOpenModel(o: OpenModelOptions): Promise<RunOutcome> {
  const now = o.now ?? (() => performance.now());
  const connect = o.connect ?? ((origin: string, source: RequestSource, ev: ConnectionEvents, timeoutMs: number) => new Connection(origin, source, ev, timeoutMs));
  const all: Connection[] = [];
  const idle: Connection[] = [];
  let inFlight = 0;
  let peakInFlight = 0;
  let exhaustedCount = 0;
  let onDrained: (() => void) | null = null;
  let lastDoneMs = 0;
  // waiting requests as (index, intended ms) pairs; head/tail over a growable array
  const queue: number[] = [];
  let qHead = 0;

  const recorder = new Recorder('open', o.shape, o.lateThresholdMs, () => all.length - idle.length);
  let t0 = now();
  let warming: (() => void) | null = null;

  const events: ConnectionEvents = {
    onDone(conn: Connection, ok: boolean, kind: ErrorClass, status: number, message: string): void {
      inFlight--;
      if (warming) {
        idle.push(conn);
        if (inFlight === 0) warming();
        return;
      }
      const t = now() - t0;
      lastDoneMs = t;
      if (ok) recorder.onSuccess(t, conn.intendedMs, conn.sentMs);
      else recorder.onFailure(t, kind, status, message);
      idle.push(conn);
      if (qHead < queue.length) pump(t);
      if (inFlight === 0 && qHead >= queue.length && onDrained) onDrained();
    },
  };

  const bodies = o.source.bodies.length;
  let index = 0;
  let nextMs = o.shape.timeOfMs(0);
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let endMs = 0;
  let finishSending!: () => void;
  const sendingDone = new Promise<void>((resolve) => (finishSending = resolve));

  const dispatch = (conn: Connection, i: number, intendedMs: number, t: number, queued: boolean): void => {
    inFlight++;
    if (inFlight > peakInFlight) peakInFlight = inFlight;
    recorder.onSent(t, intendedMs, queued);
    conn.send(i % bodies, intendedMs, t);
  };

  let growthWindowMs = -Infinity;
  let openedInWindow = 0;
  /** A new connection, unless at the limit or the growth budget of this 100 ms window is spent. */
  const open = (t: number): Connection | undefined => {
    if (all.length >= o.maxConnections) return undefined;
    if (t - growthWindowMs >= GROWTH_WINDOW_MS) {
      growthWindowMs = t;
      openedInWindow = 0;
    }
    if (openedInWindow >= Math.max(MIN_GROWTH, all.length >> 2)) return undefined;
    openedInWindow++;
    const conn = connect(o.origin, o.source, events, o.timeoutMs);
    all.push(conn);
    return conn;
  };

  const send = (intendedMs: number, t: number): void => {
    if (qHead >= queue.length) {
      const conn = idle.pop() ?? open(t);
      if (conn) return dispatch(conn, index, intendedMs, t, false);
    }
    exhaustedCount++;
    queue.push(index, intendedMs);
  };

  /** Sends the oldest waiting requests that can still make their timeout, while connections allow. */
  const pump = (t: number): void => {
    while (qHead < queue.length) {
      const i = queue[qHead]!;
      const intendedMs = queue[qHead + 1]!;
      if (t - intendedMs > o.timeoutMs) {
        qHead += 2;
        recorder.onDropped();
        continue;
      }
      const conn = idle.pop() ?? open(t);
      if (!conn) break;
      qHead += 2;
      dispatch(conn, i, intendedMs, t, true);
    }
    if (qHead >= queue.length) {
      queue.length = 0;
      qHead = 0;
    } else if (qHead > 65_536) {
      queue.splice(0, qHead);
      qHead = 0;
    }
  };

  const tick = (): void => {
    timer = null;
    if (stopped) return;
    const t = now() - t0;
    if (qHead < queue.length) pump(t);
    while (nextMs <= t) {
      send(nextMs, t);
      index++;
      nextMs = o.shape.timeOfMs(index);
    }
    if (nextMs === Infinity) return stop(o.shape.totalMs);
    const delay = nextMs - (now() - t0);
    timer = setTimeout(tick, delay > 1 ? delay : 1);
  };

  const stop = (atMs: number): void => {
    if (stopped) return;
    stopped = true;
    endMs = atMs;
    if (timer) clearTimeout(timer);
    finishSending();
  };

  const onAbort = (): void => stop(Math.min(now() - t0, o.shape.totalMs));
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });

  const warmBodies = o.warmupBodies && o.warmupBodies.length > 0 ? o.warmupBodies : o.source.bodies;
  const warmConns = initialConnections(peakTarget(o.shape), o.maxConnections);
  for (let i = 0; i < warmConns; i++) {
    const conn = connect(o.origin, o.source, events, o.timeoutMs);
    all.push(conn);
    idle.push(conn);
  }
  let warm = o.warmupRequests ?? 0;
  let warmupSent = 0;
  const warmUntil = now() + (o.warmupMaxMs ?? 300);
  while (warm > 0 && !o.signal?.aborted && now() < warmUntil) {
    const batch = Math.min(warm, idle.length);
    await new Promise<void>((resolve) => {
      warming = resolve;
      for (let i = 0; i < batch; i++) {
        inFlight++;
        const b = (warm - i) % warmBodies.length;
        idle.pop()!.send(b % bodies, 0, 0, warmBodies[b]);
      }
    });
    warm -= batch;
    warmupSent += batch;
  }
  warming = null;
  t0 = now();
  const cpu0 = process.cpuUsage();

  const progress = o.onProgress
    ? startProgressTicker({ recorder, shape: o.shape, now, startMs: t0, inFlight: () => inFlight, wholeTarget: false, onProgress: o.onProgress })
    : null;

  tick();
  await sendingDone;
  o.signal?.removeEventListener('abort', onAbort);
  const interrupted = Boolean(o.signal?.aborted);
  // wait for in-flight requests: the full timeout after a normal end, briefly after Ctrl-C
  const drainMs = interrupted ? (o.drainMs ?? 2000) : o.timeoutMs + 500;
  if (interrupted) {
    // requests still waiting for a connection are not sent after Ctrl-C
    for (; qHead < queue.length; qHead += 2) recorder.onDropped();
  }
  if (inFlight > 0 || qHead < queue.length) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, drainMs);
      onDrained = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
  onDrained = null;
  if (progress) clearInterval(progress);
  const wallMs = now() - t0;
  recorder.counts.scheduled = index;
  for (; qHead < queue.length; qHead += 2) recorder.onDropped();
  recorder.counts.abandoned = inFlight;
  recorder.finish(Math.min(wallMs, Math.max(endMs, 1)));
  const generator = generatorView(cpu0, wallMs);
  await Promise.all(all.map((c) => c.close()));

  const warnings: string[] = [];
  if (exhaustedCount > 0)
    warnings.push(
      `${exhaustedCount} requests found no free connection (${all.length} open, at most ${o.maxConnections}, growing at most 25% per 100 ms) and waited for one (${recorder.counts.dropped} waited longer than the timeout and were dropped); the target is saturated, or raise --max-connections`,
    );
  return {
    recorder,
    durationS: endMs / 1000,
    activeS: Math.max(endMs, Math.min(lastDoneMs, wallMs)) / 1000,
    interrupted,
    warmupSent,
    connections: { max: o.maxConnections, opened: all.length, peakInFlight, exhaustedCount },
    generator,
    warnings,
  };
}

function peakTarget(shape: LoadShape): number {
  return Math.max(shape.startTarget, ...shape.stages.map((s) => s.target));
}
