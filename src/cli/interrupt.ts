/**
 * Ctrl-C / SIGTERM for commands that write a report of what they measured: the first signal
 * says `stopping` on stderr and aborts `signal` (the command then finishes early and writes its
 * report), a second one exits at once with 130.
 */
import type { CliContext } from './context.js';

/** the exit code of an interrupted run (128 + SIGINT) */
export const EXIT_INTERRUPTED = 130;

export interface Interrupt {
  signal: AbortSignal;
  /** stop listening for the signals */
  dispose(): void;
}

export function watchInterrupt(ctx: CliContext, stopping: string): Interrupt {
  const abort = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals === 1) ctx.stderr.write(`\nauthz-perf: stopping: ${stopping} (Ctrl-C again to quit at once)\n`);
    else process.exit(EXIT_INTERRUPTED);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: abort.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
