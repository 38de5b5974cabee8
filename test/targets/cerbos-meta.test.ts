/**
 * includeMeta against the real Cerbos PDP: matchedPolicy / matchedScope per action and
 * effectiveDerivedRoles (compared as a set: Cerbos's order is not the definition order) on the
 * bundled scenarios where our engine answers as Cerbos does, on hand-written role and scoped
 * policies, and principal-policy names as Cerbos writes them. Skipped (one line) without a
 * runnable Cerbos binary.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEngine, loadPolicySet, type CheckRequest, type Engine } from '../../src/engine/index.js';
import { canonicalJson } from '../../src/policytest/index.js';
import { principalPolicyMetaName } from '../../src/engine/meta.js';
import { createRequestStream, loadScenario, takeRequests, type Scenario } from '../../src/scenario/index.js';
import { findCerbos, startCerbos, type RunningCerbos } from '../../src/targets/cerbos.js';
import { cerbosOptionsFor } from '../../src/targets/scenario-cerbos.js';

const lookup = await findCerbos();
const skip = lookup.found ? false : `Cerbos binary not available (${lookup.reason})`;

type Meta = { actions: Record<string, unknown>; effectiveDerivedRoles?: string[] } | undefined;
const normal = (m: Meta): string => canonicalJson(m?.effectiveDerivedRoles ? { ...m, effectiveDerivedRoles: [...m.effectiveDerivedRoles].sort() } : (m ?? null));

for (const name of ['abac-cel', 'rbac-simple', 'heavy-cel', 'multi-tenant']) {
  describe(`includeMeta on ${name}: the same meta as Cerbos`, { skip }, () => {
    let scenario: Scenario;
    let engine: Engine;
    let cerbos: RunningCerbos | undefined;
    before(async () => {
      scenario = await loadScenario(name);
      engine = createEngine(await loadPolicySet(scenario.policyDir), { cache: { maxEntries: 1000, ttlMs: 60_000 }, globals: scenario.globals });
      cerbos = await startCerbos(cerbosOptionsFor(scenario));
    });
    after(async () => {
      await cerbos?.stop();
    });

    test('300 requests of the seeded stream, cached and uncached', async () => {
      const requests: CheckRequest[] = takeRequests(createRequestStream(scenario, { seed: 5 }), 300).map((r) => ({ ...r, includeMeta: true }));
      let compared = 0;
      let derived = 0;
      for (const req of requests) {
        const theirs = (await (await fetch(`${cerbos!.httpUrl}/api/check/resources`, { method: 'POST', body: JSON.stringify(req) })).json()) as { results: Array<{ meta: Meta }> };
        for (const ours of [engine.check(req), engine.check(req)]) {
          ours.results.forEach((r, i) => {
            assert.equal(normal(r.meta as Meta), normal(theirs.results[i]!.meta), `request ${req.requestId} resource ${i}`);
            compared++;
            if (r.meta?.effectiveDerivedRoles) derived++;
          });
        }
      }
      assert.ok(compared > 300);
      if (name === 'abac-cel' || name === 'multi-tenant') assert.ok(derived > 0, `${name} activates derived roles`);
    });
  });
}

// A custom role with role policies at the root and at scope a (parent role base), resource
// policies at the root, a and a.b; every derived role is always active, so only the scopes the
// check reaches and the roles matched against parentRoles decide which are reported.
const ROLE_SCOPE_POLICIES: Record<string, string> = {
  'dr.yaml': `apiVersion: api.cerbos.dev/v1
derivedRoles:
  name: dr
  definitions:
    - { name: via_parent, parentRoles: [base], condition: { match: { expr: "true" } } }
    - { name: via_custom, parentRoles: [custom], condition: { match: { expr: "true" } } }
`,
  'root_dr.yaml': `apiVersion: api.cerbos.dev/v1
derivedRoles:
  name: root_dr
  definitions:
    - { name: at_root, parentRoles: [custom, base], condition: { match: { expr: "true" } } }
`,
  'doc.yaml': `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: doc
  importDerivedRoles: [root_dr]
  rules:
    - { actions: [view], effect: EFFECT_ALLOW, roles: [base] }
    - { actions: [comment], effect: EFFECT_ALLOW, derivedRoles: [at_root] }
`,
  'doc_a.yaml': `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  scope: a
  resource: doc
  importDerivedRoles: [dr]
  rules:
    - { actions: [comment], effect: EFFECT_ALLOW, derivedRoles: [via_parent, via_custom] }
`,
  'doc_a_b.yaml': `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  scope: a.b
  resource: doc
  rules:
    - { actions: [view], effect: EFFECT_ALLOW, roles: [custom] }
`,
  'custom.yaml': `apiVersion: api.cerbos.dev/v1
rolePolicy:
  role: custom
  parentRoles: [base]
  rules:
    - { resource: doc, allowActions: [view, comment] }
`,
  'custom_a.yaml': `apiVersion: api.cerbos.dev/v1
rolePolicy:
  role: custom
  scope: a
  parentRoles: [base]
  rules:
    - { resource: doc, allowActions: [view, comment] }
`,
};

describe('includeMeta when role policies decide: the same effectiveDerivedRoles as Cerbos', { skip }, () => {
  let dir: string;
  let cerbos: RunningCerbos | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'authz-perf-meta-roles-'));
    for (const [file, text] of Object.entries(ROLE_SCOPE_POLICIES)) await writeFile(join(dir, file), text);
    cerbos = await startCerbos({ policyDir: dir });
  });
  after(async () => {
    await cerbos?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  // [resource scope, action, effectiveDerivedRoles Cerbos 0.55 answered when these cases were written]
  const cases: Array<[string, string, string[]]> = [
    ['a', 'edit', ['via_custom', 'via_parent']], // denied by the role policy at the requested scope: its parent counts
    ['a.b', 'edit', ['via_custom']], // denied by the role policy at a: a's derived roles, without the parent role
    ['a.b', 'view', []], // allowed at a.b: the parent scopes are not reached
    ['a', 'comment', ['via_custom', 'via_parent']],
    ['', 'edit', ['at_root']], // denied by the root role policy
  ];
  for (const [scope, action, expected] of cases) {
    test(`scope "${scope}", ${action}`, async () => {
      const engine = createEngine(await loadPolicySet(dir), { cache: false });
      const req: CheckRequest = { requestId: 'r', includeMeta: true, principal: { id: 'p', roles: ['custom'], attr: {} }, resources: [{ actions: [action], resource: { kind: 'doc', id: 'd', scope, attr: {} } }] };
      const theirs = (await (await fetch(`${cerbos!.httpUrl}/api/check/resources`, { method: 'POST', body: JSON.stringify(req) })).json()) as { results: Array<{ meta: Meta }> };
      const ours = engine.check(req).results[0]!.meta as Meta;
      assert.equal(normal(ours), normal(theirs.results[0]!.meta));
      assert.deepEqual([...(ours?.effectiveDerivedRoles ?? [])].sort(), expected);
    });
  }
});

test('principal-policy meta names: the requested id, version and scope, as Cerbos writes them', () => {
  assert.equal(principalPolicyMetaName({ id: 'user-33', roles: [], scope: 'acme.hr' }), 'principal.user_33.vdefault/acme.hr');
  assert.equal(principalPolicyMetaName({ id: 'a.b@c-d:e+f', roles: [], policyVersion: 'v2', scope: 'x.y' }), 'principal.a.b@c-d:e+f.vv2/x.y');
  assert.equal(principalPolicyMetaName({ id: 'user-79', roles: [], policyVersion: '20240101' }), 'principal.user_79.v20240101');
});
