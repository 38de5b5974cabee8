import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicySources, createEngine, type Attributes } from '../../src/engine/index.js';

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
      condition: { match: { expr: R.attr.owner == P.id && R.attr.meta.level > 1 } }
`,
  },
]);

test('a non-enumerable own `constructor` (in-process callers) is still kept from cel-js', () => {
  const meta = { level: 3 };
  Object.defineProperty(meta, 'constructor', { value: 'x', enumerable: false });
  const attr = { owner: 'alice', meta } as unknown as Attributes;
  Object.defineProperty(attr, 'constructor', { value: 'y', enumerable: false });
  for (const cache of [false, undefined] as const) {
    const e = createEngine(set, cache === false ? { cache: false } : {});
    const r = e.check({ principal: { id: 'alice', roles: ['user'] }, resources: [{ resource: { kind: 'doc', id: 'd', attr }, actions: ['view'] }] });
    assert.equal(r.results[0]!.actions.view, 'EFFECT_ALLOW');
  }
});

test('null-prototype attribute maps evaluate like plain ones', () => {
  const attr = Object.assign(Object.create(null) as Record<string, unknown>, { owner: 'alice', meta: { level: 2 } }) as Attributes;
  const e = createEngine(set, { cache: false });
  const r = e.check({ principal: { id: 'alice', roles: ['user'] }, resources: [{ resource: { kind: 'doc', id: 'd', attr }, actions: ['view'] }] });
  assert.equal(r.results[0]!.actions.view, 'EFFECT_ALLOW');
});
