/**
 * The open model over N generator threads (`--generator-threads N`), for targets one core of
 * sending cannot saturate. Thread k sends requests k, k + N, k + 2N, … of the one schedule, so
 * together they send exactly the single-thread schedule (same intended times, same bodies), each
 * over its share of --max-connections with its own recorder. The threads warm up, then start on
 * one shared clock time; at the end their recorders are merged exactly (histograms added, counts
 * and per-second figures summed; recorder.ts Recorder.merged). Generator CPU is each thread's own
 * and their sum. Ctrl-C (the signal) stops every thread, which drains and reports; a thread that
 * has not reported STOP_GRACE_MS after the drain is left out with a warning. Every thread is
 * terminated on every way out.
 */
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { INTERRUPT_DRAIN_MS } from './finish-run.js';
import { Recorder } from './recorder.js';
import { SATURATION_CPU_SHARE, type ProgressSnapshot, type RunOutcome } from './run-types.js';
import type { OpenModelOptions } from './open-model.js';
import type { FromThread, GeneratorThreadData, ThreadOutcome, ThreadTransport, ToThread } from './thread-protocol.js';
import type { GeneratorView } from './types.js';
import { threadExecArgv } from '../util/exec-argv.js';

export interface ThreadedOpenModelOptions extends Omit<OpenModelOptions, 'senders' | 'shard' | 'startAt' | 'clock' | 'now' | 'cpuUsage'> {
  threads: number;
  /** default undici (loadtest's transport) */
  transport?: ThreadTransport;
}

/** After a stop, a thread gets its drain time plus this long to report before it is left out. */
const STOP_GRACE_MS = 5000;
/** The shared start is this far ahead of the moment the last thread is ready, so all see it coming. */
const START_AHEAD_MS = 5;

/** Thread k's share of `total` (connections, warm-up requests): the shares add up to `total`, each at least `min`. */
export function shareOf(total: number, threads: number, k: number, min = 1): number {
  return Math.max(min, Math.floor(total / threads) + (k < total % threads ? 1 : 0));
}

