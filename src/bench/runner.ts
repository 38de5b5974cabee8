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

const MS_TO_NS = 1e6;

/** Converts one finished tinybench task; null when it has no statistics (errored, aborted early). */
export function toTaskResult(task: Task, def: Pick<TaskDef, 'id' | 'name' | 'unit'>): BenchTaskResult | null {
  const r = task.result;
  if (r.state !== 'completed' && r.state !== 'aborted-with-statistics') return null;
  const l = r.latency;
  const meanNs = l.mean * MS_TO_NS;
  const result: BenchTaskResult = {
    id: def.id,
    name: def.name,
    opsPerSec: meanNs > 0 ? 1e9 / meanNs : 0,
    meanNs,
    p50Ns: l.p50 * MS_TO_NS,
    p75Ns: l.p75 * MS_TO_NS,
    p99Ns: l.p99 * MS_TO_NS,
    p999Ns: l.p999 * MS_TO_NS,
    minNs: l.min * MS_TO_NS,
    maxNs: l.max * MS_TO_NS,
    rmePercent: Number.isFinite(l.rme) ? l.rme : 100,
    samples: l.samplesCount,
  };
  if (def.unit) result.unit = def.unit;
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

/** Busy-waits `ns` nanoseconds: the test hook that slows a task artificially. */
export function spinNs(ns: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(ns));
  while (process.hrtime.bigint() < end) {
    // spin
  }
}
