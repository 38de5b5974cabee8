/**
 * The open model over N generator threads (`--generator-threads N`), for targets one core of
 * sending cannot saturate. Thread k sends requests k, k + N, k + 2N, … of the one schedule, so
 * together they send exactly the single-thread schedule (same intended times, same bodies), each
 * over its share of --max-connections with its own recorder. The threads warm up, then start on
 * one shared clock time; at the end their recorders are merged exactly (histograms added, counts
 * and per-second figures summed; recorder.ts Recorder.merged). Generator CPU is each thread's own
 * and their sum. The threads are started once per loadtest and reused by every run of it
 * (GeneratorThreads). Ctrl-C (the signal) stops every thread, which drains and reports; a thread
 * that has not reported STOP_GRACE_MS after the drain is left out with a warning. Every thread is
 * terminated on every way out.
 */
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { INTERRUPT_DRAIN_MS } from './finish-run.js';
import { Recorder } from './recorder.js';
import { SATURATION_CPU_SHARE, type ProgressSnapshot, type RunOutcome } from './run-types.js';
import type { OpenModelOptions } from './open-model.js';
import type { ResponseCheck } from './connection.js';
import type { FromThread, ThreadOutcome, ThreadTransport, ToThread } from './thread-protocol.js';
import type { GeneratorView } from './types.js';
import { threadExecArgv } from '../util/exec-argv.js';

export interface ThreadedOpenModelOptions extends Omit<OpenModelOptions, 'senders' | 'shard' | 'startAt' | 'clock' | 'now' | 'cpuUsage'> {
  threads: number;
  /** default undici (loadtest's transport) */
  transport?: ThreadTransport;
  /** started threads to run on (they stay warm between runs); default: threads started for this run */
  pool?: GeneratorThreads;
}

/** After a stop, a thread gets its drain time plus this long to report before it is left out. */
const STOP_GRACE_MS = 5000;
/** The shared start is this far ahead of the moment the last thread is ready, so all see it coming. */
const START_AHEAD_MS = 5;

/** Thread k's share of `total` (connections, warm-up requests): the shares add up to `total`, each at least `min`. */
export function shareOf(total: number, threads: number, k: number, min = 1): number {
  return Math.max(min, Math.floor(total / threads) + (k < total % threads ? 1 : 0));
}

/** One open-model run over generator threads (started for it, or `o.pool`'s). */
export async function runThreadedOpenModel(o: ThreadedOpenModelOptions): Promise<RunOutcome> {
  if (o.pool) return o.pool.run(o);
  const pool = new GeneratorThreads(o.threads);
  try {
    return await pool.run(o);
  } finally {
    await pool.close();
  }
}

type Listener = (k: number, m: FromThread) => void;

/**
 * N generator threads, started once and reused run after run (a thread's JIT takes seconds to
 * reach full speed: a find-max search on fresh threads each step would measure cold threads).
 * Request sources are sent to the threads once each. A thread that fails or exits ends the pool:
 * the run in progress and any later one reject. close() terminates every thread.
 */
export class GeneratorThreads {
  private readonly workers: Worker[] = [];
  private readonly listeners = new Set<Listener>();
  private readonly failures = new Set<(err: Error) => void>();
  private readonly checked = new WeakMap<readonly Buffer[], number>();
  private readonly unchecked = new WeakMap<readonly Buffer[], number>();
  private nextSource = 1;
  private nextRun = 1;
  private broken: Error | null = null;
  private closing = false;

  constructor(readonly count: number) {
    const execArgv = threadExecArgv(process.execArgv);
    for (let k = 0; k < count; k++) {
      const w = startThread(execArgv);
      w.on('message', (m: FromThread) => {
        for (const l of this.listeners) l(k, m);
      });
      w.on('error', (err) => this.fail(new Error(`generator thread ${k + 1}: ${err.message}`)));
      w.on('exit', (code) => this.fail(new Error(`generator thread ${k + 1} exited (code ${code})`)));
      this.workers.push(w);
    }
  }

