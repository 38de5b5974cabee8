import type { CliContext } from './context.js';
import { describeUserError, isUserError } from '../util/errors.js';

/**
 * Wraps a subcommand body: its resolved number becomes the exit code; user errors print one
 * line and exit 2; anything else prints one line and a --debug hint (the stack with --debug).
 */
export function runAction<A extends unknown[]>(
  ctx: CliContext,
  body: (...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      ctx.exitCode = await body(...args);
    } catch (err) {
      ctx.exitCode = reportError(ctx, err);
    }
  };
}

export function reportError(ctx: CliContext, err: unknown): number {
  if (isUserError(err)) {
    ctx.stderr.write(`authz-perf: ${describeUserError(err)}\n`);
    if (ctx.debug && err.stack) ctx.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  ctx.stderr.write(`authz-perf: unexpected error: ${message.split('\n')[0]}\n`);
  if (ctx.debug && err instanceof Error && err.stack) ctx.stderr.write(`${err.stack}\n`);
  else ctx.stderr.write('authz-perf: re-run with --debug for the stack trace\n');
  return 1;
}
