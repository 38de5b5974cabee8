/** Settings of one bench run, resolved from flags (defaults for normal and --quick runs). */
import { UsageError } from '../util/errors.js';
import type { BenchSettings } from './types.js';

/** The run's settings as the report records them, plus what only the running process needs. */
export interface BenchRunOptions extends BenchSettings {
  scenarios: string[];
  /** checks measured in the stage-breakdown pass */
  stageSamples: number;
  /** measure bytes per check in a child process */
  memory: boolean;
  /** engine globals file instead of each scenario's `globals:` */
  globalsFile?: string;
  /** lenient scope search for every scenario (else each scenario's own setting) */
  lenientScopes?: boolean;
  /** --http against another server than our own `serve` (bench --http --engine cerbos): started per scenario */
  httpTarget?: (scenario: { name: string; policyDir: string }) => Promise<{ origin: string; label: string; close(): Promise<void> }>;
  /** test hook: busy-wait this long inside every call of one task */
  slowTask?: { id: string; extraNs: number };
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

/** alternating rounds of each `bench --http` serve comparison */
export const DEFAULT_HTTP_ROUNDS = 3;

export const DEFAULTS = { timeMs: 1000, iterations: 64, warmupMs: 250, warmupIterations: 16, requests: 256, stageSamples: 5000 } as const;
export const QUICK = { timeMs: 150, iterations: 16, warmupMs: 30, warmupIterations: 8, requests: 128, stageSamples: 1000 } as const;

/** Test hook `TASK_ID:NANOSECONDS`, e.g. `check-uncached:200000`. */
export function parseSlowTask(text: string): { id: string; extraNs: number } {
  const m = /^([^:]+):(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`AUTHZ_PERF_BENCH_SLOW_TASK: expected TASK_ID:NANOSECONDS, got '${text}'`);
  return { id: m[1]!, extraNs: Number(m[2]) };
}
