import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { InputError, reportError, UsageError } from '../util/errors.js';

export { EXIT_SOFTWARE, reportError } from '../util/errors.js';

/**
 * Wraps a subcommand body: its resolved number becomes the exit code; user errors print one
 * line and exit 2; anything else prints one line and a --debug hint (the stack with --debug)
 * and exits EXIT_SOFTWARE (70).
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

/** argv after the subcommand's name, as given (commander keeps it on the root program, untyped). */
export function argsAfterCommand(cmd: Command): string[] {
  const raw = (cmd.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? [];
  const at = raw.indexOf(cmd.name());
  return at >= 0 ? raw.slice(at + 1) : [];
}

/**
 * Writes a file a flag asked for (creating its folder); a failure is one usage line naming the
 * flag and the reason (EACCES, EISDIR, ...), not an unexpected error.
 */
export async function writeOutputFile(file: string, text: string, flag: string): Promise<void> {
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  } catch (err) {
    throw new UsageError(`${flag}: cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Reads all of stdin (for `-`, e.g. `authz-perf bench --json | authz-perf report - --format md`). */
export async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads a text file relative to the working directory; `fail` makes the error for a file it cannot
 * read from the reason ('no such file', 'is a directory', else the error code) and the code.
 */
export async function readTextOr(ctx: CliContext, file: string, fail: (reason: string, code: string | undefined) => Error): Promise<string> {
  try {
    return await readFile(path.resolve(ctx.cwd, file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? (err as Error).message), code);
  }
}

/** Reads an input file (relative to the working directory); a failure is an InputError naming it. */
export function readInputFile(ctx: CliContext, file: string): Promise<string> {
  return readTextOr(ctx, file, (reason, code) => new InputError(code === 'ENOENT' ? 'file not found' : `cannot read: ${code ?? reason}`, { file }));
}
