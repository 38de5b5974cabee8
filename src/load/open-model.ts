/**
 * The open model (wrk2's method): every request has an intended send time from the load shape,
 * computed from the start time and its index. A timer on the run clock wakes the scheduler at the
 * next intended time (1 ms granularity, as in wrk2); everything due by then is sent, late ones
 * immediately, and each is measured from its intended time, so a stalled server shows up in the
 * corrected latency instead of silently slowing the generator down (coordinated omission).
 * Senders come from a ConnectionPool (opened on demand, growth limited, and no more than
 * NEED_HEADROOM × what the rate needs by Little's law: concurrency-need.ts); a request that finds
 * none free waits in the WaitQueue for the next one, and is dropped when its intended time is
 * more than the request timeout ago (k6's dropped_iterations): it could only have timed out.
 */
import { realClock, type RunClock, type TimerHandle } from './clock.js';
import { ConnectionPool } from './connection-pool.js';
import { ConcurrencyNeed, NEED_HEADROOM } from './concurrency-need.js';
import type { RequestSource } from './connection.js';
import { httpSenders } from './senders.js';
import { finishRun, InFlight } from './finish-run.js';
import { Recorder, type ErrorClass } from './recorder.js';
import { peakTarget, type LoadShape } from './schedule.js';
import type { RequestSender, SenderEvents, SenderFactory } from './sender.js';
import { startProgressTicker } from './progress-ticker.js';
import { type RunCommon, type RunOutcome } from './run-types.js';
import { WaitQueue } from './wait-queue.js';

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
  /** the transport (default: HTTP/1.1 connections to `origin`) */
  senders?: SenderFactory;
  /**
   * Send only requests shard.index, shard.index + shard.count, … of the schedule (one generator
   * thread's share: the shards together are exactly the whole schedule, at the same times and with
   * the same bodies). The recorder keeps its per-second histograms for merging.
   */
  shard?: { index: number; count: number };
  /**
   * Called after the warm-up; resolves to the run clock's start time (threads agree on one start).
   * Default: now.
   */
  startAt?: () => Promise<number>;
}

/** At most this many sends per scheduler wake-up, so I/O and Ctrl-C are never starved. */
const MAX_SENDS_PER_TICK = 4096;
/**
 * Requests waiting for a connection beyond this are dropped at once: the queue would only grow
 * (and hold memory) with requests that must time out anyway.
 */
const MAX_QUEUED = 1_000_000;

/** Connections opened up front: enough for the peak rate at ~2 ms each, at least 2. */
export function initialConnections(peakRps: number, maxConnections: number): number {
  return Math.max(1, Math.min(maxConnections, Math.max(2, Math.ceil(peakRps / 500))));
}

