import { Command, CommanderError } from 'commander';
import type { CliContext } from './context.js';
import { VERSION } from '../util/version.js';
import { registerCommands } from './commands.js';
import { reportError } from './action.js';

export interface MainIo {
  stdout?: CliContext['stdout'];
  stderr?: CliContext['stderr'];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Builds the program for a context and the argv it will parse (only the subcommand argv runs is
 * loaded; see registerCommands). Exported so tests can drive the CLI in-process.
 */
export async function buildProgram(ctx: CliContext, argv: readonly string[]): Promise<Command> {
  const program = new Command('authz-perf')
    .description('Performance toolkit for CEL-based authorization engines (Cerbos-style policies)')
    .version(VERSION, '-V, --version', 'print the authz-perf version')
    .option('--debug', 'print stack traces for unexpected errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void ctx.stdout.write(s),
      writeErr: (s) => void ctx.stderr.write(s),
      outputError: (s, write) => write(`authz-perf: ${s.replace(/^error: /, '')}`),
    });
  program.hook('preAction', (thisCommand) => {
    ctx.debug = Boolean(thisCommand.opts().debug) || ctx.debug;
  });
  await registerCommands(program, ctx, argv);
  for (const sub of program.commands) sub.exitOverride().configureOutput(program.configureOutput());
  return program;
}

const watched = new WeakSet<NodeJS.EventEmitter>();

/**
 * A write to a pipe whose reader has exited (`authz-perf report r.json | head`) fails with EPIPE,
 * delivered as the stream's 'error' event (with no listener: "unexpected error: write EPIPE", a
 * crash). The output was not wanted any more, so later writes are dropped quietly and the command
 * runs on: its reports are still written and its exit code (a gate, thresholds) still says how the
 * run went. Any other stream error is still thrown, i.e. reported as a crash.
 */
export function ignoreBrokenPipe(stream: NodeJS.EventEmitter): void {
  if (watched.has(stream)) return;
  watched.add(stream);
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[], io: MainIo = {}): Promise<number> {
  // the real process streams only: injected ones (tests) report their own failures
  if (!io.stdout) ignoreBrokenPipe(process.stdout);
  if (!io.stderr) ignoreBrokenPipe(process.stderr);
  const ctx: CliContext = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    cwd: io.cwd ?? process.cwd(),
    env: io.env ?? process.env,
    debug: argv.includes('--debug'),
    exitCode: 0,
  };
  try {
    const program = await buildProgram(ctx, argv);
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are exits with code 0; every other commander error is a usage error
      return err.exitCode === 0 ? 0 : 2;
    }
    return reportError(ctx, err);
  }
  return ctx.exitCode;
}