export async function runThreadedOpenModel(o: ThreadedOpenModelOptions): Promise<RunOutcome> {
  const n = o.threads;
  const workers: Worker[] = [];
  const outcomes: Array<ThreadOutcome | null> = new Array<ThreadOutcome | null>(n).fill(null);
  const latest: Array<ProgressSnapshot | null> = new Array<ProgressSnapshot | null>(n).fill(null);
  const send = (m: ToThread): void => {
    for (const w of workers) w.postMessage(m);
  };
  let onAbort: (() => void) | null = null;
  let graceTimer: ReturnType<typeof setTimeout> | null = null;
  try {
    const check = o.source.verify ? (o.source.check ?? null) : null;
    if (o.source.verify && !check) throw new Error('generator threads need a response check given as data (RequestSource.check)');
    const bodies = o.source.bodies.map((b) => new Uint8Array(b));
    const warmupBodies = o.warmupBodies && o.warmupBodies.length > 0 ? o.warmupBodies.map((b) => new Uint8Array(b)) : null;
    const execArgv = threadExecArgv(process.execArgv);
    for (let k = 0; k < n; k++) {
      const data: GeneratorThreadData = {
        origin: o.origin,
        path: o.source.path,
        bodies,
        check,
        stages: [...o.shape.stages],
        startTarget: o.shape.startTarget,
        shard: { index: k, count: n },
        maxConnections: shareOf(o.maxConnections, n, k),
        lateThresholdMs: o.lateThresholdMs,
        timeoutMs: o.timeoutMs,
        warmupRequests: shareOf(o.warmupRequests ?? 0, n, k, 0),
        warmupBodies,
        drainMs: o.drainMs ?? null,
        endDrainMs: o.endDrainMs ?? null,
        transport: o.transport ?? 'undici',
        progress: o.onProgress !== undefined,
      };
      workers.push(new Worker(new URL('./generator-thread.js', import.meta.url), { workerData: data, execArgv }));
    }

    await new Promise<void>((resolve, reject) => {
      let ready = 0;
      let done = 0;
      const finishOne = (): void => {
        if (++done === n) resolve();
      };
      workers.forEach((w, k) => {
        w.on('message', (m: FromThread) => {
          if (m.type === 'ready') {
            if (++ready === n) send({ type: 'start', atEpochMs: performance.timeOrigin + performance.now() + START_AHEAD_MS });
          } else if (m.type === 'progress') {
            latest[k] = m.progress;
            if (k === 0) o.onProgress?.(combineProgress(latest));
          } else if (m.type === 'done') {
            outcomes[k] = m.outcome;
            finishOne();
          } else reject(new Error(`generator thread ${k + 1}: ${m.message}`));
        });
        w.on('error', (err) => reject(new Error(`generator thread ${k + 1}: ${err.message}`)));
        w.on('exit', (code) => {
          if (!outcomes[k]) reject(new Error(`generator thread ${k + 1} exited (code ${code}) before reporting`));
        });
      });
      onAbort = (): void => {
        send({ type: 'stop' });
        // a thread still silent after its drain is left out rather than holding up the report
        graceTimer = setTimeout(resolve, (o.drainMs ?? INTERRUPT_DRAIN_MS) + STOP_GRACE_MS);
      };
      if (o.signal?.aborted) onAbort();
      else o.signal?.addEventListener('abort', onAbort, { once: true });
    });
  } finally {
    if (onAbort) o.signal?.removeEventListener('abort', onAbort);
    if (graceTimer) clearTimeout(graceTimer);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return mergeOutcomes(o, outcomes, Boolean(o.signal?.aborted));
}

/**
 * The progress line of all threads, from each one's latest snapshot (sent once a second, thread 1
 * paces the line): rates and counts summed; the percentiles are the highest thread's, since
 * percentiles cannot be added (the report's are exact).
 */
export function combineProgress(latest: ReadonlyArray<ProgressSnapshot | null>): ProgressSnapshot {
  const got = latest.filter((x): x is ProgressSnapshot => x !== null);
  const first = got[0]!;
  const sum = (f: (p: ProgressSnapshot) => number): number => got.reduce((s, p) => s + f(p), 0);
  return {
    ...first,
    rateRps: sum((p) => p.rateRps),
    errors: sum((p) => p.errors),
    dropped: sum((p) => p.dropped),
    inFlight: sum((p) => p.inFlight),
    p50Ms: Math.max(...got.map((p) => p.p50Ms)),
    p99Ms: Math.max(...got.map((p) => p.p99Ms)),
  };
}

/** One RunOutcome from the threads' outcomes (threads that did not report are left out). */
export function mergeOutcomes(o: Pick<OpenModelOptions, 'shape' | 'lateThresholdMs' | 'maxConnections'>, outcomes: ReadonlyArray<ThreadOutcome | null>, aborted: boolean): RunOutcome {
  const got = outcomes.filter((x): x is ThreadOutcome => x !== null);
  const recorder = Recorder.merged('open', o.shape, o.lateThresholdMs, got.map((x) => x.recorder));
  const sum = (f: (x: ThreadOutcome) => number): number => got.reduce((s, x) => s + f(x), 0);
  const exhaustedCount = sum((x) => x.connections.exhaustedCount);
  const opened = sum((x) => x.connections.opened);
  const warnings: string[] = [];
  const missing = outcomes.length - got.length;
  if (missing > 0) warnings.push(`${missing} of ${outcomes.length} generator threads did not report after the interrupt: their requests are missing from these figures`);
  if (exhaustedCount > 0)
    warnings.push(
      `${exhaustedCount} requests found no free connection (${opened} open over ${outcomes.length} threads, at most ${o.maxConnections}) and waited for one (${recorder.counts.dropped} waited longer than the timeout and were dropped); the target is saturated, or raise --max-connections`,
    );
  return {
    recorder,
    durationS: Math.max(0, ...got.map((x) => x.durationS)),
    activeS: Math.max(0, ...got.map((x) => x.activeS)),
    interrupted: aborted || got.some((x) => x.interrupted) || missing > 0,
    warmupSent: sum((x) => x.warmupSent),
    // the threads' peaks need not coincide: their sum is an upper bound of the peak
    connections: { max: o.maxConnections, opened, peakInFlight: sum((x) => x.connections.peakInFlight), exhaustedCount },
    generator: mergeGenerators(got.map((x) => x.generator)),
    warnings,
  };
}

/** Per-thread CPU and the sum; saturated when any thread's event loop was. */
export function mergeGenerators(views: readonly GeneratorView[]): GeneratorView {
  const threads = views.map((v) => ({ cpuSeconds: v.cpuSeconds, cpuUtilization: v.cpuUtilization, saturated: v.cpuUtilization >= SATURATION_CPU_SHARE }));
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    cpuSeconds: r3(threads.reduce((s, t) => s + t.cpuSeconds, 0)),
    cpuUtilization: r3(threads.reduce((s, t) => s + t.cpuUtilization, 0)),
    saturated: threads.some((t) => t.saturated),
    threads,
  };
}
