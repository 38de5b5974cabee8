import { realClock, sleepOn, type RunClock } from './clock.js';
import type { Recorder } from './recorder.js';
import type { ConnectionStats, GeneratorView } from './types.js';

/** Live progress, once a second. */
export interface ProgressSnapshot {
  elapsedS: number;
  plannedS: number;
  /** target rate (open) or target VUs (closed) right now */
  target: number;
  /** completions in the last second */
  rateRps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  dropped: number;
  inFlight: number;
}

export interface RunOutcome {
  recorder: Recorder;
  /** sending phase: planned duration, or the time until the interrupt */
  durationS: number;
  /** until the last response (≥ durationS): completion rates are per this span, so a backlog
   * answered after the sending phase does not inflate them */
  activeS: number;
  interrupted: boolean;
  /** unrecorded warm-up requests sent before the clock started (open model) */
  warmupSent?: number;
  connections: ConnectionStats;
  generator: GeneratorView;
  warnings: string[];
}

/** Shared by both models: where to send and how hard to wait. */
export interface RunCommon {
  origin: string;
  timeoutMs: number;
  /** stop sending when aborted (Ctrl-C); in-flight requests get `drainMs` to finish */
  signal?: AbortSignal;
  drainMs?: number;
  /** after a normal end, how long in-flight requests may still finish (default: the timeout + 500 ms) */
  endDrainMs?: number;
  onProgress?: (p: ProgressSnapshot) => void;
  /** monotonic clock in ms; default performance.now (ignored when `clock` is given) */
  now?: () => number;
  /** clock and timers the run is scheduled on (default: the real ones) */
  clock?: RunClock;
  /** the generator's CPU time so far (default process.cpuUsage; a generator thread's own) */
  cpuUsage?: () => NodeJS.CpuUsage;
}

/** Event-loop saturation: above this share of one core the generator, not the target, is the limit. */
export const SATURATION_CPU_SHARE = 0.9;

export function generatorView(cpuStart: NodeJS.CpuUsage, wallMs: number, cpuUsage?: () => NodeJS.CpuUsage): GeneratorView {
  const now = cpuUsage ? cpuUsage() : process.cpuUsage();
  const d = { user: now.user - cpuStart.user, system: now.system - cpuStart.system };
  const cpuSeconds = (d.user + d.system) / 1e6;
  const cpuUtilization = wallMs > 0 ? cpuSeconds / (wallMs / 1000) : 0;
  return {
    cpuSeconds: Math.round(cpuSeconds * 1000) / 1000,
    cpuUtilization: Math.round(cpuUtilization * 1000) / 1000,
    saturated: cpuUtilization >= SATURATION_CPU_SHARE,
  };
}

/** Resolves after `ms`, or at once when `signal` is already aborted / aborts meanwhile. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return sleepOn(realClock, ms, signal);
}
