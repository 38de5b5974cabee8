/** Node's own command-line options, as handed to child processes and worker threads. */

/**
 * This process's node options without the ones that say what to run (`-e SCRIPT`, `--input-type`):
 * a process started as `node -e …` would otherwise start its cluster workers as copies of itself,
 * and a worker thread refuses `--input-type`.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print' || a === '--input-type') i++;
    else if (!a.startsWith('--input-type=') && !a.startsWith('--eval=') && !a.startsWith('--print=')) out.push(a);
  }
  return out;
}

/**
 * workerExecArgv without preloads (`--import`, `--require`, `-r`): a worker thread started by a
 * process that was itself started with a preload (a serve child's parent watch) must not run it
 * again.
 */
export function threadExecArgv(execArgv: readonly string[]): string[] {
  const args = workerExecArgv(execArgv);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--import' || a === '--require' || a === '-r' || a === '--loader' || a === '--experimental-loader') i++;
    else if (!/^--(import|require|loader|experimental-loader)=/.test(a)) out.push(a);
  }
  return out;
}
