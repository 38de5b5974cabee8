import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listScenarios, loadScenario, createRequestStream, takeRequests } from '../../src/scenario/index.js';
import { createEngine, loadPolicySet, loadTestSuites, runTestSuites } from '../../src/engine/index.js';

for (const { name } of await listScenarios()) {
  test(`bundled scenario ${name}: its Cerbos test suites pass`, async () => {
    const scenario = await loadScenario(name);
    assert.ok(scenario.testsDir, 'every bundled scenario ships tests');
    const results = runTestSuites(await loadPolicySet(scenario.policyDir), await loadTestSuites(scenario.testsDir));
    assert.ok(results.tests > 0 && results.cases > 0);
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
