import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { createRequestStream, loadScenario, parseScenario, takeRequests } from '../../src/scenario/index.js';

const abac = await loadScenario('abac-cel');

test('same seed → same requests (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), (seed, repeatShare) => {
      const a = takeRequests(createRequestStream(abac, { seed, repeatShare }), 40);
      const b = takeRequests(createRequestStream(abac, { seed, repeatShare }), 40);
      assert.deepEqual(a, b);
    }),
    { numRuns: 25 },
  );
});

test('different seeds give different streams', () => {
  const a = takeRequests(createRequestStream(abac, { seed: 1 }), 20);
  const b = takeRequests(createRequestStream(abac, { seed: 2 }), 20);
  assert.notDeepEqual(a.map((r) => r.resources), b.map((r) => r.resources));
});

test('request ids are unique, repeats re-send a recent request', () => {
  const reqs = takeRequests(createRequestStream(abac, { seed: 7, repeatShare: 0.5 }), 2000);
  assert.equal(new Set(reqs.map((r) => r.requestId)).size, reqs.length);
  const bodies = reqs.map((r) => JSON.stringify({ ...r, requestId: undefined }));
  const distinct = new Set(bodies).size;
  const repeats = reqs.length - distinct;
  assert.ok(repeats > 800 && repeats < 1200, `repeats ${repeats}`);
  const none = takeRequests(createRequestStream(abac, { seed: 7, repeatShare: 0 }), 500);
  assert.equal(new Set(none.map((r) => JSON.stringify({ ...r, requestId: undefined }))).size, 500);
});

test('requests follow the mix: kinds, action counts, principals from the pool', () => {
  const reqs = takeRequests(createRequestStream(abac, { repeatShare: 0 }), 500);
  const kinds = new Set(abac.requests.resources.map((r) => r.kind));
  for (const r of reqs) {
    assert.match(r.principal.id, /^user-\d+$/);
    assert.ok(Number(r.principal.id.slice(5)) < abac.requests.principals.count);
    assert.ok(r.resources.length >= 1 && r.resources.length <= 5);
    for (const e of r.resources) {
      assert.ok(kinds.has(e.resource.kind));
      assert.equal(new Set(e.actions).size, e.actions.length, 'actions are distinct');
    }
  }
  // the same principal always carries the same roles and attributes
  const byId = new Map<string, string>();
  for (const r of reqs) {
    const desc = JSON.stringify([r.principal.roles, r.principal.attr]);
    assert.equal(byId.get(r.principal.id) ?? desc, desc);
    byId.set(r.principal.id, desc);
  }
});

test('generators: principalId, fromPrincipal, listOf, object, int ranges', () => {
  const s = parseScenario(
    `
seed: 5
requests:
  principals:
    count: 3
    roles: [{ roles: [user] }]
    attr:
      dept: { oneOf: [a, b] }
  resources:
    - kind: doc
      actions: [view]
      attr:
        owner: { principalId: 1 }
        dept: { fromPrincipal: dept, share: 1, otherwise: zzz }
        n: { int: [3, 4] }
        items: { listOf: { object: { k: { id: k, count: 2 } } }, min: 2, max: 2 }
        flag: { bool: 0 }
`,
    { file: '/x/scenario.yaml', dirExists: () => false },
  );
  for (const r of takeRequests(createRequestStream(s), 50)) {
    const attr = r.resources[0]!.resource.attr!;
    assert.equal(attr['owner'], r.principal.id);
    assert.equal(attr['dept'], r.principal.attr!['dept']);
    assert.ok(attr['n'] === 3 || attr['n'] === 4);
    assert.equal((attr['items'] as unknown[]).length, 2);
    assert.match(String((attr['items'] as Array<Record<string, unknown>>)[0]!['k']), /^k-[01]$/);
    assert.equal(attr['flag'], false);
  }
});

// The bundled streams are the input of recorded figures (bench baselines, the differential test
// against Cerbos): a change to the stream generator must leave them byte-for-byte as they were.
// The digests were taken from the generator before scope/policyVersion generators and globals
// existed; change them only together with the scenario files they describe.
test('bundled scenarios without scope/version generators give the streams they always gave', async () => {
  const recorded: Record<string, string> = { 'rbac-simple': '7c99229b82e9cac3', 'abac-cel': '440f056d0e9dcb81', 'heavy-cel': 'b93a92baf98aecc3' };
  for (const [name, digest] of Object.entries(recorded)) {
    const h = createHash('sha256');
    for (const r of takeRequests(createRequestStream(await loadScenario(name)), 5000)) h.update(JSON.stringify(r));
    assert.equal(h.digest('hex').slice(0, 16), digest, name);
  }
});
