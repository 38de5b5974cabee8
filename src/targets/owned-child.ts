/**
 * A child process this process owns: it never outlives us.
 *
 * - The command is started through `/bin/sh`, which starts a watchdog in the background and then
 *   `exec`s the command, so the child's pid is the command's own pid. The watchdog polls our pid
 *   every 0.2 s; once we are gone (even by SIGKILL, where no handler of ours runs) it sends the
 *   command SIGTERM, then SIGKILL 2 s later, and removes the child's scratch folder (if it has
 *   one). It exits by itself when the command has exited.
 * - The child leads its own process group (`detached`), so a terminal Ctrl-C reaches only us; we
 *   decide when it stops. Its group holds the command and the watchdog, and is killed as a whole.
 * - While any owned child runs, process 'exit' kills every group and removes the scratch folders
 *   synchronously (a normal stop leaves the folder to its owner). On SIGINT/SIGTERM
 *   nobody else listens to, the groups are killed and the signal is raised again with its default
 *   action (so the process still ends by that signal); when the program has its own listener, it
 *   handles the signal and stops its children itself (e.g. after draining in-flight requests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

export interface OwnedChild {
  readonly child: ChildProcess;
  /** pid of the command itself (and of its process group) */
  readonly pid: number;
  /** resolves with the exit code or signal once the command has exited */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL to the whole group after `graceMs`; resolves when the command has exited */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to the whole group, synchronously */
  kill(): void;
}

/** stdin is closed; stdout and stderr are piped: the caller must read them (or the child blocks on a full pipe). */
export interface SpawnOwnedOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** a folder removed when we die or exit while the child runs (its owner removes it after a normal stop) */
  scratchDir?: string;
}

// $1: the pid to watch; $2: a scratch folder or ''; the rest: the command. In the subshell, $$ is
// the outer shell's pid, which `exec` hands to the command.
const WATCHDOG = `parent=$1; scratch=$2; shift 2
(
  while kill -0 "$parent" 2>/dev/null && kill -0 $$ 2>/dev/null; do sleep 0.2; done
  kill -0 $$ 2>/dev/null || exit 0
  kill -TERM $$ 2>/dev/null
  i=0
  while [ $i -lt 20 ] && kill -0 $$ 2>/dev/null; do sleep 0.1; i=$((i+1)); done
  kill -KILL $$ 2>/dev/null
  [ -n "$scratch" ] && rm -rf -- "$scratch"
) </dev/null >/dev/null 2>&1 &
exec "$@"`;

/** Starts `command args` as an owned child (see the module comment). Throws if it cannot be spawned. */
export function spawnOwned(command: string, args: readonly string[], options: SpawnOwnedOptions = {}): OwnedChild {
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'authz-perf-watchdog', String(process.pid), options.scratchDir ?? '', command, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) {
    // the 'error' event that follows carries the same news
    child.once('error', () => undefined);
    throw new Error(`could not start /bin/sh to run ${command}`);
  }
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      release(pid);
      // the watchdog notices within 0.2 s; killing the group ends it at once
      killGroup(pid, 'SIGKILL');
      resolve({ code, signal });
    });
  });
  own(pid, options.scratchDir);
  return {
    child,
    pid,
    exited,
    hasExited: () => done,
    kill: () => {
      if (!done) killGroup(pid, 'SIGKILL');
    },
    async stop(graceMs = 3000) {
      if (done) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* the group is gone */
  }
}

// --- process hooks, installed while at least one owned child runs ---

/** process group → its scratch folder (or undefined) */
const ownedGroups = new Map<number, string | undefined>();

function killAll(): void {
  for (const [pgid, scratchDir] of ownedGroups) {
    killGroup(pgid, 'SIGKILL');
    if (scratchDir !== undefined) rmSync(scratchDir, { recursive: true, force: true });
  }
}

function onSignal(signal: NodeJS.Signals): void {
  // someone else listens: the program handles the signal and stops its children itself
  if (process.listenerCount(signal) > 1) return;
  killAll();
  ownedGroups.clear();
  uninstall();
  process.kill(process.pid, signal);
}

const onSigint = (): void => onSignal('SIGINT');
const onSigterm = (): void => onSignal('SIGTERM');

function own(pgid: number, scratchDir: string | undefined): void {
  if (ownedGroups.size === 0) {
    process.on('exit', killAll);
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
  }
  ownedGroups.set(pgid, scratchDir);
}

function release(pgid: number): void {
  if (ownedGroups.delete(pgid) && ownedGroups.size === 0) uninstall();
}

function uninstall(): void {
  process.off('exit', killAll);
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigterm);
}
