import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RequestShapeError, toCheckRequest, parsePolicySource } from '../../src/engine/index.js';
import { parseTestSuite } from '../../src/policytest/index.js';
import { parseScenario } from '../../src/scenario/index.js';
import { InputError } from '../../src/util/errors.js';

const onlyInputErrors = (fn: () => unknown): void => {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    assert.ok(err.location.file && err.location.line && err.location.column, err.describe());
  }
};

test('toCheckRequest: any JSON value is a CheckRequest or a RequestShapeError naming a field', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      try {
        toCheckRequest(value);
      } catch (err) {
        assert.ok(err instanceof RequestShapeError, String(err));
        assert.ok(err.message.startsWith(`${err.field}: `));
      }
    }),
    { numRuns: 300 },
  );
});

const name = fc.string({ minLength: 1, maxLength: 8 });
const attrs = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
const validRequest = fc.record({
  requestId: fc.string(),
  principal: fc.record({ id: name, roles: fc.array(name, { minLength: 1, maxLength: 3 }), attr: attrs }),
  resources: fc.array(fc.record({ resource: fc.record({ kind: name, id: name, attr: attrs }), actions: fc.array(name, { minLength: 1, maxLength: 3 }) }), {
    minLength: 1,
    maxLength: 3,
  }),
});

test('toCheckRequest: valid requests keep every field', () => {
  fc.assert(
    fc.property(validRequest, (req) => {
      assert.deepEqual(toCheckRequest(JSON.parse(JSON.stringify(req))), JSON.parse(JSON.stringify(req)));
    }),
    { numRuns: 200 },
  );
});

// YAML-ish text built from fragments that appear in the real files, so the parsers get past the
// first line often enough to reach their deeper checks
const fragment = fc.constantFrom(
  'requests:', 'principals:', 'resources:', 'roles:', '- ', '  ', '    ', 'kind: doc', 'actions: [view]', 'attr:', '{ oneOf: [a, b] }',
  '{ int: [1, 2] }', 'count: 3', 'weight: -1', 'repeatShare: 0.5', 'slo:', 'p99: 5ms', 'load:', 'stages:', '- { duration: 1s, target: 2 }',
  'tests:', 'input:', 'expected:', 'principal: a', 'resource: r', 'options:', 'now: "x"', 'resourcePolicy:', 'rules:', 'effect: EFFECT_ALLOW',
  'condition:', 'match:', 'expr: R.attr.a == 1', 'all:', 'of:', '"', "'", '[', '{', ':', '\n', '#',
);
// line by line: an indent, maybe a list dash, a fragment — so the parsers see nested structure
const line = fc
  .tuple(fc.constantFrom('', '  ', '    ', '      '), fc.constantFrom('', '- '), fc.oneof({ weight: 5, arbitrary: fragment }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }))
  .map(([indent, dash, text]) => indent + dash + text);
const yamlish = fc.array(line, { maxLength: 25 }).map((lines) => lines.join('\n'));

test('scenario, test-suite and policy parsers: any text parses or is an InputError with file:line:column', () => {
  fc.assert(
    fc.property(yamlish, (text) => {
      onlyInputErrors(() => parseScenario(text, { file: '/x/scenario.yaml', dirExists: () => false }));
      onlyInputErrors(() => parseTestSuite(text, '/x/a_test.yaml'));
      onlyInputErrors(() => parsePolicySource(text, '/x/p.yaml'));
    }),
    { numRuns: 300 },
  );
});