export async function runOpenModel(o: OpenModelOptions): Promise<RunOutcome> {
  const clock: RunClock = o.clock ?? (o.now ? { now: o.now, setTimer: realClock.setTimer } : realClock);
  const now = (): number => clock.now();
  const inFlight = new InFlight();
  const queue = new WaitQueue();
  let exhaustedCount = 0;
  let lastDoneMs = 0;
  let warming: (() => void) | null = null;
  let t0 = now();

  const events: SenderEvents = {
    onDone(sender: RequestSender, ok: boolean, kind: ErrorClass, status: number, message: string): void {
      if (warming) {
        pool.release(sender);
        inFlight.ended();
        if (inFlight.count === 0) warming();
        return;
      }
      const t = now() - t0;
      lastDoneMs = t;
      if (ok) {
        recorder.onSenderSuccess(t, sender);
        need.record(t - sender.sentMs);
      }
      else recorder.onFailure(t, kind, status, message);
      pool.release(sender);
      if (queue.length > 0) pumpQueue(t);
      inFlight.ended();
    },
  };
  const pool = new ConnectionPool(() => (o.senders ?? httpSenders(o.origin, o.source, o.timeoutMs))(events), o.maxConnections);
  const shardCount = o.shard?.count ?? 1;
  const prefill = initialConnections(peakTarget(o.shape) / shardCount, o.maxConnections);
  const need = new ConcurrencyNeed((ms) => o.shape.targetAt(Math.min(ms, o.shape.totalMs - 1)) / shardCount, prefill);
  const recorder = new Recorder('open', o.shape, o.lateThresholdMs, () => pool.busyCount, o.shard !== undefined);

  const bodies = o.source.bodies.length;
  const firstIndex = o.shard?.index ?? 0;
  let index = firstIndex;
  let nextMs = o.shape.timeOfMs(index);
  let timer: TimerHandle | null = null;
  let stopped = false;
  let endMs = 0;
  let finishSending!: () => void;
  const sendingDone = new Promise<void>((resolve) => (finishSending = resolve));

  const dispatch = (sender: RequestSender, i: number, intendedMs: number, scheduledMs: number, t: number, queued: boolean): void => {
    inFlight.started();
    recorder.onSent(t, intendedMs, queued, scheduledMs);
    sender.send(i % bodies, intendedMs, scheduledMs, t);
  };
  const drop = (): void => recorder.onDropped();
  const pumpQueue = (t: number): void =>
    queue.pump(
      t,
      o.timeoutMs,
      () => pool.acquire(t, need.cap(t)),
      (s, i, intendedMs, scheduledMs) => dispatch(s, i, intendedMs, scheduledMs, t, true),
      drop,
    );

  const tick = (): void => {
    timer = null;
    if (stopped) return;
    const t = now() - t0;
    if (queue.length > 0) pumpQueue(t);
    let budget = MAX_SENDS_PER_TICK;
    while (nextMs <= t && budget-- > 0) {
      const sender = queue.length === 0 ? pool.acquire(t, need.cap(t)) : undefined;
      if (sender) dispatch(sender, index, nextMs, t, t, false);
      else if (queue.length < MAX_QUEUED) {
        exhaustedCount++;
        queue.push(index, nextMs, t);
      } else {
        exhaustedCount++;
        recorder.onDropped();
      }
      index += shardCount;
      nextMs = o.shape.timeOfMs(index);
    }
    if (nextMs === Infinity) return stop(o.shape.totalMs);
    // more due than one tick may send: yield to I/O (responses, Ctrl-C) and carry on at once
    if (nextMs <= t) {
      timer = clock.setTimer(tick, 0);
      return;
    }
    const delay = nextMs - (now() - t0);
    timer = clock.setTimer(tick, delay > 1 ? delay : 1);
  };

  const stop = (atMs: number): void => {
    if (stopped) return;
    stopped = true;
    endMs = atMs;
    timer?.cancel();
    finishSending();
  };

  const onAbort = (): void => stop(Math.min(now() - t0, o.shape.totalMs));
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });

  pool.prefill(prefill);
  const warmupSent = await warmUp(o, pool, inFlight, clock, (resolve) => (warming = resolve));
  warming = null;
  inFlight.peak = inFlight.count;
  t0 = o.startAt ? await o.startAt() : now();
  const cpu0 = o.cpuUsage ? o.cpuUsage() : process.cpuUsage();

  const progress = o.onProgress
    ? startProgressTicker({ recorder, shape: o.shape, now, startMs: t0, inFlight: () => inFlight.count, wholeTarget: false, onProgress: o.onProgress })
    : null;

  tick();
  await sendingDone;
  o.signal?.removeEventListener('abort', onAbort);
  const interrupted = Boolean(o.signal?.aborted);
  // requests still waiting for a connection are not sent after Ctrl-C
  if (interrupted) queue.dropAll(drop);
  recorder.counts.scheduled = Math.ceil((index - firstIndex) / shardCount);
  const { wallMs, generator } = await finishRun({
    ...{ clock, t0, cpu0, recorder, inFlight, run: o, endMs },
    drained: () => queue.length === 0,
    stopTicker: progress ? () => clearInterval(progress) : null,
    closeAll: () => {
      queue.dropAll(drop);
      return pool.closeAll();
    },
  });

  const warnings: string[] = [];
  if (exhaustedCount > 0)
    warnings.push(
      `${exhaustedCount} requests found no free connection (${pool.all.length} open, at most ${o.maxConnections}, growing at most 25% per 100 ms and to ${NEED_HEADROOM}× the rate × the median service time) and waited for one (${recorder.counts.dropped} waited longer than the timeout and were dropped); the target is saturated, or raise --max-connections`,
    );
  return {
    recorder,
    durationS: endMs / 1000,
    activeS: Math.max(endMs, Math.min(lastDoneMs, wallMs)) / 1000,
    interrupted,
    warmupSent,
    connections: { max: o.maxConnections, opened: pool.all.length, peakInFlight: inFlight.peak, exhaustedCount },
    generator,
    warnings,
  };
}

/** Unrecorded requests over the pool's idle senders, in batches, before the clock starts. */
async function warmUp(o: OpenModelOptions, pool: ConnectionPool, inFlight: InFlight, clock: RunClock, onBatchDone: (resolve: () => void) => void): Promise<number> {
  const bodies = o.source.bodies.length;
  const warmBodies = o.warmupBodies && o.warmupBodies.length > 0 ? o.warmupBodies : o.source.bodies;
  let warm = o.warmupRequests ?? 0;
  let sent = 0;
  const until = clock.now() + (o.warmupMaxMs ?? 300);
  while (warm > 0 && !o.signal?.aborted && clock.now() < until) {
    const batch = Math.min(warm, pool.idleCount);
    await new Promise<void>((resolve) => {
      onBatchDone(resolve);
      for (let i = 0; i < batch; i++) {
        inFlight.started();
        const b = (warm - i) % warmBodies.length;
        pool.acquire(0)!.send(b % bodies, 0, 0, 0, warmBodies[b]);
      }
    });
    warm -= batch;
    sent += batch;
  }
  return sent;
}
