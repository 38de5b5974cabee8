/**
 * User-facing failures. The CLI prints `authz-perf: <message>` and exits 2 for these;
 * anything else is treated as a bug (one line plus a hint to re-run with --debug).
 */

/** A bad flag or flag value. Name the flag and the accepted values in the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}

export interface SourceLocation {
  file?: string;
  /** 1-based */
  line?: number;
  /** 1-based */
  column?: number;
}

/** Bad input content (policy, CEL, SQL, report file). Carries a source location when known. */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly exitCode = 2;
  readonly location: SourceLocation;

  constructor(message: string, location: SourceLocation = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.location = location;
  }

  /** `file:line:column: message`, omitting the parts that are unknown. */
  describe(): string {
    const { file, line, column } = this.location;
    const where = [file, line, line !== undefined ? column : undefined].filter((p) => p !== undefined).join(':');
    return where ? `${where}: ${this.message}` : this.message;
  }
}

export function isUserError(err: unknown): err is UsageError | InputError {
  return err instanceof UsageError || err instanceof InputError;
}

/** One-line text for a user error. */
export function describeUserError(err: UsageError | InputError): string {
  return err instanceof InputError ? err.describe() : err.message;
}

/**
 * Exit code of an unexpected error (a bug, not the user's input): EX_SOFTWARE from sysexits.h,
 * so CI can tell a crash from a failed gate (1).
 */
export const EXIT_SOFTWARE = 70;

/**
 * Prints an error the way every authz-perf process does and returns its exit code: a user error is
 * one line (exit 2); anything else is one line and a --debug hint, or the stack with --debug
 * (exit EXIT_SOFTWARE).
 */
export function reportError(out: { stderr: { write(chunk: string): unknown }; debug: boolean }, err: unknown): number {
  if (isUserError(err)) {
    out.stderr.write(`authz-perf: ${describeUserError(err)}\n`);
    if (out.debug && err.stack) out.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  out.stderr.write(`authz-perf: unexpected error: ${message.split('\n')[0]}\n`);
  if (out.debug && err instanceof Error && err.stack) out.stderr.write(`${err.stack}\n`);
  else out.stderr.write('authz-perf: re-run with --debug for the stack trace\n');
  return EXIT_SOFTWARE;
}
