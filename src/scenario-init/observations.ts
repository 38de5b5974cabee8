/**
 * What scenario init learns a request mix from: checks seen in a repository's Cerbos test suites or
 * in a PDP's decision log. One observation is one principal × resource entry with its actions;
 * `call` groups the entries that travelled in one CheckResources request.
 */
import type { Principal, ResourceRef } from '../engine/index.js';
import type { TestSuite } from '../policytest/index.js';

export interface Observation {
  principal: Principal;
  resource: ResourceRef;
  actions: string[];
  /** entries of one request share it */
  call: string;
  /** names the entry: `suite/test/principal/resource`, or `callId/index` for a logged one */
  name: string;
}

export interface ObservedTraffic {
  observations: Observation[];
  /** what the observations came from, for the comments of the written scenario */
  origin: string;
}

/** Each test's principal × resource pairs, with the test's actions (skipped tests left out). */
export function observationsFromSuites(suites: readonly TestSuite[]): Observation[] {
  const out: Observation[] = [];
  for (const suite of suites) {
    for (const test of suite.tests) {
      if (test.skip) continue;
      for (const p of test.principals) {
        const principal = suite.principals.get(p);
        if (principal === undefined) continue;
        const call = `${suite.file}#${test.name}#${p}`;
        for (const r of test.resources) {
          const resource = suite.resources.get(r);
          if (resource !== undefined) out.push({ principal, resource, actions: [...test.actions], call, name: `${suite.name}/${test.name}/${p}/${r}` });
        }
      }
    }
  }
  return out;
}
