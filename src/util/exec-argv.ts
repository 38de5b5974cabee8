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
