import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAgreement, compareCelEngines, forChromeGG, loadChromeGG, normaliseCelValue } from '../../src/bench/cel-engines.js';

await loadChromeGG();

const inputs = [
  { R: { attr: { owner: 'alice', age: 30, tags: ['a', 'b'] } }, P: { id: 'alice' } },
  { R: { attr: { owner: 'bob', age: 12, tags: [] } }, P: { id: 'alice' } },
];

test('normalisation makes BigInt and number, Map and object, key order compare equal', () => {
  assert.equal(normaliseCelValue(3n), normaliseCelValue(3));
  assert.equal(normaliseCelValue(new Map<string, unknown>([['b', 1n], ['a', [2n]]])), normaliseCelValue({ a: [2], b: 1 }));
  assert.equal(normaliseCelValue(-0), normaliseCelValue(0));
  assert.notEqual(normaliseCelValue(true), normaliseCelValue('true'));
});

test('both libraries agree on plain conditions, including integer results (BigInt vs number)', () => {
  for (const expr of ['R.attr.owner == P.id', 'R.attr.age >= 18 && size(R.attr.tags) > 0', 'size(R.attr.tags)']) {
    const r = checkAgreement({ conditionId: expr, expr, inputs });
    assert.deepEqual(r.parseErrors, []);
    assert.equal(r.agreements, 2, expr);
    assert.equal(r.disagreementCount, 0);
  }
});

test('a condition one library cannot evaluate is reported as a disagreement with both results', () => {
  // cel-js (ChromeGG) has no startsWith method; @marcbachmann/cel-js does
  const r = checkAgreement({ conditionId: 'starts', expr: 'R.attr.owner.startsWith("al")', inputs });
  assert.equal(r.disagreementCount, 2);
  assert.equal(r.evalErrors.chromegg, 2);
  assert.equal(r.disagreements[0]!.marcbachmann, 'true');
  assert.match(r.disagreements[0]!.chromegg, /^error: /);
});

test('a condition one library cannot parse is listed, not fatal', () => {
  const r = checkAgreement({ conditionId: 'raw', expr: 'R.attr.owner == r"alice"', inputs });
  assert.ok(r.parseErrors.length >= 1);
  assert.equal(r.disagreementCount, 0);
});

test('compareCelEngines times both libraries on the same inputs and summarises', async () => {
  const cmp = await compareCelEngines(
    [
      { conditionId: 'owner', expr: 'R.attr.owner == P.id', inputs },
      { conditionId: 'starts', expr: 'R.attr.owner.startsWith("al")', inputs },
    ],
    { timeMs: 5, iterations: 10, warmupMs: 0, warmupIterations: 0 },
  );
  assert.equal(cmp.conditions.length, 2);
  const owner = cmp.conditions[0]!;
  assert.ok(owner.marcbachmannNs! > 0 && owner.chromeggNs! > 0);
  assert.equal(owner.ratio, owner.chromeggNs! / owner.marcbachmannNs!);
  assert.equal(cmp.totalDisagreements, 2);
  assert.ok(cmp.geomeanRatio! > 0);
});

test('BigInt values the reference engine computed (variables) reach cel-js as numbers; shared objects stay shared', () => {
  const vars = { count: 4n, nested: [1n, { x: 2n }] };
  const input = { R: { attr: { n: 3 } }, V: vars, variables: vars };
  const out = forChromeGG(input);
  assert.deepEqual(out.V, { count: 4, nested: [1, { x: 2 }] });
  assert.equal(out.V, out.variables);
  assert.equal(forChromeGG(inputs[0]), inputs[0], 'unchanged without BigInt');
  const r = checkAgreement({ conditionId: 'v', expr: 'V.count <= 5', inputs: [input] });
  assert.equal(r.agreements, 1);
});
