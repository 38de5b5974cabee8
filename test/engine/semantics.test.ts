import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicySources, createEngine, type CheckRequest, type Engine, type Principal, type ResourceRef } from '../../src/engine/index.js';

function engineFor(files: Record<string, string>, now?: () => number): Engine {
  const set = compilePolicySources(Object.entries(files).map(([file, text]) => ({ file, text })));
  return createEngine(set, now ? { cache: false, now } : { cache: false });
}

function decide(engine: Engine, principal: Principal, resource: ResourceRef, actions: string[]): Record<string, string> {
  return { ...engine.check({ requestId: 't', principal, resources: [{ resource, actions }] }).results[0]!.actions };
}

const user = (roles: string[], attr: Principal['attr'] = {}, id = 'alice'): Principal => ({ id, roles, attr });
const doc = (attr: ResourceRef['attr'] = {}, id = 'd1'): ResourceRef => ({ kind: 'doc', id, attr });

const rolesPolicy = `
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: ["*"]
      effect: EFFECT_ALLOW
      roles: [admin]
    - actions: [view, "view:*"]
      effect: EFFECT_ALLOW
      roles: [reader, writer]
    - actions: [edit, delete]
      effect: EFFECT_ALLOW
      roles: [writer]
    - actions: [delete]
      effect: EFFECT_DENY
      roles: [writer]
    - actions: ["*"]
      effect: EFFECT_DENY
      roles: [banned]
    - actions: ["export:*:csv"]
      effect: EFFECT_ALLOW
      roles: [reader]
`;

test('DENY beats ALLOW for a role; ALLOW if any role allows; no rule → DENY', () => {
  const e = engineFor({ 'doc.yaml': rolesPolicy });
  assert.deepEqual(decide(e, user(['writer']), doc(), ['view', 'edit', 'delete', 'publish']), {
    view: 'EFFECT_ALLOW',
    edit: 'EFFECT_ALLOW',
    delete: 'EFFECT_DENY',
    publish: 'EFFECT_DENY',
  });
  // banned is denied everything, but the writer role still allows its actions
  assert.deepEqual(decide(e, user(['banned']), doc(), ['view']), { view: 'EFFECT_DENY' });
  assert.deepEqual(decide(e, user(['banned', 'writer']), doc(), ['view', 'delete']), { view: 'EFFECT_ALLOW', delete: 'EFFECT_DENY' });
  assert.deepEqual(decide(e, user(['nobody']), doc(), ['view']), { view: 'EFFECT_DENY' });
  // unknown kind or version → DENY
  assert.deepEqual(decide(e, user(['admin']), { kind: 'other', id: 'x' }, ['view']), { view: 'EFFECT_DENY' });
  assert.deepEqual(decide(e, user(['admin']), { kind: 'doc', id: 'x', policyVersion: '2' }, ['view']), { view: 'EFFECT_DENY' });
});

test('wildcards: * matches every action, view:* one segment after view:', () => {
  const e = engineFor({ 'doc.yaml': rolesPolicy });
  assert.deepEqual(decide(e, user(['admin']), doc(), ['anything', 'a:b:c']), { anything: 'EFFECT_ALLOW', 'a:b:c': 'EFFECT_ALLOW' });
  assert.deepEqual(decide(e, user(['reader']), doc(), ['view', 'view:summary', 'viewer', 'views', 'edit']), {
    view: 'EFFECT_ALLOW',
    'view:summary': 'EFFECT_ALLOW',
    viewer: 'EFFECT_DENY',
    views: 'EFFECT_DENY',
    edit: 'EFFECT_DENY',
  });
  assert.deepEqual(decide(e, user(['reader']), doc(), ['export:q3:csv', 'export:q3:pdf', 'export:a:b:csv']), {
    'export:q3:csv': 'EFFECT_ALLOW',
    'export:q3:pdf': 'EFFECT_DENY',
    'export:a:b:csv': 'EFFECT_DENY',
  });
});

test('all / any / none nest', () => {
  const e = engineFor({
    'doc.yaml': `
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: [go]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          all:
            of:
              - expr: R.attr.a == 1
              - any:
                  of:
                    - expr: R.attr.b == 1
                    - none:
                        of:
                          - expr: R.attr.c == 1
                          - expr: R.attr.d == 1
`,
  });
  const go = (attr: Record<string, number>): string => decide(e, user(['user']), doc(attr), ['go'])['go']!;
  assert.equal(go({ a: 1, b: 1, c: 1, d: 1 }), 'EFFECT_ALLOW');
  assert.equal(go({ a: 1, b: 0, c: 0, d: 0 }), 'EFFECT_ALLOW');
  assert.equal(go({ a: 1, b: 0, c: 1, d: 0 }), 'EFFECT_DENY');
  assert.equal(go({ a: 1, b: 0, c: 0, d: 1 }), 'EFFECT_DENY');
  assert.equal(go({ a: 0, b: 1, c: 0, d: 0 }), 'EFFECT_DENY');
});

