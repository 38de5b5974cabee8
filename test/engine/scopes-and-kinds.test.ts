// Cerbos policy kinds and scopes (docs.cerbos.dev "Scoped policies", "Scope permissions", "Role
// policies", "Principal policies"); every expectation here was also checked against Cerbos 0.55.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicySources, createEngine, type Engine, type Principal, type ResourceRef } from '../../src/engine/index.js';
import { InputError } from '../../src/util/errors.js';

function engineFor(files: Record<string, string>, options: { lenient?: boolean; globals?: Record<string, string> } = {}): Engine {
  const set = compilePolicySources(Object.entries(files).map(([file, text]) => ({ file, text })), '', { lenientScopeSearch: options.lenient });
  return createEngine(set, { cache: false, globals: options.globals });
}

function decide(engine: Engine, principal: Principal, resource: ResourceRef, actions: string[]): Record<string, string> {
  return { ...engine.check({ principal, resources: [{ resource, actions }] }).results[0]!.actions };
}

const ALLOW = 'EFFECT_ALLOW';
const DENY = 'EFFECT_DENY';

function resource(scope: string, rules: string, extra = ''): string {
  return `apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  version: default\n  resource: doc\n${scope ? `  scope: ${scope}\n` : ''}${extra}  rules:\n${rules}`;
}
const rule = (actions: string, effect: 'ALLOW' | 'DENY', roles: string, condition?: string): string =>
  `    - actions: [${actions}]\n      effect: EFFECT_${effect}\n      roles: [${roles}]\n${condition ? `      condition:\n        match:\n          expr: ${JSON.stringify(condition)}\n` : ''}`;

const chain = {
  'root.yaml': resource('', rule('view, share', 'ALLOW', 'user') + rule('edit', 'ALLOW', 'user', 'R.attr.x == 1') + rule('delete', 'DENY', 'user')),
  'a.yaml': resource('a', rule('delete', 'ALLOW', 'user') + rule('edit', 'DENY', 'user', 'R.attr.x == 3')),
  'ab.yaml': resource(
    'a.b',
    rule('view, edit, delete, approve', 'ALLOW', 'user') + rule('archive', 'DENY', 'user') + rule('cond', 'ALLOW', 'user', 'false'),
    '  scopePermissions: SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS\n',
  ),
};
const user: Principal = { id: 'u', roles: ['user'] };
const at = (scope: string | undefined, x: number): ResourceRef => ({ kind: 'doc', id: '1', scope, attr: { x } });

test('override scopes: the most specific scope that decides wins; unmet or missing rules defer to the parent', () => {
  const e = engineFor(chain);
  assert.deepEqual(decide(e, user, at('a', 1), ['view', 'edit', 'delete', 'share']), { view: ALLOW, edit: ALLOW, delete: ALLOW, share: ALLOW });
  assert.deepEqual(decide(e, user, at('a', 3), ['edit']), { edit: DENY });
  assert.deepEqual(decide(e, user, at(undefined, 1), ['delete']), { delete: DENY });
});

test('parental consent: a child ALLOW needs a parent ALLOW, a child DENY is final, an unmet child ALLOW denies', () => {
  const e = engineFor(chain);
  assert.deepEqual(decide(e, user, at('a.b', 1), ['view', 'edit', 'delete', 'approve', 'archive', 'share', 'cond', 'other']), {
    view: ALLOW, // child allows, root allows
    edit: ALLOW, // child allows, root's condition holds
    delete: ALLOW, // child allows, scope a overrides the root's deny
    approve: DENY, // no parent allows
    archive: DENY,
    share: ALLOW, // the child says nothing: the parents decide
    cond: DENY, // the child's ALLOW rule is unmet
    other: DENY,
  });
  assert.deepEqual(decide(e, user, at('a.b', 2), ['edit']), { edit: DENY });
});

