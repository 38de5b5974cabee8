import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureExpression, type RequestInput } from '../../src/cel/measure.js';

const options = { seed: 1, listSize: 3, clock: () => process.hrtime.bigint(), batchNs: 20_000, batches: 1 };

function evaluate(expr: string, request: RequestInput): { result: string | null; error: string | null } {
  const m = measureExpression(expr, request, options);
  return { result: m.result, error: m.error };
}

const request: RequestInput = {
  principal: { id: 'alice', roles: ['user'], attr: { team: 'eng' } },
  resource: { kind: 'doc', id: 'd1', policyVersion: 'v2', attr: { owner: 'alice', constructor: 'x' } },
};

test('--measure evaluates against the engine\'s views of P and R: policyVersion and scope are there', () => {
  assert.deepEqual(evaluate('P.policyVersion == "default" && P.scope == "" && R.policyVersion == "v2" && R.scope == ""', request), {
    result: 'true',
    error: null,
  });
  assert.deepEqual(evaluate('request.resource.id == "d1" && request.principal.roles == ["user"]', request), { result: 'true', error: null });
});

test('--measure drops the attribute keys the engine drops (a `constructor` key), and keeps the others', () => {
  assert.deepEqual(evaluate('has(R.attr.constructor)', request), { result: 'false', error: null });
  assert.deepEqual(evaluate('R.attr.owner == P.id && P.attr.team == "eng"', request), { result: 'true', error: null });
});
