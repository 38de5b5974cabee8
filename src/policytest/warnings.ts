/**
 * The check `bench`, `serve` and `loadtest` run before they measure: the policy folder's (or the
 * scenario's) test suites, one line on stderr, and the warning for the top of the report when a
 * suite fails or cannot be read.
 */
export async function policyTestWarnings(
  stderr: { write(chunk: string): unknown },
  command: string,
  where: { policyDir: string; testsDir?: string | null; lenientScopeSearch?: boolean },
): Promise<string[]> {
  // in a worker thread, so the suites' engines leave no type feedback in the measuring isolate
  const { preflightInWorker } = await import('./preflight-worker.js');
  const outcome = await preflightInWorker({ policyDir: where.policyDir, testsDir: where.testsDir ?? null, lenientScopeSearch: where.lenientScopeSearch === true });
  if (outcome === null) return [];
  stderr.write(`${command}: ${outcome.line}\n`);
  return outcome.warning === undefined ? [] : [outcome.warning];
}
