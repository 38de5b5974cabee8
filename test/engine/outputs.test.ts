// Rule outputs as Cerbos 0.55 returns them (checked against the binary): per action, every rule the
// deciding walk evaluates adds `{src, val, action}`, ruleActivated when its condition holds,
// conditionNotMet when not; roles after the one that allows are not evaluated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicySources, createEngine, type CheckRequest } from '../../src/engine/index.js';

const files = {
  'doc.yaml': `resourcePolicy:
  resource: doc
  version: default
  rules:
    - name: viewers
      actions: [view, edit]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          expr: R.attr.x == 1
      output:
        when:
          ruleActivated: '{"who": P.id, "x": R.attr.x}'
          conditionNotMet: '"no x for " + P.id'
    - actions: [edit]
      effect: EFFECT_DENY
      roles: [user]
      output:
        expr: '"edit denied"'
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [admin]
      output:
        when:
          ruleActivated: '1 + 1'
`,
  'alice.yaml': `principalPolicy:
  principal: alice
  version: default
  rules:
    - resource: doc
      actions:
        - action: edit
          effect: EFFECT_ALLOW
          condition:
            match:
              expr: R.attr.x == 1
          output:
            when:
              ruleActivated: '"alice edits"'
              conditionNotMet: '"alice may not edit"'
`,
};
const set = compilePolicySources(Object.entries(files).map(([file, text]) => ({ file, text })));
const request = (id: string, roles: string[], x: number, actions: string[]): CheckRequest => ({ principal: { id, roles }, resources: [{ resource: { kind: 'doc', id: 'd', attr: { x } }, actions }] });

test('outputs: resource and principal rules, activated or not, in the order Cerbos evaluates them', () => {
  const e = createEngine(set, { cache: false });
  assert.deepEqual(e.check(request('alice', ['user'], 1, ['view', 'edit'])).results[0]!.outputs, [
    { src: 'resource.doc.vdefault#viewers', val: { who: 'alice', x: 1 }, action: 'view' },
    { src: 'principal.alice.vdefault#doc_rule-001', val: 'alice edits', action: 'edit' },
  ]);
  assert.deepEqual(e.check(request('alice', ['user'], 2, ['view', 'edit'])).results[0]!.outputs, [
    { src: 'resource.doc.vdefault#viewers', val: 'no x for alice', action: 'view' },
    { src: 'principal.alice.vdefault#doc_rule-001', val: 'alice may not edit', action: 'edit' },
    { src: 'resource.doc.vdefault#viewers', val: 'no x for alice', action: 'edit' },
    { src: 'resource.doc.vdefault#rule-002', val: 'edit denied', action: 'edit' },
  ]);
  // bob: user's rule runs and does not decide view, then admin's allows it (an int, as JSON)
  assert.deepEqual(e.check(request('bob', ['user', 'admin'], 2, ['view'])).results[0]!.outputs, [
    { src: 'resource.doc.vdefault#viewers', val: 'no x for bob', action: 'view' },
    { src: 'resource.doc.vdefault#rule-003', val: 2, action: 'view' },
  ]);
  // admin allows first: user's rules are not evaluated
  assert.deepEqual(e.check(request('bob', ['admin', 'user'], 1, ['view'])).results[0]!.outputs, [{ src: 'resource.doc.vdefault#rule-003', val: 2, action: 'view' }]);
  // no rule with an output runs: no outputs field
  assert.equal(e.check(request('bob', ['guest'], 1, ['view'])).results[0]!.outputs, undefined);
});

test('outputs: a cached decision carries the outputs of the request it was decided for', () => {
  const cached = createEngine(set, { cache: { maxEntries: 100, ttlMs: 60_000 } });
  const uncached = createEngine(set, { cache: false });
  for (const r of [request('alice', ['user'], 1, ['view', 'edit']), request('carol', ['user'], 1, ['view', 'edit']), request('alice', ['user'], 1, ['view', 'edit']), request('carol', ['user'], 1, ['view', 'edit'])]) {
    assert.deepEqual(cached.check(r).results[0]!.outputs, uncached.check(r).results[0]!.outputs);
  }
  assert.ok(cached.cacheStats().hits >= 2);
});