test('aliases P/R/V/C and the long forms are the same values', () => {
  const forms = [
    ['P.id == R.attr.owner', 'request.principal.id == request.resource.attr.owner'],
    ['V.limit == 10', 'variables.limit == 10'],
    ['C.max == 5', 'constants.max == 5'],
    ['R.id == "d1" && R.kind == "doc"', 'request.resource.id == "d1" && request.resource.kind == "doc"'],
    ['"admin" in P.roles || P.attr.level > 2', '"admin" in request.principal.roles || request.principal.attr.level > 2'],
  ];
  for (const pair of forms) {
    const results = pair.map((expr) => {
      const e = engineFor({
        'doc.yaml': `
resourcePolicy:
  resource: doc
  version: default
  constants: { local: { max: 5 } }
  variables: { local: { limit: "5 * 2" } }
  rules:
    - actions: [go]
      effect: EFFECT_ALLOW
      roles: [user]
      condition: { match: { expr: '${expr}' } }
`,
      });
      return [
        decide(e, user(['user'], { level: 3 }), doc({ owner: 'alice' }), ['go'])['go'],
        decide(e, user(['user'], { level: 1 }, 'bob'), doc({ owner: 'alice' }, 'd2'), ['go'])['go'],
      ];
    });
    assert.deepEqual(results[0], results[1], pair[0]);
    assert.ok(results[0]!.includes('EFFECT_ALLOW'), `${pair[0]} allows the first request`);
  }
});

const derived = {
  'roles.yaml': `
derivedRoles:
  name: common
  definitions:
    - name: owner
      parentRoles: [user]
      condition: { match: { expr: R.attr.owner == P.id } }
    - name: any_staff
      parentRoles: ["*"]
      condition: { match: { expr: P.attr.staff == true } }
    - name: plain_manager
      parentRoles: [manager]
`,
  'doc.yaml': `
resourcePolicy:
  resource: doc
  version: default
  importDerivedRoles: [common]
  variables:
    local:
      is_open: R.attr.status == "open"
  rules:
    - actions: [edit]
      effect: EFFECT_ALLOW
      derivedRoles: [owner]
      condition: { match: { expr: V.is_open } }
    - actions: [view]
      effect: EFFECT_ALLOW
      derivedRoles: [any_staff, plain_manager]
`,
};

test('derived roles: parent role plus condition; variables feed conditions', () => {
  const e = engineFor(derived);
  assert.equal(decide(e, user(['user']), doc({ owner: 'alice', status: 'open' }), ['edit'])['edit'], 'EFFECT_ALLOW');
  assert.equal(decide(e, user(['user']), doc({ owner: 'alice', status: 'closed' }), ['edit'])['edit'], 'EFFECT_DENY');
  assert.equal(decide(e, user(['user']), doc({ owner: 'bob', status: 'open' }), ['edit'])['edit'], 'EFFECT_DENY');
  assert.equal(decide(e, user(['guest']), doc({ owner: 'alice', status: 'open' }), ['edit'])['edit'], 'EFFECT_DENY', 'parent role required');
  assert.equal(decide(e, user(['guest'], { staff: true }), doc(), ['view'])['view'], 'EFFECT_ALLOW', 'parentRoles * matches any role');
  assert.equal(decide(e, user(['guest'], { staff: false }), doc(), ['view'])['view'], 'EFFECT_DENY');
  assert.equal(decide(e, user(['manager']), doc(), ['view'])['view'], 'EFFECT_ALLOW', 'unconditional derived role');
});

test('now() reads the engine clock', () => {
  const policy = {
    'doc.yaml': `
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: [go]
      effect: EFFECT_ALLOW
      roles: [user]
      condition: { match: { expr: now().getHours() >= 9 && now().getHours() < 17 } }
`,
  };
  const at = (iso: string): string => decide(engineFor(policy, () => Date.parse(iso)), user(['user']), doc(), ['go'])['go']!;
  assert.equal(at('2024-01-01T10:00:00Z'), 'EFFECT_ALLOW');
  assert.equal(at('2024-01-01T20:00:00Z'), 'EFFECT_DENY');
});

