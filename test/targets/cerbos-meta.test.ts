/**
 * includeMeta against the real Cerbos PDP: matchedPolicy / matchedScope per action and
 * effectiveDerivedRoles (compared as a set: Cerbos's order is not the definition order) on the
 * bundled scenarios where our engine answers as Cerbos does, and principal-policy names as Cerbos
 * writes them. Skipped (one line) without a runnable Cerbos binary.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createEngine, loadPolicySet, type CheckRequest, type Engine } from '../../src/engine/index.js';
import { canonicalJson } from '../../src/policytest/index.js';
import { principalPolicyMetaName } from '../../src/engine/meta.js';
import { createRequestStream, loadScenario, takeRequests, type Scenario } from '../../src/scenario/index.js';
import { findCerbos, startCerbos, type RunningCerbos } from '../../src/targets/cerbos.js';
import { cerbosOptionsFor } from '../../src/targets/scenario-cerbos.js';

const lookup = await findCerbos();
const skip = lookup.found ? false : `Cerbos binary not available (${lookup.reason})`;

type Meta = { actions: Record<string, unknown>; effectiveDerivedRoles?: string[] } | undefined;
const normal = (m: Meta): string => canonicalJson(m?.effectiveDerivedRoles ? { ...m, effectiveDerivedRoles: [...m.effectiveDerivedRoles].sort() } : (m ?? null));

for (const name of ['abac-cel', 'rbac-simple', 'heavy-cel']) {
  describe(`includeMeta on ${name}: the same meta as Cerbos`, { skip }, () => {
    let scenario: Scenario;
    let engine: Engine;
    let cerbos: RunningCerbos | undefined;
    before(async () => {
      scenario = await loadScenario(name);
      engine = createEngine(await loadPolicySet(scenario.policyDir), { cache: { maxEntries: 1000, ttlMs: 60_000 }, globals: scenario.globals });
      cerbos = await startCerbos(cerbosOptionsFor(scenario));
    });
    after(async () => {
      await cerbos?.stop();
    });

    test('300 requests of the seeded stream, cached and uncached', async () => {
      const requests: CheckRequest[] = takeRequests(createRequestStream(scenario, { seed: 5 }), 300).map((r) => ({ ...r, includeMeta: true }));
      let compared = 0;
      let derived = 0;
      for (const req of requests) {
        const theirs = (await (await fetch(`${cerbos!.httpUrl}/api/check/resources`, { method: 'POST', body: JSON.stringify(req) })).json()) as { results: Array<{ meta: Meta }> };
        for (const ours of [engine.check(req), engine.check(req)]) {
          ours.results.forEach((r, i) => {
            assert.equal(normal(r.meta as Meta), normal(theirs.results[i]!.meta), `request ${req.requestId} resource ${i}`);
            compared++;
            if (r.meta?.effectiveDerivedRoles) derived++;
          });
        }
      }
      assert.ok(compared > 300);
      if (name === 'abac-cel') assert.ok(derived > 0, 'abac-cel activates derived roles');
    });
  });
}

test('principal-policy meta names: the requested id, version and scope, as Cerbos writes them', () => {
  assert.equal(principalPolicyMetaName({ id: 'user-33', roles: [], scope: 'acme.hr' }), 'principal.user_33.vdefault/acme.hr');
  assert.equal(principalPolicyMetaName({ id: 'a.b@c-d:e+f', roles: [], policyVersion: 'v2', scope: 'x.y' }), 'principal.a.b@c-d:e+f.vv2/x.y');
  assert.equal(principalPolicyMetaName({ id: 'user-79', roles: [], policyVersion: '20240101' }), 'principal.user_79.v20240101');
});
