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
