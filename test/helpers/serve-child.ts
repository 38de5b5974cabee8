import { spawn, type ChildProcess } from 'node:child_process';
import { parseServeFlags } from '../../src/cli/serve.js';
import { serveChildArgs as childArgs } from '../../src/load/serve-child.js';

/** Node arguments that run `serve` with these flags in a child process (working directory: this one). */
export function serveChildArgs(flags: Parameters<typeof parseServeFlags>[1], debug: boolean): string[] {
  return childArgs(parseServeFlags({ cwd: process.cwd() }, flags), debug);
}

export interface ServeChild {
  child: ChildProcess;
  url: string;
  port: number;
  /** everything the child wrote to stderr so far */
  stderr(): string;
  /** SIGTERM, then the exit code */
  stop(): Promise<number | null>;
}

/**
 * Starts `node ...args` (a serve process) and resolves with its URL once it prints the listening
 * line matching `listening` (its first group is the URL).
 */
export async function startServeChild(args: string[], listening = /listening on (http:\/\/\S+)/): Promise<ServeChild> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      stderr += s;
      const m = listening.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited early (${String(code)}): ${stderr}`)));
  });
  return {
    child,
    url,
    port: Number(new URL(url).port),
    stderr: () => stderr,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
