/**
 * The end of a run, shared by the open and closed models: wait for in-flight requests (the full
 * timeout after a normal end, `drainMs` after Ctrl-C), count what never came back as abandoned,
 * close the recorder's last second, measure the generator's CPU and close the connections.
 */
import type { RunClock } from './clock.js';
import type { Recorder } from './recorder.js';
import { generatorView, type RunCommon } from './run-types.js';
import type { GeneratorView } from './types.js';

/**
 * After Ctrl-C, in-flight requests get this long to finish: with closing and writing the report
 * the command still ends within 2 s of the signal.
 */
export const INTERRUPT_DRAIN_MS = 1000;

/** Requests in flight, with the peak and a way to wait until none are left. */
export class InFlight {
  count = 0;
  peak = 0;
  private onZero: (() => void) | null = null;

  started(): void {
    if (++this.count > this.peak) this.peak = this.count;
  }

  ended(): void {
    this.count--;
    if (this.count === 0 && this.onZero) this.onZero();
  }

  /** Resolves when nothing is in flight (and `ready()` holds), or after `ms` on `clock`. */
  settle(clock: RunClock, ms: number, ready: () => boolean = () => true): Promise<void> {
    if (this.count === 0 && ready()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = clock.setTimer(done, ms);
      const check = (): void => {
        if (ready()) done();
      };
      function done(): void {
        timer.cancel();
        resolve();
      }
      this.onZero = check;
    }).finally(() => (this.onZero = null));
  }
}

export interface FinishInput {
  clock: RunClock;
  /** run clock time of the start, and the CPU usage then */
  t0: number;
  cpu0: NodeJS.CpuUsage;
  recorder: Recorder;
  inFlight: InFlight;
  /** the run's options: signal (interrupted?), drainMs, endDrainMs and timeoutMs */
  run: RunCommon;
  /** end of the sending phase (ms since t0) */
  endMs: number;
  /** open model: nothing is left waiting for a connection either */
  drained?: () => boolean;
  /** stops the progress ticker */
  stopTicker: (() => void) | null;
  closeAll: () => Promise<void>;
}

export async function finishRun(f: FinishInput): Promise<{ wallMs: number; generator: GeneratorView }> {
  const o = f.run;
  await f.inFlight.settle(f.clock, o.signal?.aborted ? (o.drainMs ?? INTERRUPT_DRAIN_MS) : (o.endDrainMs ?? o.timeoutMs + 500), f.drained);
  f.stopTicker?.();
  const wallMs = f.clock.now() - f.t0;
  f.recorder.counts.abandoned = f.inFlight.count;
  f.recorder.finish(Math.min(wallMs, Math.max(f.endMs, 1)));
  const generator = generatorView(f.cpu0, wallMs, o.cpuUsage);
  await f.closeAll();
  return { wallMs, generator };
}
