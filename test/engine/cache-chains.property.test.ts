// The decision cache over every policy kind: scopes, versions, principal and role policies,
// derived roles read through runtime.effectiveDerivedRoles. A cached engine must answer exactly
// what an uncached one does, whatever sequence of requests it has seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compilePolicySources, createEngine, type CheckRequest } from '../../src/engine/index.js';

const policies: Record<string, string> = {
  'roles.yaml': `derivedRoles:
  name: common
  definitions:
    - name: owner
      parentRoles: [user, custom]
      condition:
        match:
          expr: R.attr.owner == P.id
`,
  'root.yaml': `resourcePolicy:
  resource: doc
  version: default
  importDerivedRoles: [common]
  rules:
    - actions: [view, edit]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          expr: R.attr.level <= P.attr.level
    - actions: [delete]
      effect: EFFECT_ALLOW
      derivedRoles: [owner]
    - actions: [audit]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          expr: '"owner" in runtime.effectiveDerivedRoles'
`,
  'v2.yaml': `resourcePolicy:
  resource: doc
  version: v2
  rules:
    - actions: ["*"]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          expr: R.attr.level < 2
`,
  'a.yaml': `resourcePolicy:
  resource: doc
  version: default
  scope: a
  scopePermissions: SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS
  rules:
    - actions: [view, delete]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          expr: R.attr.owner != "nobody"
    - actions: [edit]
      effect: EFFECT_DENY
      roles: [user]
      condition:
        match:
          expr: P.attr.level < 1
`,
  'custom.yaml': `rolePolicy:
  role: custom
  parentRoles: [user]
  scope: a
  rules:
    - resource: doc
      allowActions: [view, delete]
      condition:
        match:
          expr: P.attr.tier == "gold"
`,
  'alice.yaml': `principalPolicy:
  principal: alice
  version: default
  rules:
    - resource: doc
      actions:
        - action: edit
          effect: EFFECT_DENY
          condition:
            match:
              expr: R.attr.flag == true
`,
};
const set = compilePolicySources(Object.entries(policies).map(([file, text]) => ({ file, text })));

// small alphabets, so a sequence often repeats a cache key with other attribute values
const requestArb: fc.Arbitrary<CheckRequest> = fc.record({
  id: fc.constantFrom('alice', 'bob'),
  roles: fc.constantFrom(['user'], ['custom'], ['custom', 'user']),
  level: fc.integer({ min: 0, max: 1 }),
  owner: fc.constantFrom('alice', 'bob', 'nobody'),
  rlevel: fc.integer({ min: 0, max: 1 }),
  flag: fc.boolean(),
  tier: fc.constantFrom('gold', 'silver'),
  scope: fc.constantFrom(undefined, 'a', 'a.b'),
  version: fc.constantFrom(undefined, 'v2'),
  actions: fc.constantFrom(['view'], ['edit'], ['delete'], ['audit'], ['view', 'edit', 'delete', 'audit']),
}).map((r) => ({
  principal: { id: r.id, roles: [...r.roles], attr: { level: r.level, tier: r.tier } },
  resources: [{ resource: { kind: 'doc', id: 'd1', scope: r.scope, policyVersion: r.version, attr: { owner: r.owner, level: r.rlevel, flag: r.flag } }, actions: [...r.actions] }],
}));

test('cache: a cached engine decides every request sequence exactly as an uncached one', () => {
  fc.assert(
    fc.property(fc.array(requestArb, { minLength: 10, maxLength: 60 }), (requests) => {
      const cached = createEngine(set, { cache: { maxEntries: 64, ttlMs: 60_000 } });
      const uncached = createEngine(set, { cache: false });
      for (const r of requests) {
        // twice: the second answer is the cached one
        for (let i = 0; i < 2; i++) assert.deepEqual(cached.check(r).results[0]!.actions, uncached.check(r).results[0]!.actions);
      }
    }),
    { numRuns: 400 },
  );
});

test('cache: the key covers what principal policies, role policies and runtime.effectiveDerivedRoles read', () => {
  const twice = (requests: CheckRequest[]): void => {
    const cached = createEngine(set, { cache: { maxEntries: 64, ttlMs: 60_000 } });
    const uncached = createEngine(set, { cache: false });
    for (const r of requests) assert.deepEqual(cached.check(r).results[0]!.actions, uncached.check(r).results[0]!.actions);
    assert.ok(cached.cacheStats().misses >= 2);
  };
  const req = (id: string, roles: string[], actions: string[], attr: Record<string, string | number | boolean>, pattr: Record<string, string | number>, scope?: string): CheckRequest => ({
    principal: { id, roles, attr: pattr },
    resources: [{ resource: { kind: 'doc', id: 'd1', scope, attr }, actions }],
  });
  // alice's principal policy reads R.attr.flag, which no resource rule reads
  twice([req('alice', ['user'], ['edit'], { level: 0, flag: true }, { level: 1 }), req('alice', ['user'], ['edit'], { level: 0, flag: false }, { level: 1 })]);
  // the custom role's policy reads P.attr.tier
  twice([req('bob', ['custom'], ['view'], { owner: 'bob', level: 0 }, { level: 1, tier: 'gold' }, 'a'), req('bob', ['custom'], ['view'], { owner: 'bob', level: 0 }, { level: 1, tier: 'silver' }, 'a')]);
  // `audit` reads runtime.effectiveDerivedRoles, so the owner derived role's R.attr.owner
  twice([req('bob', ['user'], ['audit'], { owner: 'bob' }, {}), req('bob', ['user'], ['audit'], { owner: 'alice' }, {})]);
});
