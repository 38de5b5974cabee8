/**
 * Preloaded (node --import) into the bundled engine child so it can never outlive the load
 * generator, even when the generator is killed with SIGKILL and cannot stop it: the child's stdin
 * is a pipe from the parent, which the kernel closes when the parent dies, and the parent pid is
 * polled as well (the child is reparented when its parent dies). Either way the child sends
 * itself SIGTERM (serve shuts down cleanly) and exits 2 s later regardless.
 * Inert unless AUTHZ_PERF_PARENT_PID is set; it is removed from the environment once read.
 */
const parent = Number(process.env.AUTHZ_PERF_PARENT_PID);
// this process's own processes (serve --workers forks with its environment and node options) watch
// it through their IPC channel, not the pid of its parent
delete process.env.AUTHZ_PERF_PARENT_PID;
const POLL_MS = 250;
const GRACE_MS = 2000;

if (parent > 0) {
  let leaving = false;
  const leave = (): void => {
    if (leaving) return;
    leaving = true;
    setTimeout(() => process.exit(1), GRACE_MS).unref();
    process.kill(process.pid, 'SIGTERM');
  };
  process.stdin.on('end', leave);
  process.stdin.on('close', leave);
  process.stdin.on('error', leave);
  process.stdin.resume();
  (process.stdin as unknown as { unref?: () => void }).unref?.();
  setInterval(() => {
    if (process.ppid !== parent) leave();
  }, POLL_MS).unref();
}
