/**
 * Runs preflightPolicyTests in a worker thread. The suites build many short-lived engines with
 * their own options (globals, `now`), and in the benchmark's own isolate that type feedback made
 * the measured engine's hot paths polymorphic: abac-cel's uncached check measured 10.5 µs after
 * the suites ran in-process and 4.9 µs without them. A worker has its own isolate and JIT.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { describeUserError, isUserError } from '../util/errors.js';
import { preflightPolicyTests, type PreflightOutcome } from './index.js';

interface PreflightInput {
  policyDir: string;
  testsDir: string | null;
  lenientScopeSearch: boolean;
}

type PreflightReply = { ok: PreflightOutcome | null } | { userError: string } | { internalError: string };

/** preflightPolicyTests in a worker thread; a user error (a policy that does not load) becomes a warning. */
export function preflightInWorker(input: PreflightInput): Promise<PreflightOutcome | null> {
  return new Promise((resolve, reject) => {
    // no node options: the worker needs none, and the parent's preload (a child process's
    // watchdog) or `-e` script must not run again in the worker
    const worker = new Worker(new URL(import.meta.url), { workerData: input, execArgv: [] });
    let replied = false;
    worker.once('message', (reply: PreflightReply) => {
      replied = true;
      if ('ok' in reply) resolve(reply.ok);
      else if ('userError' in reply) {
        const warning = `policy tests could not run: ${reply.userError}`;
        resolve({ line: `policy tests: ${warning}`, warning });
      } else reject(new Error(reply.internalError));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!replied) reject(new Error(`policy test worker exited with code ${code} before answering`));
    });
  });
}

if (!isMainThread && parentPort) {
  const input = workerData as PreflightInput;
  let reply: PreflightReply;
  try {
    reply = { ok: await preflightPolicyTests(input.policyDir, input.testsDir, input.lenientScopeSearch) };
  } catch (err) {
    reply = isUserError(err) ? { userError: describeUserError(err) } : { internalError: (err as Error)?.stack ?? String(err) };
  }
  parentPort.postMessage(reply);
}
