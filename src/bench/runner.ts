/**
 * Runs task definitions on tinybench and turns its statistics (milliseconds) into
 * BenchTaskResult (nanoseconds). Knows nothing about engines or scenarios.
 */
import { Bench, type Task } from 'tinybench';
import type { BenchTaskResult } from './types.js';

export interface TaskDef {
  id: string;
  name: string;
  fn: () => unknown;
  /** true for tasks returning a promise (HTTP) */
  async?: boolean;
  /** runs once before each phase (warmup, run), e.g. to reset a cursor */
  beforeAll?: () => void | Promise<void>;
  unit?: string;
  /**
   * operations per call of `fn` (default 1): sub-microsecond operations are timed in batches so
   * the clock's cost and the sample count stay small; every statistic is then reported per operation
   */
  batch?: number;
}

export interface RunOptions {
  timeMs: number;
  iterations: number;
  warmupMs: number;
  warmupIterations: number;
  /** called when a task starts and finishes; for progress lines */
  onTask?: (event: { phase: 'start' | 'done'; id: string; name: string; result?: BenchTaskResult; error?: string }) => void;
  signal?: AbortSignal;
}

export interface RunOutcome {
  results: BenchTaskResult[];
  /** `id: message` for each task that threw */
  errors: string[];
}

/** Converts one finished tinybench task; null when it has no statistics (errored, aborted early). */
export function toTaskResult(task: Task, def: Pick<TaskDef, 'id' | 'name' | 'unit' | 'batch'>): BenchTaskResult | null {
  const r = task.result;
  if (r.state !== 'completed' && r.state !== 'aborted-with-statistics') return null;
  const l = r.latency;
  const batch = def.batch !== undefined && def.batch > 1 ? def.batch : 1;
  const toNs = 1e6 / batch;
  const meanNs = l.mean * toNs;
  const result: BenchTaskResult = {
    id: def.id,
    name: def.name,
    opsPerSec: meanNs > 0 ? 1e9 / meanNs : 0,
    meanNs,
    p50Ns: l.p50 * toNs,
    p75Ns: l.p75 * toNs,
    p99Ns: l.p99 * toNs,
    p999Ns: l.p999 * toNs,
    minNs: l.min * toNs,
    maxNs: l.max * toNs,
    rmePercent: Number.isFinite(l.rme) ? l.rme : 100,
    samples: l.samplesCount,
  };
  if (def.unit) result.unit = def.unit;
  if (batch > 1) result.batch = batch;
  return result;
}

/** Runs the tasks one after another (never concurrently: they share the CPU). */
export async function runTasks(defs: TaskDef[], options: RunOptions): Promise<RunOutcome> {
  const results: BenchTaskResult[] = [];
  const errors: string[] = [];
  for (const def of defs) {
    if (options.signal?.aborted) break;
    options.onTask?.({ phase: 'start', id: def.id, name: def.name });
    // tinybench never removes its abort listeners: give each Bench its own signal, linked for this task only.
    const local = new AbortController();
    const outer = options.signal;
    const relay = (): void => local.abort();
    outer?.addEventListener('abort', relay, { once: true });
    // One Bench per task so each gets its own timer calibration and a failure stays local.
    const bench = new Bench({
      time: options.timeMs,
      iterations: options.iterations,
      warmup: options.warmupMs > 0 || options.warmupIterations > 0,
      warmupTime: options.warmupMs,
      warmupIterations: options.warmupIterations,
      timestampProvider: 'hrtimeNow',
      // Sub-microsecond tasks (cache hits) would otherwise carry the clock's own cost.
      subtractTimerOverhead: !def.async,
      signal: local.signal,
    });
    const fnOpts = {
      ...(def.async !== undefined ? { async: def.async } : {}),
      ...(def.beforeAll ? { beforeAll: def.beforeAll } : {}),
    };
    bench.add(def.name, def.fn, fnOpts);
    try {
      await bench.run();
    } finally {
      outer?.removeEventListener('abort', relay);
    }
    const task = bench.tasks[0]!;
    const r = task.result;
    if (r.state === 'errored') {
      const message = `${def.id}: ${r.error.message.split('\n')[0]}`;
      errors.push(message);
      options.onTask?.({ phase: 'done', id: def.id, name: def.name, error: message });
      continue;
    }
    const result = toTaskResult(task, def);
    if (result) {
      results.push(result);
      options.onTask?.({ phase: 'done', id: def.id, name: def.name, result });
    }
  }
  return { results, errors };
}

/** A sample should last at least this long: the clock's own cost (~50 ns) stays negligible and samples stay few enough for tinybench's statistics to be quick. */
export const MIN_SAMPLE_NS = 5_000;

/**
 * How many calls of `fn` make one sample of at least MIN_SAMPLE_NS (1 for slow operations, at
 * most 256), from a short untimed trial run.
 */
export function batchSize(fn: () => unknown, trialCalls = 256): number {
  for (let i = 0; i < trialCalls; i++) fn(); // first calls run unoptimised
  const start = process.hrtime.bigint();
  for (let i = 0; i < trialCalls; i++) fn();
  const perCallNs = Number(process.hrtime.bigint() - start) / trialCalls;
  return Math.max(1, Math.min(256, Math.ceil(MIN_SAMPLE_NS / Math.max(perCallNs, 1))));
}

/** A task running `op` `batch` times per call, reporting per operation (see TaskDef.batch). */
export function batched(def: Omit<TaskDef, 'fn' | 'batch' | 'async'> & { op: () => unknown }, batch: number): TaskDef {
  const { op, ...rest } = def;
  if (batch <= 1) return { ...rest, fn: op };
  return {
    ...rest,
    batch,
    fn: () => {
      let last: unknown;
      for (let i = 0; i < batch; i++) last = op();
      return last;
    },
  };
}

/** Busy-waits `ns` nanoseconds: the test hook that slows a task artificially. */
export function spinNs(ns: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(ns));
  while (process.hrtime.bigint() < end) {
    // spin
  }
}
