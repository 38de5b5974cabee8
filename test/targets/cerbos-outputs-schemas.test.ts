/**
 * Outputs and schema validation against the real Cerbos PDP, on the bundled outputs-schemas
 * scenario: under schema enforcement warn and reject, every result's effects, rule outputs
 * ({src, val, action}) and validationErrors ({path, message, source}) agree with Cerbos's (outputs
 * and errors compared as sets: the order of errors follows each validator's walk). Skipped (one
 * line) without a runnable Cerbos binary.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createEngine, loadPolicySet, type CheckRequest, type Engine } from '../../src/engine/index.js';
import type { SchemaEnforcement } from '../../src/engine/schemas.js';
import { canonicalJson } from '../../src/policytest/index.js';
import { createRequestStream, loadScenario, takeRequests, type Scenario } from '../../src/scenario/index.js';
import { findCerbos, startCerbos, type RunningCerbos } from '../../src/targets/cerbos.js';
import { cerbosOptionsFor } from '../../src/targets/scenario-cerbos.js';

const lookup = await findCerbos();
const skip = lookup.found ? false : `Cerbos binary not available (${lookup.reason})`;
const REQUESTS = 400;

interface Result {
  actions: Record<string, string>;
  outputs?: unknown[];
  validationErrors?: unknown[];
}
const asSet = (list: unknown[] | undefined): string[] => (list ?? []).map(canonicalJson).sort();

for (const enforcement of ['warn', 'reject'] as SchemaEnforcement[]) {
  describe(`outputs-schemas with schema enforcement ${enforcement}: the same answers as Cerbos`, { skip }, () => {
    let scenario: Scenario;
    let engine: Engine;
    let cerbos: RunningCerbos | undefined;
    before(async () => {
      scenario = await loadScenario('outputs-schemas');
      engine = createEngine(await loadPolicySet(scenario.policyDir), { cache: { maxEntries: 1000, ttlMs: 60_000 }, schemaEnforcement: enforcement });
      cerbos = await startCerbos({ ...cerbosOptionsFor(scenario), schemaEnforcement: enforcement });
    });
    after(async () => {
      await cerbos?.stop();
    });

    test(`${REQUESTS} requests: effects, outputs and validationErrors`, async () => {
      const requests: CheckRequest[] = takeRequests(createRequestStream(scenario, { seed: 9 }), REQUESTS);
      let outputs = 0;
      let errors = 0;
      let denied = 0;
      for (const req of requests) {
        const res = await fetch(`${cerbos!.httpUrl}/api/check/resources`, { method: 'POST', body: JSON.stringify(req) });
        const theirs = ((await res.json()) as { results: Result[] }).results;
        const ours = engine.check(req).results as Result[];
        ours.forEach((r, i) => {
          const t = theirs[i]!;
          const where = `request ${req.requestId} resource ${i}`;
          assert.equal(canonicalJson(r.actions), canonicalJson(t.actions), where);
          assert.deepEqual(asSet(r.outputs), asSet(t.outputs), `${where}: outputs`);
          assert.deepEqual(asSet(r.validationErrors), asSet(t.validationErrors), `${where}: validationErrors`);
          outputs += r.outputs?.length ?? 0;
          errors += r.validationErrors?.length ?? 0;
          denied += Object.values(r.actions).filter((e) => e === 'EFFECT_DENY').length;
        });
      }
      assert.ok(outputs > 50 && errors > 20, `the stream exercises both (outputs ${outputs}, validation errors ${errors})`);
      assert.ok(denied > 0);
    });
  });
}
