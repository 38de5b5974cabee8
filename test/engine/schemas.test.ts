/**
 * Schema enforcement (Cerbos's schema.enforcement): validationErrors worded as Cerbos words them,
 * ignoreWhen.actions, warn keeps the decision, reject denies every action of the entry, cached
 * decisions still carry the entry's own errors, and a missing schema is a load error at its ref.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createEngine, loadPolicySet, type CheckRequest, type PolicySet } from '../../src/engine/index.js';
import { InputError } from '../../src/util/errors.js';
import { runCli } from '../helpers/cli.js';

let dir = '';
let set: PolicySet;
const policy = (ref: string): string => `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  schemas:
    principalSchema: { ref: "cerbos:///p.json" }
    resourceSchema:
      ref: "${ref}"
      ignoreWhen: { actions: [create, "bulk:*"] }
  rules:
    - actions: ["*"]
      effect: EFFECT_ALLOW
      roles: [user]
`;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authz-perf-schemas-'));
  await mkdir(join(dir, '_schemas'));
  await writeFile(join(dir, '_schemas', 'p.json'), JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { dept: { type: 'string' }, level: { type: 'integer', minimum: 1 } }, required: ['dept'] }));
  await writeFile(join(dir, '_schemas', 'r.json'), JSON.stringify({ type: 'object', properties: { owner: { type: 'string' }, id: {}, amount: { type: 'number', maximum: 100 }, s: { enum: ['a', 'b'] } }, required: ['owner', 'id'], additionalProperties: false }));
  await writeFile(join(dir, 'doc.yaml'), policy('cerbos:///r.json'));
  set = await loadPolicySet(dir);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const request = (pattr: object, rattr: object, actions: string[]): CheckRequest =>
  ({ requestId: 'r', principal: { id: 'p', roles: ['user'], attr: pattr }, resources: [{ resource: { kind: 'doc', id: '1', attr: rattr }, actions }, { resource: { kind: 'other', id: '2', attr: rattr }, actions: ['view'] }] }) as CheckRequest;

test('warn: the errors as Cerbos words them, the decision unchanged; ignoreWhen skips the resource schema', () => {
  const engine = createEngine(set, { schemaEnforcement: 'warn' });
  const res = engine.check(request({ level: 0 }, { amount: 200, extra: 1, s: 'c' }, ['view', 'create']));
  assert.deepEqual(res.results[0]!.actions, { view: 'EFFECT_ALLOW', create: 'EFFECT_ALLOW' });
  const sorted = (list: unknown[] | undefined): string[] => (list ?? []).map((e) => JSON.stringify(e)).sort();
  assert.deepEqual(sorted(res.results[0]!.validationErrors), sorted([
    { path: '/', message: "missing properties: 'dept'", source: 'SOURCE_PRINCIPAL' },
    { path: '/level', message: 'must be >= 1 but found 0', source: 'SOURCE_PRINCIPAL' },
    { path: '/', message: "missing properties: 'owner', 'id'", source: 'SOURCE_RESOURCE' },
    { path: '/', message: "additionalProperties 'extra' not allowed", source: 'SOURCE_RESOURCE' },
    { path: '/amount', message: 'must be <= 100 but found 200', source: 'SOURCE_RESOURCE' },
    { path: '/s', message: 'value must be one of "a", "b"', source: 'SOURCE_RESOURCE' },
  ]));
  assert.equal(res.results[1]!.validationErrors, undefined, 'a kind without schemas is not validated');
  const ignored = engine.check(request({ dept: 3 }, { amount: 'x' }, ['create', 'bulk:x']));
  assert.deepEqual(ignored.results[0]!.validationErrors, [{ path: '/dept', message: 'expected string, but got number', source: 'SOURCE_PRINCIPAL' }]);
  assert.equal(engine.check(request({ dept: 'x' }, { owner: 'a', id: 1 }, ['view'])).results[0]!.validationErrors, undefined);
});

test('reject: an entry with errors has every action denied, cached or not; valid entries decide as usual', () => {
  for (const cache of [false, { maxEntries: 100, ttlMs: 60_000 }] as const) {
    const engine = createEngine(set, { schemaEnforcement: 'reject', cache });
    const good = request({ dept: 'x' }, { owner: 'a', id: 1 }, ['view', 'edit']);
    const bad = request({ dept: 'x' }, { owner: 'a' }, ['view', 'edit']);
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(engine.check(good).results[0]!.actions, { view: 'EFFECT_ALLOW', edit: 'EFFECT_ALLOW' });
      const r = engine.check(bad).results[0]!;
      assert.deepEqual(r.actions, { view: 'EFFECT_DENY', edit: 'EFFECT_DENY' });
      assert.deepEqual(r.validationErrors, [{ path: '/', message: "missing properties: 'id'", source: 'SOURCE_RESOURCE' }]);
    }
  }
  assert.equal(createEngine(set).check(request({}, {}, ['view'])).results[0]!.validationErrors, undefined, 'enforcement none validates nothing');
});

test('a schema missing from _schemas: an error at the ref, when enforcement is on', async () => {
  const other = join(dir, 'missing');
  await mkdir(join(other, '_schemas'), { recursive: true });
  await writeFile(join(other, '_schemas', 'p.json'), '{}');
  await writeFile(join(other, 'doc.yaml'), policy('cerbos:///nope.json'));
  const s = await loadPolicySet(other);
  assert.throws(() => createEngine(s, { schemaEnforcement: 'warn' }), (err: unknown) => err instanceof InputError && err.describe() === `${join(other, 'doc.yaml')}:8:12: schema cerbos:///nope.json: not found in _schemas`);
  createEngine(s);
});

test('serve --schema-enforcement: a bad value names the flag and its choices', async () => {
  const run = await runCli(['serve', '--scenario', 'rbac-simple', '--schema-enforcement', 'strict']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--schema-enforcement <mode>' argument 'strict' is invalid\. Allowed choices are none, warn, reject/);
});
