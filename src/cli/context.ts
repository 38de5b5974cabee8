/** Process state handed to every subcommand; only src/cli touches the real process. */
export interface OutputStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
}

export interface CliContext {
  stdout: OutputStream;
  stderr: OutputStream;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** set by --debug: print stacks for unexpected errors */
  debug: boolean;
  /** the exit code main() returns; actions set it */
  exitCode: number;
}

/** Colour on a stream: only for a TTY, and never when NO_COLOR is set (https://no-color.org). */
export function wantsColor(ctx: CliContext, stream: OutputStream = ctx.stdout): boolean {
  return Boolean(stream.isTTY) && !ctx.env.NO_COLOR && ctx.env.TERM !== 'dumb';
}