test('strict scope search denies a scope without policies; lenient search uses its nearest ancestor', () => {
  assert.deepEqual(decide(engineFor(chain), user, at('a.b.c', 1), ['view']), { view: DENY });
  assert.deepEqual(decide(engineFor(chain), user, at('zz', 1), ['view']), { view: DENY });
  const lenient = engineFor(chain, { lenient: true });
  assert.deepEqual(decide(lenient, user, at('a.b.c', 1), ['view', 'approve']), { view: ALLOW, approve: DENY });
  assert.deepEqual(decide(lenient, user, at('zz', 1), ['view', 'delete']), { view: ALLOW, delete: DENY });
});

test('each role is decided down the whole chain; the action is allowed when one role is', () => {
  const e = engineFor({
    'root.yaml': resource('', rule('view, edit', 'ALLOW', 'user, other')),
    'a.yaml': resource('a', rule('view', 'DENY', 'other')),
  });
  assert.deepEqual(decide(e, { id: 'u', roles: ['user', 'other'] }, at('a', 1), ['view', 'edit']), { view: ALLOW, edit: ALLOW });
  assert.deepEqual(decide(e, { id: 'u', roles: ['other'] }, at('a', 1), ['view', 'edit']), { view: DENY, edit: ALLOW });
});

const roleRepo = {
  'root.yaml': resource('', rule('view, edit, delete, share, approve', 'ALLOW', 'user, other') + rule('archive', 'ALLOW', 'manager')),
  'a.yaml': resource('a', rule('view', 'DENY', 'other')),
  'ab.yaml': resource('a.b', rule('edit', 'DENY', 'user') + rule('archive', 'ALLOW', 'user')),
  'custom.yaml': `apiVersion: api.cerbos.dev/v1
rolePolicy:
  role: custom
  parentRoles: [user]
  scope: a.b
  rules:
    - resource: doc
      allowActions: [view, edit, archive]
    - resource: doc
      allowActions: [delete]
      condition:
        match:
          expr: R.attr.x == 1
`,
  'sub.yaml': 'rolePolicy:\n  role: sub\n  parentRoles: [custom]\n  scope: a.b\n  rules:\n    - resource: doc\n      allowActions: [view, archive, share]\n',
  'multi.yaml': 'rolePolicy:\n  role: multi\n  parentRoles: [other, manager]\n  scope: a\n  rules:\n    - resource: "*"\n      allowActions: ["*"]\n',
};

test('role policies: an allow-list at the resource scope, then the parent roles decide from that scope up', () => {
  const e = engineFor(roleRepo);
  const custom: Principal = { id: 'u', roles: ['custom'] };
  assert.deepEqual(decide(e, custom, at('a.b', 1), ['view', 'edit', 'archive', 'delete', 'share']), {
    view: ALLOW,
    edit: DENY, // listed, but the parent role user is denied at a.b
    archive: ALLOW, // listed, and user is allowed at a.b
    delete: ALLOW,
    share: DENY, // not listed
  });
  assert.deepEqual(decide(e, custom, at('a.b', 2), ['delete']), { delete: DENY });
  // custom roles narrow custom roles
  assert.deepEqual(decide(e, { id: 'u', roles: ['sub'] }, at('a.b', 1), ['view', 'edit', 'archive', 'share']), {
    view: ALLOW,
    edit: DENY,
    archive: ALLOW,
    share: DENY,
  });
  // any parent role may allow
  assert.deepEqual(decide(e, { id: 'u', roles: ['multi'] }, at('a', 1), ['view', 'edit', 'archive', 'zzz']), {
    view: DENY,
    edit: ALLOW,
    archive: ALLOW,
    zzz: DENY,
  });
  // a role policy applies at its own scope only
  assert.deepEqual(decide(e, { id: 'u', roles: ['multi'] }, at('a.b', 1), ['edit']), { edit: DENY });
  assert.deepEqual(decide(e, custom, at(undefined, 1), ['view']), { view: DENY });
  // another role of the principal is decided on its own
  assert.deepEqual(decide(e, { id: 'u', roles: ['custom', 'manager'] }, at('a.b', 2), ['archive', 'share']), { archive: ALLOW, share: DENY });
});

