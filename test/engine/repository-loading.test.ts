// A Cerbos policy repository laid out as real ones are, loaded the way Cerbos's disk store loads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEngine, loadPolicySet } from '../../src/engine/index.js';
import { InputError } from '../../src/util/errors.js';

function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'authz-perf-repo-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const docPolicy = (resource: string, scope = ''): string =>
  `apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: ${resource}\n  version: default\n${scope ? `  scope: ${scope}\n` : ''}  rules:\n    - actions: [view]\n      effect: EFFECT_ALLOW\n      roles: [user]\n`;

test('schemas, test data, test suites and hidden files are not policies; JSON and multi-document files load', async () => {
  const dir = repo({
    '_schemas/ignored.yaml': '',
    '_schemas/doc.json': '{"type": "object"}',
    'resources/doc.yaml': docPolicy('doc'),
    'resources/scoped.yaml': `${docPolicy('doc', 'acme')}---\n${docPolicy('doc', 'acme.hr')}---\n`,
    'resources/album.json': JSON.stringify({ apiVersion: 'api.cerbos.dev/v1', resourcePolicy: { resource: 'album', version: 'default', rules: [{ actions: ['*'], effect: 'EFFECT_ALLOW', roles: ['user'] }] } }),
    'resources/doc_test.yaml': 'name: DocTests\nprincipals: {}\ntests: []\n',
    'resources/testdata/principals.yaml': 'principals:\n  alice: { id: alice, roles: [user] }\n',
    'roles/custom.yaml': 'apiVersion: api.cerbos.dev/v1\nrolePolicy:\n  role: custom\n  parentRoles: [user]\n  scope: acme\n  rules:\n    - resource: doc\n      allowActions: [view]\n',
    'principals/alice.yaml': 'apiVersion: api.cerbos.dev/v1\nprincipalPolicy:\n  principal: alice\n  version: default\n  rules:\n    - resource: album\n      actions:\n        - action: delete\n          effect: EFFECT_DENY\n',
    'old/disabled.yaml': `disabled: true\n${docPolicy('doc')}`,
    '.hidden/broken.yaml': 'not: [valid',
  });
  try {
    const set = await loadPolicySet(dir);
    assert.deepEqual(
      { resource: set.stats.resourcePolicies, principal: set.stats.principalPolicies, role: set.stats.rolePolicies },
      { resource: 4, principal: 1, role: 1 },
    );
    assert.equal(set.warnings.length, 1);
    assert.match(set.warnings[0]!, /scoped\.yaml: 2 YAML documents/);
    const engine = createEngine(set, { cache: false });
    const res = engine.check({
      principal: { id: 'alice', roles: ['custom'] },
      resources: [
        { resource: { kind: 'doc', id: 'd', scope: 'acme' }, actions: ['view'] },
        { resource: { kind: 'album', id: 'a' }, actions: ['view', 'delete'] },
      ],
    });
    assert.deepEqual(
      res.results.map((r) => r.actions),
      // the custom role allows view at acme for its parent role; at the root it is no role at all
      [{ view: 'EFFECT_ALLOW' }, { view: 'EFFECT_DENY', delete: 'EFFECT_DENY' }],
    );
    const user = engine.check({ principal: { id: 'bob', roles: ['user'] }, resources: [{ resource: { kind: 'album', id: 'a' }, actions: ['delete'] }] });
    assert.deepEqual(user.results[0]!.actions, { delete: 'EFFECT_ALLOW' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an invalid policy in the repository still stops the load at file:line:column', async () => {
  const dir = repo({ 'doc.yaml': docPolicy('doc'), 'bad.yaml': 'resourcePolicy:\n  resource: doc\n  version: v2\n  rules:\n    - actions: [view]\n      effect: EFFECT_MAYBE\n      roles: [user]\n' });
  try {
    await assert.rejects(loadPolicySet(dir), (err: unknown) => err instanceof InputError && /bad\.yaml:6:\d+: .*EFFECT_ALLOW or EFFECT_DENY/.test(err.describe()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rule outputs (when.ruleActivated / when.conditionNotMet, and the older expr form) are compiled at load; a broken one stops it', async () => {
  const output = (block: string): string =>
    `resourcePolicy:\n  resource: doc\n  version: default\n  rules:\n    - name: viewers\n      actions: [view]\n      effect: EFFECT_ALLOW\n      roles: [user]\n      output:\n${block}`;
  const good = repo({
    'doc.yaml': output(`        when:\n          ruleActivated: '{"who": P.id}'\n          conditionNotMet: '"no " + P.id'\n`),
    'alice.yaml': 'principalPolicy:\n  principal: alice\n  version: default\n  rules:\n    - resource: doc\n      actions:\n        - action: edit\n          effect: EFFECT_ALLOW\n          output:\n            expr: P.id\n',
  });
  const bad = repo({ 'doc.yaml': output(`        when:\n          ruleActivated: V.missing + 1\n`) });
  try {
    const set = await loadPolicySet(good);
    assert.deepEqual(
      set.expressions.filter((e) => e.kind === 'output').map((e) => `${e.policyName} ${e.path}`).sort(),
      [
        'principal.alice.vdefault rules[0].actions[0].output.when.ruleActivated',
        'resource.doc.vdefault rules[0].output.when.conditionNotMet',
        'resource.doc.vdefault rules[0].output.when.ruleActivated',
      ],
    );
    assert.equal(set.stats.conditions, 0);
    const res = createEngine(set, { cache: false }).check({ principal: { id: 'alice', roles: ['user'] }, resources: [{ resource: { kind: 'doc', id: 'd' }, actions: ['view', 'edit'] }] });
    assert.deepEqual(res.results[0]!.actions, { view: 'EFFECT_ALLOW', edit: 'EFFECT_ALLOW' });
    await assert.rejects(loadPolicySet(bad), (err: unknown) => err instanceof InputError && /doc\.yaml:11:\d+: unknown variable "missing"/.test(err.describe()));
  } finally {
    rmSync(good, { recursive: true, force: true });
    rmSync(bad, { recursive: true, force: true });
  }
});