test('attributes named __proto__, constructor, prototype change no prototype and no decision', () => {
  const e = engineFor(derived);
  const base: CheckRequest = {
    principal: user(['user', 'guest'], { staff: false }),
    resources: [
      { resource: doc({ owner: 'bob', status: 'closed' }), actions: ['edit', 'view'] },
      { resource: doc({ owner: 'alice', status: 'open' }, 'd2'), actions: ['edit', 'view'] },
    ],
  };
  const expected = e.check(base).results.map((r) => ({ ...r.actions }));
  const hostile = [
    '{"__proto__": {"owner": "alice", "status": "open", "staff": true}}',
    '{"constructor": {"prototype": {"owner": "alice", "staff": true}}}',
    '{"prototype": {"owner": "alice", "staff": true}}',
  ];
  for (const json of hostile) {
    // in every attr map (principal and resources); JSON.parse keeps "__proto__" as an own key, as the server receives it
    const req = JSON.parse(
      JSON.stringify(base).replace(/"attr":\{/g, `"attr":{${json.slice(1, -1)},`),
    ) as CheckRequest;
    assert.ok(Object.prototype.hasOwnProperty.call(req.resources[0]!.resource.attr, Object.keys(JSON.parse(json) as object)[0]!));
    assert.deepEqual(e.check(req).results.map((r) => ({ ...r.actions })), expected, json);
  }
  const probe: Record<string, unknown> = {};
  assert.equal(probe['owner'], undefined);
  assert.equal(probe['staff'], undefined);
  assert.equal(Object.getPrototypeOf(probe), Object.prototype);
  // an action named __proto__ is an ordinary key in the response
  const r = e.check({ principal: user(['user']), resources: [{ resource: doc(), actions: ['__proto__', 'view'] }] });
  assert.deepEqual(Object.keys(r.results[0]!.actions), ['__proto__', 'view']);
  assert.equal(Object.getPrototypeOf(r.results[0]!.actions), Object.prototype);
});

test('nested maps with a "constructor" key still evaluate', () => {
  const e = engineFor({
    'doc.yaml': `
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: [go]
      effect: EFFECT_ALLOW
      roles: [user]
      condition: { match: { expr: 'R.attr.meta.level > 2 && R.attr.items.exists(i, i.ok)' } }
`,
  });
  const attr = JSON.parse('{"meta": {"level": 3, "constructor": "x"}, "items": [{"ok": true, "__proto__": {"ok": false}, "prototype": 1}]}') as ResourceRef['attr'];
  assert.equal(decide(e, user(['user']), doc(attr), ['go'])['go'], 'EFFECT_ALLOW');
  assert.equal((attr!['meta'] as Record<string, unknown>)['constructor'], 'x', 'the request itself is not modified');
});

test('variables are per principal/resource pair: a value or a failure of one pair never reaches the next', () => {
  const policy = `
resourcePolicy:
  resource: doc
  version: default
  variables:
    local:
      mine: R.attr.owner == P.id
      big: R.attr.size > 10.0
  rules:
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [user]
      condition: { match: { expr: V.mine } }
    - actions: [resize]
      effect: EFFECT_ALLOW
      roles: [user]
      condition: { match: { expr: V.big } }
`;
  const engine = engineFor({ 'doc.yaml': policy });
  const alice = user(['user']);
  const resources = [
    { resource: doc({ owner: 'alice', size: 20 }, 'a'), actions: ['view', 'resize'] },
    // no size: `big` fails for this pair only
    { resource: doc({ owner: 'bob' }, 'b'), actions: ['view', 'resize'] },
    { resource: doc({ owner: 'alice', size: 5 }, 'c'), actions: ['view', 'resize'] },
    { resource: doc({ owner: 'carol', size: 50 }, 'd'), actions: ['view', 'resize'] },
  ];
  const expected = [
    { view: 'EFFECT_ALLOW', resize: 'EFFECT_ALLOW' },
    { view: 'EFFECT_DENY', resize: 'EFFECT_DENY' },
    { view: 'EFFECT_ALLOW', resize: 'EFFECT_DENY' },
    { view: 'EFFECT_DENY', resize: 'EFFECT_ALLOW' },
  ];
  for (let round = 0; round < 2; round++) {
    const batch = engine.check({ requestId: 'b', principal: alice, resources });
    assert.deepEqual(batch.results.map((r) => ({ ...r.actions })), expected, `one request, round ${round}`);
    // the same pairs one request at a time, in reverse order, on the same engine
    for (let i = resources.length - 1; i >= 0; i--) assert.deepEqual(decide(engine, alice, resources[i]!.resource, ['view', 'resize']), expected[i], `alone: ${resources[i]!.resource.id}`);
  }
  // traceCheck builds its own activations and agrees
  assert.deepEqual(engine.traceCheck({ requestId: 't', principal: alice, resources }).response.results.map((r) => ({ ...r.actions })), expected);
});