test('principal policies decide before resource and role policies; an unmet rule defers to them', () => {
  const e = engineFor({
    ...roleRepo,
    'alice.yaml': `principalPolicy:
  principal: alice
  version: default
  rules:
    - resource: doc
      actions:
        - action: approve
          effect: EFFECT_DENY
        - action: secret
          effect: EFFECT_ALLOW
        - action: edit
          effect: EFFECT_ALLOW
          condition:
            match:
              expr: R.attr.x == 2
`,
  });
  const alice = (roles: string[]): Principal => ({ id: 'alice', roles });
  assert.deepEqual(decide(e, alice(['user']), at(undefined, 1), ['view', 'approve', 'secret', 'edit']), {
    view: ALLOW,
    approve: DENY,
    secret: ALLOW,
    edit: ALLOW,
  });
  assert.deepEqual(decide(e, alice(['custom']), at('a.b', 1), ['secret', 'share', 'approve']), { secret: ALLOW, share: DENY, approve: DENY });
  // bob has no principal policy
  assert.deepEqual(decide(e, { id: 'bob', roles: ['user'] }, at(undefined, 1), ['approve', 'secret']), { approve: ALLOW, secret: DENY });
});

test("principal policies: the principal's scope and the resource's policy version choose them (as Cerbos 0.55 does)", () => {
  const pp = (version: string, scope: string, effect: string): string =>
    `principalPolicy:\n  principal: alice\n  version: "${version}"\n${scope ? `  scope: ${scope}\n` : ''}  rules:\n    - resource: "*"\n      actions:\n        - action: "*"\n          effect: ${effect}\n`;
  const e = engineFor({
    'root.yaml': resource('', rule('view', 'ALLOW', 'user')),
    'root-v2.yaml': resource('', rule('view', 'ALLOW', 'user')).replace('version: default', 'version: v2'),
    'v1.yaml': pp('default', '', 'EFFECT_DENY'),
    'v2.yaml': pp('v2', '', 'EFFECT_ALLOW'),
    'v2t.yaml': pp('v2', 'tenant', 'EFFECT_DENY'),
  });
  const v = (policyVersion?: string): ResourceRef => ({ kind: 'doc', id: '1', policyVersion });
  assert.deepEqual(decide(e, { id: 'alice', roles: ['user'] }, v(), ['view', 'x']), { view: DENY, x: DENY });
  assert.deepEqual(decide(e, { id: 'alice', roles: ['user'] }, v('v2'), ['view', 'x']), { view: ALLOW, x: ALLOW });
  // principal.policyVersion does not select principal policies in Cerbos 0.55
  assert.deepEqual(decide(e, { id: 'alice', roles: ['user'], policyVersion: 'v2' }, v(), ['view', 'x']), { view: DENY, x: DENY });
  assert.deepEqual(decide(e, { id: 'alice', roles: ['user'], scope: 'tenant' }, v('v2'), ['x']), { x: DENY });
  // a version without resource or principal policies decides nothing
  assert.deepEqual(decide(e, { id: 'alice', roles: ['user'] }, v('v3'), ['view', 'x']), { view: DENY, x: DENY });
});

test('a role policy makes its scope exist for the kinds it covers', () => {
  const e = engineFor({
    'root.yaml': resource('', rule('delete', 'ALLOW', 'admin')),
    'custom.yaml': 'rolePolicy:\n  role: custom\n  parentRoles: [admin]\n  scope: c\n  rules:\n    - resource: "*"\n      allowActions: [delete]\n',
  });
  assert.deepEqual(decide(e, { id: 'u', roles: ['admin'] }, { kind: 'doc', id: '1', scope: 'c' }, ['delete']), { delete: ALLOW });
  assert.deepEqual(decide(e, { id: 'u', roles: ['custom'] }, { kind: 'doc', id: '1', scope: 'c' }, ['delete', 'view']), { delete: ALLOW, view: DENY });
  assert.deepEqual(decide(e, { id: 'u', roles: ['admin'] }, { kind: 'doc', id: '1', scope: 'd' }, ['delete']), { delete: DENY });
});

