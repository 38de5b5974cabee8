import type { ExplainSection, QueryAnalysis } from './types.js';

/** Counts for the section summary. */
export function summarize(queries: QueryAnalysis[]): ExplainSection['summary'] {
  let critical = 0;
  let warning = 0;
  let info = 0;
  let total = 0;
  let timed = false;
  for (const q of queries) {
    for (const f of q.findings) {
      if (f.severity === 'critical') critical++;
      else if (f.severity === 'warning') warning++;
      else info++;
    }
    if (q.executionTimeMs !== null) {
      total += q.executionTimeMs;
      timed = true;
    }
  }
  return {
    queries: queries.length,
    errors: queries.filter((q) => q.status === 'error').length,
    critical,
    warning,
    info,
    totalExecutionTimeMs: timed ? total : null,
  };
}
