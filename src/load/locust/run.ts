/**
 * Runs an exported Locust folder for real on this machine: one headless master and N workers,
 * all on 127.0.0.1, for a bounded time. Every process is ours: started in its own process group
 * (a terminal Ctrl-C reaches only us), told our pid so it exits when we die (PR_SET_PDEATHSIG and a
 * parent watch in the Locust file), given a hard deadline, and stopped by us (SIGTERM, then
 * SIGKILL) as soon as every worker has written its result, at the deadline, or on abort.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { LOCUSTFILE } from './locustfile.js';
import { readLines } from '../../util/lines.js';

export interface LocustRunInput {
  /** `locust` executable */
  command: string;
  /** the exported folder (holds locustfile.py and its plan) */
  dir: string;
  resultsDir: string;
  workers: number;
  /** base URL the workers send to */
  targetUrl: string;
  /** the plan's duration; the master runs a little longer (drain, start-up) */
  plannedS: number;
  timeoutMs: number;
  /** true once every worker's result file is there */
  allResultsWritten: () => Promise<boolean>;
  signal?: AbortSignal;
  /** a line of a process's stderr (prefixed with its role) */
  onLine?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** registers a synchronous last-resort kill for process 'exit' (returns its remover) */
  onSpawn?: (kill: () => void) => () => void;
}

export interface LocustRunOutcome {
  /** every worker wrote its result before the deadline */
  complete: boolean;
  interrupted: boolean;
  /** the last stderr lines, for a failure message */
  tail: string[];
  /** exit codes / signals of the processes (master first) */
  exits: string[];
}

/** Seconds the master runs beyond the plan: start-up of the workers, the drain of in-flight requests. */
export function locustRunTimeS(plannedS: number, timeoutMs: number): number {
  return Math.ceil(plannedS + timeoutMs / 1000 + 5);
}

export async function runLocust(input: LocustRunInput): Promise<LocustRunOutcome> {
  const port = await freePort();
  const runTimeS = locustRunTimeS(input.plannedS, input.timeoutMs);
  const deadlineS = runTimeS + 30;
  const env = {
    ...(input.env ?? process.env),
    AUTHZ_PERF_PARENT_PID: String(process.pid),
    AUTHZ_PERF_DEADLINE_S: String(deadlineS),
    PYTHONUNBUFFERED: '1',
  };
  const file = path.join(input.dir, LOCUSTFILE);
  const tail: string[] = [];
  const procs: Array<{ role: string; child: ChildProcess; exited: Promise<string> }> = [];
  const start = (role: string, args: string[]): void => {
    const child = spawn(input.command, ['-f', file, '--loglevel', 'WARNING', ...args], {
      cwd: input.dir,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    readLines(child.stderr!, (text) => {
      const line = `[${role}] ${text}`;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      input.onLine?.(line);
    });
    const exited = new Promise<string>((resolve) => {
      child.once('error', (err) => resolve(`${role}: ${err.message}`));
      child.once('exit', (code, sig) => resolve(`${role}: ${sig ?? `exit ${code}`}`));
    });
    procs.push({ role, child, exited });
  };
  const killAll = (): void => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  };
  const removeExitHook = input.onSpawn?.(killAll);
  let interrupted = false;
  let complete = false;
  try {
    start('master', [
      '--headless',
      '--master',
      '--master-bind-host', '127.0.0.1',
      '--master-bind-port', String(port),
      '--expect-workers', String(input.workers),
      '-u', String(input.workers),
      '-r', String(input.workers),
      '--run-time', `${runTimeS}s`,
      '--stop-timeout', '2',
      // the plan's request path already holds any path prefix of the target
      '--host', new URL(input.targetUrl).origin,
      '--authz-results', input.resultsDir,
      '--authz-runners', String(input.workers),
      '--only-summary',
    ]);
    for (let k = 0; k < input.workers; k++) start(`worker ${k}`, ['--worker', '--master-host', '127.0.0.1', '--master-port', String(port)]);
    const deadline = Date.now() + deadlineS * 1000;
    const masterDone = procs[0]!.exited;
    let masterExited = false;
    void masterDone.then(() => (masterExited = true));
    while (Date.now() < deadline) {
      if (input.signal?.aborted) {
        interrupted = true;
        break;
      }
      if (await input.allResultsWritten()) {
        complete = true;
        break;
      }
      // the master ends the run at --run-time; workers write on their way out
      if (masterExited && procs.every((p) => p.child.exitCode !== null || p.child.signalCode !== null)) break;
      await sleep(200, input.signal);
    }
  } finally {
    // SIGTERM lets Locust stop its users, so a worker stopped early still writes its partial result
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    const grace = setTimeout(killAll, 5000);
    await Promise.all(procs.map((p) => p.exited));
    clearTimeout(grace);
    removeExitHook?.();
  }
  if (!complete && !interrupted) complete = await input.allResultsWritten();
  return { complete, interrupted, tail, exits: await Promise.all(procs.map((p) => p.exited)) };
}

/** A TCP port free on 127.0.0.1 right now (for the master's ZeroMQ socket). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
