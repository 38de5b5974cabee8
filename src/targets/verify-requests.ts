/**
 * The requests a decision check sends: a scenario's seeded stream, or (for a bare policy folder)
 * the fixtures of its Cerbos test suites: every principal × resource pair a test names, with that
 * test's actions, once each, in suite and test order.
 */
import type { CheckRequest } from '../engine/index.js';
import { loadTestSuites } from '../policytest/index.js';
import { createRequestStream, takeRequests, type Scenario } from '../scenario/index.js';
import { observationsFromSuites } from '../scenario-init/observations.js';

export function scenarioRequests(scenario: Scenario, count: number, seed: number): CheckRequest[] {
  return takeRequests(createRequestStream(scenario, { seed }), count);
}

export interface SuiteRequests {
  requests: CheckRequest[];
  suites: number;
  /** distinct principal × resource pairs found (before any cap) */
  pairs: number;
}

/** Requests built from the `*_test.yaml|json` suites under `dir`, at most `max` of them. */
export async function testSuiteRequests(dir: string, max: number): Promise<SuiteRequests> {
  const suites = await loadTestSuites(dir);
  const seen = new Set<string>();
  const requests: CheckRequest[] = [];
  let pairs = 0;
  for (const o of observationsFromSuites(suites)) {
    const request: CheckRequest = { principal: o.principal, resources: [{ resource: o.resource, actions: o.actions }] };
    const key = JSON.stringify(request);
    if (seen.has(key)) continue;
    seen.add(key);
    pairs++;
    if (requests.length < max) requests.push({ requestId: o.name, ...request });
  }
  return { requests, suites: suites.length, pairs };
}
