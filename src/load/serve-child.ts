/**
 * `serve` in a child process, for the commands that measure it (loadtest, doctor, compare,
 * size --measure, bench --http): its node arguments, and its start through target.ts, which owns
 * the child (own process group, stopped with us). The child runs serve/child-entry.ts.
 */
import { fileURLToPath } from 'node:url';
import { startBundledTarget, type BundledTarget } from './target.js';
import type { ServeOptions } from '../serve/run.js';

const CHILD_ENTRY = fileURLToPath(new URL('../serve/child-entry.js', import.meta.url));

/** Node arguments that run `serve` of this same build with `options` in a child process. */
export function serveChildArgs(options: ServeOptions, debug: boolean): string[] {
  return [CHILD_ENTRY, JSON.stringify({ ...options, policyTests: false }), debug ? 'debug' : ''];
}

export interface ServeChildIo {
  stderr: { write(chunk: string): unknown };
  env: NodeJS.ProcessEnv;
  /** pass every line the child writes on (otherwise only serve's notes) */
  debug: boolean;
}

/** A line the serve child wrote: every line with `debug`, otherwise only serve's notes (e.g. files Cerbos would refuse). */
export function serveChildLine(io: ServeChildIo, line: string): void {
  if (io.debug) io.stderr.write(`[serve] ${line}\n`);
  else if (line.startsWith('authz-perf serve: note: ')) io.stderr.write(`${line}\n`);
}

/** The serve child's "gRPC on HOST:PORT" line → HOST:PORT. */
export function grpcListenLine(line: string): string | undefined {
  return /^authz-perf serve: gRPC on (\S+)/.exec(line)?.[1];
}

export interface ServeChildLaunch {
  /** node options before the script, e.g. --max-old-space-size=256 */
  nodeOptions?: string[];
  /** run the child under `taskset -c LIST` */
  cpuList?: string | null;
  /** sees every line the child writes on stderr */
  onLine?: (line: string) => void;
}

/** Starts `serve` with these options as a child process. */
export function startServeChild(io: ServeChildIo, options: ServeOptions, launch: ServeChildLaunch = {}): Promise<BundledTarget> {
  const args = [...(launch.nodeOptions ?? []), ...serveChildArgs(options, io.debug)];
  const pinned = launch.cpuList ?? null;
  return startBundledTarget({
    command: pinned !== null ? 'taskset' : process.execPath,
    args: pinned !== null ? ['-c', pinned, process.execPath, ...args] : args,
    cwd: options.cwd,
    env: { ...io.env, NO_COLOR: '1' },
    onLine: (line: string) => {
      launch.onLine?.(line);
      serveChildLine(io, line);
    },
  });
}
