import { main } from '../../src/cli/main.js';
import type { CliContext } from '../../src/cli/context.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

class Capture {
  text = '';
  constructor(readonly isTTY = false) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** Runs the CLI in-process (no spawn) with captured output. `args` excludes `node authz-perf`. */
export async function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(['node', 'authz-perf', ...args], {
    stdout,
    stderr,
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A CLI context for calling a command function directly; what it writes to stderr is kept in `err`. */
export function captureContext(): CliContext & { err: string[] } {
  const err: string[] = [];
  return { err, stdout: { write: () => true }, stderr: { write: (s: string) => (err.push(s), true) }, cwd: process.cwd(), env: {}, debug: false, exitCode: 0 };
}
