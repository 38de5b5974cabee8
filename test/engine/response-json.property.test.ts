/** checkResponseJson writes exactly JSON.stringify's text, whether a result's text is reused or not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkResponseJson } from '../../src/engine/response-json.js';
import { createEngine, loadPolicySet } from '../../src/engine/index.js';
import type { CheckResponse, ResourceResult } from '../../src/engine/types.js';
import { createRequestStream, loadScenario, takeRequests } from '../../src/scenario/index.js';
import { FUZZ_RUNS } from '../fuzz/support.js';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

const text = fc.string({ unit: 'binary' });
const effect = fc.constantFrom('EFFECT_ALLOW', 'EFFECT_DENY');
const result: fc.Arbitrary<ResourceResult> = fc.record(
  {
    resource: fc.record({ id: text, kind: text, policyVersion: text, scope: text }, { requiredKeys: ['id', 'kind'] }),
    actions: fc.dictionary(text, effect),
    meta: fc.record({ actions: fc.dictionary(text, fc.record({ matchedPolicy: text, matchedScope: text })), effectiveDerivedRoles: fc.array(text) }, { requiredKeys: ['actions'] }),
    outputs: fc.array(fc.record({ src: text, val: fc.jsonValue() })),
    validationErrors: fc.array(fc.record({ path: text, message: text, source: fc.constantFrom('SOURCE_PRINCIPAL' as const, 'SOURCE_RESOURCE' as const) })),
  },
  { requiredKeys: ['resource', 'actions'] },
) as fc.Arbitrary<ResourceResult>;

test('property: the text equals JSON.stringify for any response, with shared results, shared actions or neither, first use and reuse', () => {
  fc.assert(
    fc.property(text, fc.array(fc.tuple(result, fc.constantFrom('own', 'shared actions', 'shared')), { maxLength: 6 }), (requestId, parts) => {
      // a cached decision's result is shared whole, or a result of its own holds its shared actions
      const results = parts.map(([r, how]) => (how === 'shared' ? deepFreeze(r) : how === 'shared actions' ? { ...r, actions: Object.freeze(r.actions) } : r));
      const response: CheckResponse = { requestId, results };
      const expected = JSON.stringify(response);
      assert.equal(checkResponseJson(response), expected);
      // a shared result's text is reused now, also inside another response
      assert.equal(checkResponseJson(response), expected);
      // a result that is not shared may change between responses: its text is never kept
      for (const r of results) if (!Object.isFrozen(r)) r.resource.id += 'x';
      assert.equal(checkResponseJson(response), JSON.stringify(response));
      const reversed: CheckResponse = { requestId: '', results: [...results].reverse() };
      assert.equal(checkResponseJson(reversed), JSON.stringify(reversed));
    }),
    { numRuns: FUZZ_RUNS },
  );
});

test('a cached engine: every response, first seen and served from the cache, writes as JSON.stringify writes it', async () => {
  for (const name of ['abac-cel', 'outputs-schemas', 'rbac-simple']) {
    const scenario = await loadScenario(name);
    const engine = createEngine(await loadPolicySet(scenario.policyDir), { globals: scenario.globals });
    const requests = takeRequests(createRequestStream(scenario, { seed: 7, repeatShare: 0.5 }), 300);
    let shared = 0;
    for (let round = 0; round < 2; round++)
      for (const req of requests) {
        const response = engine.check({ ...req, includeMeta: round === 1 });
        shared += response.results.filter((r) => Object.isFrozen(r)).length;
        assert.equal(checkResponseJson(response), JSON.stringify(response), `${name}: ${req.requestId}`);
      }
    assert.ok(shared > 0, `${name}: some results came from the cache`);
  }
});