test('globals and runtime.effectiveDerivedRoles are visible to conditions', () => {
  const e = engineFor(
    {
      'roles.yaml': `derivedRoles:
  name: common
  definitions:
    - name: owner
      parentRoles: [user]
      condition:
        match:
          expr: R.attr.owner == P.id
    - name: staff
      parentRoles: [employee]
`,
      'doc.yaml': `resourcePolicy:
  resource: doc
  version: default
  importDerivedRoles: [common]
  rules:
    - actions: [noop]
      effect: EFFECT_ALLOW
      derivedRoles: [owner]
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          expr: G.region == "eu" && globals.region == "eu"
    - actions: [edit]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          expr: '"owner" in runtime.effectiveDerivedRoles && !("staff" in runtime.effectiveDerivedRoles)'
`,
    },
    { globals: { region: 'eu' } },
  );
  const alice: Principal = { id: 'alice', roles: ['user'] };
  assert.deepEqual(decide(e, alice, { kind: 'doc', id: '1', attr: { owner: 'alice' } }, ['view', 'edit']), { view: ALLOW, edit: ALLOW });
  assert.deepEqual(decide(e, alice, { kind: 'doc', id: '1', attr: { owner: 'bob' } }, ['edit']), { edit: DENY });
  // staff is active but no rule of the policy names it, so Cerbos leaves it out
  assert.deepEqual(decide(e, { id: 'alice', roles: ['user', 'employee'] }, { kind: 'doc', id: '1', attr: { owner: 'alice' } }, ['edit']), { edit: ALLOW });
});

test('includeMeta names the deciding policy and scope as Cerbos does', () => {
  const e = engineFor(chain);
  const meta = e.check({ includeMeta: true, principal: user, resources: [{ resource: at('a.b', 1), actions: ['delete', 'archive', 'view'] }] }).results[0]!.meta!;
  assert.deepEqual(meta.actions, {
    delete: { matchedPolicy: 'resource.doc.vdefault/a.b', matchedScope: 'a' },
    archive: { matchedPolicy: 'resource.doc.vdefault/a.b', matchedScope: 'a.b' },
    view: { matchedPolicy: 'resource.doc.vdefault/a.b' },
  });
});

test('loading: a scoped policy needs its ancestors; scopePermissions agree within a scope', () => {
  assert.throws(
    () => engineFor({ 'root.yaml': resource('', rule('view', 'ALLOW', 'user')), 'ab.yaml': resource('a.b', rule('view', 'ALLOW', 'user')) }),
    (err: unknown) => err instanceof InputError && /no policy for its parent scope "a"/.test(err.message) && /^ab\.yaml:4:3: /.test(err.describe()),
  );
  const consent = '  scopePermissions: SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS\n';
  assert.throws(
    () =>
      engineFor({
        'root.yaml': resource('', rule('view', 'ALLOW', 'user')),
        'a.yaml': resource('a', rule('view', 'ALLOW', 'user'), consent),
        'p.yaml': 'principalPolicy:\n  principal: x\n  version: default\n  scope: a\n  rules: []\n',
        'p0.yaml': 'principalPolicy:\n  principal: x\n  version: default\n  rules: []\n',
      }),
    /scopePermissions differ/,
  );
});

test('loading: disabled policies, the deprecated top-level variables, test suites and JSON policies', () => {
  const e = engineFor({
    'doc.json': JSON.stringify({
      apiVersion: 'api.cerbos.dev/v1',
      variables: { is_owner: 'R.attr.owner == P.id' },
      resourcePolicy: { resource: 'doc', version: 'default', rules: [{ actions: ['edit'], effect: 'EFFECT_ALLOW', roles: ['user'], condition: { match: { expr: 'V.is_owner' } } }] },
    }),
    'off.yaml': `disabled: true\n${resource('', rule('"*"', 'ALLOW', 'user')).replace('resource: doc', 'resource: other')}`,
    'doc_test.yaml': 'name: suite\ntests: []\n',
  });
  const alice: Principal = { id: 'alice', roles: ['user'] };
  assert.deepEqual(decide(e, alice, { kind: 'doc', id: '1', attr: { owner: 'alice' } }, ['edit']), { edit: ALLOW });
  assert.deepEqual(decide(e, alice, { kind: 'other', id: '1' }, ['view']), { view: DENY });
});
