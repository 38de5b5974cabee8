/**
 * Check requests → what the generator sends: pre-serialised bodies (no JSON work on the hot path)
 * and a response check. With expected responses (the same policies evaluated in-process) every
 * decision is compared; without them a 2xx must still be a check response with one result per
 * resource. A body already verified for an index is remembered, so repeats cost a string compare.
 */
import { CHECK_PATH, type CheckRequest, type CheckResponse } from '../engine/index.js';
import type { RequestSource, ResponseCheck } from './connection.js';

export function buildRequestSource(requests: readonly CheckRequest[], expected: readonly CheckResponse[] | null, path = CHECK_PATH): RequestSource {
  const bodies = requests.map((r) => Buffer.from(JSON.stringify(r)));
  const check: ResponseCheck = { resourceCounts: requests.map((r) => r.resources.length), expected };
  return { path, bodies, verify: verifierOf(check), check };
}

/** The response check of a source, from its data (also in a generator thread). */
export function verifierOf(check: ResponseCheck): (index: number, body: string) => string | null {
  const { resourceCounts, expected } = check;
  const verified: Array<string | undefined> = new Array<string | undefined>(resourceCounts.length);
  return (index: number, body: string): string | null => {
    if (verified[index] === body) return null;
    const reason = checkResponse(body, resourceCounts[index]!, expected ? expected[index]! : null);
    if (reason === null) verified[index] = body;
    return reason;
  };
}

/** null when `body` is a check response matching `expected` (when given), else a short reason. */
export function checkResponse(body: string, resources: number, expected: CheckResponse | null): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `response is not JSON: ${body.slice(0, 60)}`;
  }
  const results = (parsed as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return 'response has no "results" array';
  if (results.length !== resources) return `expected ${resources} results, got ${results.length}`;
  if (!expected) return null;
  for (let i = 0; i < resources; i++) {
    const got = (results[i] as { actions?: unknown } | null)?.actions;
    const want = expected.results[i]!;
    if (typeof got !== 'object' || got === null) return `result ${i} has no actions`;
    const gotActions = got as Record<string, unknown>;
    for (const [action, effect] of Object.entries(want.actions)) {
      if (gotActions[action] !== effect)
        return `decision mismatch: ${want.resource.kind}/${want.resource.id} ${action}: expected ${effect}, got ${String(gotActions[action] ?? 'nothing')}`;
    }
  }
  return null;
}
