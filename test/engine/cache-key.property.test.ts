import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { compilePolicySources, createEngine, type AttrValue, type CheckRequest } from '../../src/engine/index.js';

// `view` reads R.attr.a, R.attr.b, P.attr.x and P.id; `edit` also reads R.attr.c. Nothing reads `noise`.
const set = compilePolicySources([
  {
    file: 'doc.yaml',
    text: `
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [user]
      condition: { match: { any: { of: [ { expr: R.attr.a == P.attr.x }, { expr: R.attr.b == P.id } ] } } }
    - actions: [edit]
      effect: EFFECT_ALLOW
      roles: [user]
      condition: { match: { expr: R.attr.c == P.attr.x } }
`,
  },
]);

// values that a string key could confuse: -0/0, 0/"0"/false, null/missing, []/{}, separators
const tricky = fc.constantFrom<AttrValue | undefined>(0, -0, '0', false, null, undefined, [], {}, '', '\u0000', '\u0001a', 'a\u0000', [0], ['0'], { a: 0 }, { a: '0' });
const value = fc.oneof(tricky, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<AttrValue>);

interface Shape {
  id: string;
  x: AttrValue | undefined;
  a: AttrValue | undefined;
  b: AttrValue | undefined;
  c: AttrValue | undefined;
  noise: AttrValue | undefined;
}
const shape = fc.record<Shape>({ id: fc.constantFrom('u1', 'u2', '0'), x: value, a: value, b: value, c: value, noise: value });

function attrs(entries: Record<string, AttrValue | undefined>): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) out[k] = v;
  return out;
}

function request(s: Shape, actions: string[]): CheckRequest {
  return {
    principal: { id: s.id, roles: ['user'], attr: attrs({ x: s.x, noise: s.noise }) },
    resources: [{ resource: { kind: 'doc', id: 'd', attr: attrs({ a: s.a, b: s.b, c: s.c, noise: s.noise }) }, actions }],
  };
}

const READ_BY_VIEW = ['id', 'x', 'a', 'b'] as const;

test('cache key: requests differing in an attribute the checked actions read never share an entry', () => {
  fc.assert(
    fc.property(shape, fc.constantFrom(...READ_BY_VIEW), value, (base, field, other) => {
      const changed = { ...base, [field]: field === 'id' ? `${base.id}'` : other };
      fc.pre(!isDeepStrictEqual(base[field], changed[field]));
      const e = createEngine(set);
      e.check(request(base, ['view']));
      e.check(request(changed, ['view']));
      assert.equal(e.cacheStats().hits, 0, `${field}: ${JSON.stringify(base[field])} vs ${JSON.stringify(changed[field])}`);
    }),
    { numRuns: 400 },
  );
});

test('cache key: requests differing only in attributes no checked rule reads share one entry', () => {
  fc.assert(
    fc.property(shape, value, value, (base, noise, c) => {
      const e = createEngine(set);
      const first = e.check(request(base, ['view']));
      // noise is never read; c is read only by edit rules
      const second = e.check(request({ ...base, noise, c }, ['view']));
      assert.equal(e.cacheStats().hits, 1);
      assert.deepEqual(second.results, first.results);
    }),
    { numRuns: 300 },
  );
});

test('cache key: a cached engine answers every request sequence exactly like an uncached one', () => {
  const actions = fc.constantFrom<string[]>(['view'], ['edit'], ['view', 'edit'], ['edit', 'view'], ['other']);
  fc.assert(
    fc.property(fc.array(fc.tuple(shape, actions), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (reqs, repeats) => {
      const cached = createEngine(set, { cache: { maxEntries: 4, ttlMs: 60_000 } });
      const plain = createEngine(set, { cache: false });
      const order = [...reqs.keys(), ...repeats.map((n) => n % reqs.length)];
      for (const i of order) {
        const [s, acts] = reqs[i]!;
        assert.deepEqual(cached.check(request(s, acts)), plain.check(request(s, acts)));
      }
    }),
    { numRuns: 200 },
  );
});

test('cache key: a caller mutating its request after a check cannot change what the entry matches', () => {
  const e = createEngine(set);
  const list: AttrValue[] = ['p'];
  const req: CheckRequest = {
    principal: { id: 'u1', roles: ['user'], attr: { x: list } },
    resources: [{ resource: { kind: 'doc', id: 'd', attr: { a: ['p'] } }, actions: ['view'] }],
  };
  assert.equal(e.check(req).results[0]!.actions.view, 'EFFECT_ALLOW');
  list.push('q'); // P.attr.x is now ['p', 'q'] != R.attr.a
  assert.equal(e.check(req).results[0]!.actions.view, 'EFFECT_DENY');
  assert.equal(e.cacheStats().hits, 0);
});

test('cache key: attribute maps with a polluted Object.prototype are still read as own values', () => {
  const e = createEngine(set);
  const ask = (attr: Record<string, AttrValue>): string =>
    e.check({ principal: { id: 'u1', roles: ['user'], attr: { x: 'v' } }, resources: [{ resource: { kind: 'doc', id: 'd', attr }, actions: ['view'] }] }).results[0]!
      .actions.view!;
  const proto = Object.prototype as Record<string, unknown>;
  proto.a = 'v';
  try {
    // CEL reads own attributes only: the inherited `a` is not there, so no rule allows
    assert.equal(ask({}), 'EFFECT_DENY');
    assert.equal(ask({ a: 'v' }), 'EFFECT_ALLOW');
    assert.equal(ask({}), 'EFFECT_DENY');
  } finally {
    delete proto.a;
  }
});
