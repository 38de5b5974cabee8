/**
 * The bundled engine as the load target, in its own process so the generator never shares an
 * event loop with it. The child gets its own process group: a terminal Ctrl-C reaches only the
 * load generator, which then drains its in-flight requests and stops the child itself. A node
 * child also preloads parent-watch.js and gets a stdin pipe from us, so it exits by itself when
 * this process dies in a way that cannot stop it (SIGKILL, a crash); when this process exits, it
 * kills the child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { UsageError } from '../util/errors.js';
import { readLines } from '../util/lines.js';

export interface BundledTarget {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited */
  stop(graceMs?: number): Promise<void>;
  /** synchronous last resort for process 'exit' handlers */
  kill(): void;
}

export interface SpawnTargetOptions {
  /** executable (node) and arguments that run `authz-perf serve ... --port 0` */
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
  /** sees the child's stderr lines (after the ready line too), e.g. for --debug */
  onLine?: (line: string) => void;
}

const LISTENING = /listening on (https?:\/\/[^\s,]+)/;

const PARENT_WATCH = new URL('./parent-watch.js', import.meta.url).href;

export function startBundledTarget(o: SpawnTargetOptions): Promise<BundledTarget> {
  const watched = o.command === process.execPath;
  const child = spawn(o.command, watched ? ['--import', PARENT_WATCH, ...o.args] : o.args, {
    cwd: o.cwd,
    env: watched ? { ...o.env, AUTHZ_PERF_PARENT_PID: String(process.pid) } : o.env,
    stdio: [watched ? 'pipe' : 'ignore', 'ignore', 'pipe'],
    detached: true,
  });
  // the pipe must not keep this process alive; it closes when this process ends
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  child.stdin?.on('error', () => undefined);
  const tail: string[] = [];
  let ready = false;
  return new Promise<BundledTarget>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the bundled engine did not report "listening on" within ${o.readyTimeoutMs ?? 20_000} ms${lastLines(tail)}`));
    }, o.readyTimeoutMs ?? 20_000);
    readLines(child.stderr!, (line) => {
      tail.push(line);
      if (tail.length > 10) tail.shift();
      o.onLine?.(line);
      const m = LISTENING.exec(line);
      if (m && !ready) {
        ready = true;
        clearTimeout(timer);
        resolve(handle(child, m[1]!.replace(/\/$/, '')));
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start the bundled engine: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      if (ready) return;
      clearTimeout(timer);
      // the serve command reports bad input itself (exit 2): pass its message on as a usage error
      const last = tail.filter((l) => l.trim()).pop() ?? '';
      if (code === 2) reject(new UsageError(last.replace(/^authz-perf:\s*/, '') || 'the bundled engine rejected its arguments'));
      else reject(new Error(`the bundled engine exited before listening (${signal ?? `code ${code}`})${lastLines(tail)}`));
    });
  });
}

function handle(child: ChildProcess, url: string): BundledTarget {
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  // killed when this process exits without stopping it (an uncaught error, process.exit)
  process.once('exit', kill);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  }).then(() => void process.off('exit', kill));
  return {
    url,
    pid: child.pid ?? -1,
    kill,
    async stop(graceMs = 2000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

function lastLines(tail: string[]): string {
  const text = tail.filter((l) => l.trim()).slice(-3).join(' | ');
  return text ? `: ${text}` : '';
}
