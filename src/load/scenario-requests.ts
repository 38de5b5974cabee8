/**
 * The scenario side of a load test: its seeded request stream, the decisions the same policies
 * give in-process (to catch a target that answers wrongly), and the engine for --in-process.
 */
import { createEngine, loadPolicySet, startServer, type CheckRequest, type CheckResponse } from '../engine/index.js';
import { createRequestStream, loadScenario, takeRequests } from '../scenario/index.js';
import type { Scenario } from '../scenario/types.js';

export { loadScenario };

export interface ScenarioRequests {
  requests: CheckRequest[];
  /** null when verification is off */
  expected: CheckResponse[] | null;
}

/** `given`: these requests (a replayed log) instead of the scenario's stream */
export async function scenarioRequests(scenario: Scenario, count: number, seed: number, verify: boolean, given?: CheckRequest[]): Promise<ScenarioRequests> {
  const requests = given ?? takeRequests(createRequestStream(scenario, { seed }), count);
  if (!verify) return { requests, expected: null };
  const engine = createEngine(await loadPolicySet(scenario.policyDir, { lenientScopeSearch: scenario.lenientScopeSearch === true }), { cache: false, globals: scenario.globals });
  // copy: engine results are shared, read-only objects
  const expected = requests.map((r) => structuredClone(engine.check(r)));
  return { requests, expected };
}

export interface InProcessTarget {
  url: string;
  close(): Promise<void>;
}

/** The bundled engine in this process (shares the generator's event loop: for tests and quick looks). */
export async function startInProcessTarget(scenario: Scenario): Promise<InProcessTarget> {
  const engine = createEngine(await loadPolicySet(scenario.policyDir, { lenientScopeSearch: scenario.lenientScopeSearch === true }), { globals: scenario.globals });
  const server = await startServer(engine, { host: '127.0.0.1', port: 0 });
  return { url: server.url.replace(/\/+$/, ''), close: () => server.close() };
}
