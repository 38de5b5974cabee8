import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listScenarios, loadScenario, createRequestStream, takeRequests } from '../../src/scenario/index.js';
import { createEngine, loadPolicySet } from '../../src/engine/index.js';
import { loadTestSuites, runTestSuites } from '../../src/policytest/index.js';

for (const { name } of await listScenarios()) {
  test(`bundled scenario ${name}: its Cerbos test suites pass`, async () => {
    const scenario = await loadScenario(name);
    assert.ok(scenario.testsDir, 'every bundled scenario ships tests');
    const results = runTestSuites(await loadPolicySet(scenario.policyDir), await loadTestSuites(scenario.testsDir));
    assert.ok(results.tests > 0 && results.counts.total > 0);
    assert.deepEqual(results.failures, []);
  });

  test(`bundled scenario ${name}: generated requests evaluate to both effects`, async () => {
    const scenario = await loadScenario(name);
    const engine = createEngine(await loadPolicySet(scenario.policyDir), { cache: false });
    const effects = new Set<string>();
    for (const req of takeRequests(createRequestStream(scenario), 300)) {
      const res = engine.check(req);
      assert.equal(res.requestId, req.requestId);
      assert.equal(res.results.length, req.resources.length);
      for (const r of res.results) for (const e of Object.values(r.actions)) effects.add(e);
    }
    assert.deepEqual([...effects].sort(), ['EFFECT_ALLOW', 'EFFECT_DENY']);
  });
}

// arbitrary attribute values (wrong types, hostile keys, nesting) never make a check throw
test('bundled policies: any well-shaped request gets a decision for every action', async () => {
  const fc = (await import('fast-check')).default;
  const engines = await Promise.all(
    (await listScenarios()).map(async ({ name }) => createEngine(await loadPolicySet((await loadScenario(name)).policyDir), { cache: { maxEntries: 100, ttlMs: 1000 } })),
  );
  const key = fc.constantFrom('owner', 'department', 'status', 'tags', 'acl', 'columns', 'groups', 'level', 'amount', '__proto__', 'constructor', 'prototype', 'x');
  const attrs = fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
  const kind = fc.constantFrom('document', 'expense', 'dataset', 'project', 'nope');
  const action = fc.constantFrom('view', 'edit', 'delete', 'approve', 'read', 'read:lineage', 'export', '*', '__proto__', 'view:summary');
  const request = fc.record({
    principal: fc.record({ id: fc.string({ minLength: 1, maxLength: 6 }), roles: fc.array(fc.constantFrom('user', 'manager', 'admin', 'analyst', 'engineer', 'steward', 'viewer', 'editor'), { minLength: 1, maxLength: 3 }), attr: attrs }),
    resources: fc.array(fc.record({ resource: fc.record({ kind, id: fc.string({ minLength: 1, maxLength: 4 }), attr: attrs }), actions: fc.uniqueArray(action, { minLength: 1, maxLength: 4 }) }), { minLength: 1, maxLength: 3 }),
  });
  fc.assert(
    fc.property(request, (json) => {
      const req = JSON.parse(JSON.stringify(json)) as Parameters<(typeof engines)[number]['check']>[0];
      for (const engine of engines) {
        const res = engine.check(req);
        assert.equal(res.results.length, req.resources.length);
        res.results.forEach((r, i) => assert.deepEqual(Object.keys(r.actions).sort(), [...req.resources[i]!.actions].sort()));
      }
    }),
    { numRuns: 150 },
  );
});
