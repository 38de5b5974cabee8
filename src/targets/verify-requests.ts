/**
 * The requests a decision check sends: a scenario's seeded stream, or (for a bare policy folder)
 * the fixtures of its Cerbos test suites: every principal × resource pair a test names, with that
 * test's actions, once each, in suite and test order.
 */
import path from 'node:path';
import type { CheckRequest } from '../engine/index.js';
import { loadTestSuites } from '../policytest/index.js';
import { createRequestStream, loadScenario, takeRequests, type Scenario } from '../scenario/index.js';
import { observationsFromSuites } from '../scenario-init/observations.js';
import { UsageError } from '../util/errors.js';
import { cerbosOptionsFor } from './scenario-cerbos.js';
import type { VerifyOptions } from './verify.js';

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

/**
 * `verify`'s inputs: a scenario's policies and seeded stream (`seed` default: the scenario's), or a
 * policy folder with requests from its test suites; `label` says which, for the progress line.
 */
export async function verifyInputs(
  from: { scenario: string } | { policies: string },
  o: { cwd: string; count: number; seed?: number; lenientScopes: boolean },
): Promise<{ options: Omit<VerifyOptions, 'binary' | 'concurrency' | 'maxDifferences'>; label: string }> {
  let options: Omit<VerifyOptions, 'binary' | 'concurrency' | 'maxDifferences'>;
  let label: string;
  if ('scenario' in from) {
    const scenario = await loadScenario(from.scenario, { cwd: o.cwd });
    const seed = o.seed ?? scenario.seed;
    options = { ...cerbosOptionsFor(scenario), requests: scenarioRequests(scenario, o.count, seed), source: { kind: 'scenario', scenario: scenario.name, seed } };
    label = `scenario ${scenario.name}, ${o.count} requests (seed ${seed})`;
  } else {
    const policyDir = path.resolve(o.cwd, from.policies);
    const fromSuites = await testSuiteRequests(policyDir, o.count);
    if (fromSuites.requests.length === 0) {
      throw new UsageError(`--policies ${from.policies}: no Cerbos test suites (*_test.yaml) with principals and resources to draw requests from; use --scenario`);
    }
    options = { policyDir, requests: fromSuites.requests, source: { kind: 'test-suites', suites: fromSuites.suites, pairs: fromSuites.pairs } };
    label = `${from.policies}, ${fromSuites.requests.length} requests from ${fromSuites.suites} test suite${fromSuites.suites === 1 ? '' : 's'}`;
  }
  return { options: o.lenientScopes ? { ...options, lenientScopeSearch: true } : options, label };
}