  async run(o: Omit<ThreadedOpenModelOptions, 'pool'>): Promise<RunOutcome> {
    if (this.broken) throw this.broken;
    const n = this.count;
    const check = o.source.verify ? (o.source.check ?? null) : null;
    if (o.source.verify && !check) throw new Error('generator threads need a response check given as data (RequestSource.check)');
    const sourceId = this.register(o.source.path, o.source.bodies, check);
    const warmupSourceId = o.warmupBodies && o.warmupBodies.length > 0 ? this.register(o.source.path, o.warmupBodies, null) : null;
    const runId = this.nextRun++;
    const outcomes: Array<ThreadOutcome | null> = new Array<ThreadOutcome | null>(n).fill(null);
    const latest: Array<ProgressSnapshot | null> = new Array<ProgressSnapshot | null>(n).fill(null);
    const send = (m: ToThread): void => {
      for (const w of this.workers) w.postMessage(m);
    };
    let listener: Listener | null = null;
    let onFailure: ((err: Error) => void) | null = null;
    let onAbort: (() => void) | null = null;
    let graceTimer: ReturnType<typeof setTimeout> | null = null;
    try {
      await new Promise<void>((resolve, reject) => {
        let ready = 0;
        let done = 0;
        listener = (k, m) => {
          if (m.runId !== runId) return;
          if (m.type === 'ready') {
            if (++ready === n) send({ type: 'start', runId, atEpochMs: performance.timeOrigin + performance.now() + START_AHEAD_MS });
          } else if (m.type === 'progress') {
            latest[k] = m.progress;
            if (k === 0) o.onProgress?.(combineProgress(latest));
          } else if (m.type === 'done') {
            outcomes[k] = m.outcome;
            if (++done === n) resolve();
          } else reject(new Error(`generator thread ${k + 1}: ${m.message}`));
        };
        onFailure = reject;
        this.listeners.add(listener);
        this.failures.add(onFailure);
        this.workers.forEach((w, k) =>
          w.postMessage({
            type: 'run',
            run: {
              runId,
              origin: o.origin,
              sourceId,
              warmupSourceId,
              stages: [...o.shape.stages],
              startTarget: o.shape.startTarget,
              shard: { index: k, count: n },
              maxConnections: shareOf(o.maxConnections, n, k),
              lateThresholdMs: o.lateThresholdMs,
              timeoutMs: o.timeoutMs,
              warmupRequests: shareOf(o.warmupRequests ?? 0, n, k, 0),
              drainMs: o.drainMs ?? null,
              endDrainMs: o.endDrainMs ?? null,
              transport: o.transport ?? 'undici',
              progress: o.onProgress !== undefined,
            },
          } satisfies ToThread),
        );
        onAbort = (): void => {
          send({ type: 'stop', runId });
          // a thread still silent after its drain is left out rather than holding up the report
          graceTimer = setTimeout(resolve, (o.drainMs ?? INTERRUPT_DRAIN_MS) + STOP_GRACE_MS);
        };
        if (o.signal?.aborted) onAbort();
        else o.signal?.addEventListener('abort', onAbort, { once: true });
      });
    } catch (err) {
      // a failed run leaves threads in an unknown state: none is used again
      await this.close();
      throw err;
    } finally {
      if (listener) this.listeners.delete(listener);
      if (onFailure) this.failures.delete(onFailure);
      if (onAbort) o.signal?.removeEventListener('abort', onAbort);
      if (graceTimer) clearTimeout(graceTimer);
    }
    // a thread that did not report is still busy with this run: the pool cannot run another
    if (outcomes.some((x) => x === null)) await this.close();
    return mergeOutcomes(o, outcomes, Boolean(o.signal?.aborted));
  }

  /** Terminates every thread (idempotent); later runs reject. */
  async close(): Promise<void> {
    if (!this.broken) this.broken = new Error('the generator threads were closed');
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private fail(err: Error): void {
    if (this.closing) return;
    this.broken ??= err;
    for (const f of this.failures) f(err);
  }

  /** The id of these bodies on the threads, sending them the first time. */
  private register(path: string, bodies: readonly Buffer[], check: GeneratorSourceCheck): number {
    const map = check ? this.checked : this.unchecked;
    const known = map.get(bodies);
    if (known !== undefined) return known;
    const id = this.nextSource++;
    map.set(bodies, id);
    const message: ToThread = { type: 'source', id, path, bodies: bodies.map((b) => new Uint8Array(b)), check };
    for (const w of this.workers) w.postMessage(message);
    return id;
  }
}

type GeneratorSourceCheck = ResponseCheck | null;

/**
 * A generator thread with this process's node options (e.g. --cpu-prof, --enable-source-maps),
 * or with none when one of them applies to whole processes only (--max-old-space-size).
 */
function startThread(execArgv: string[]): Worker {
  const url = new URL('./generator-thread.js', import.meta.url);
  try {
    return new Worker(url, { execArgv });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    return new Worker(url, { execArgv: [] });
  }
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
