import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CACHE_MAX_BYTES, compilePolicySources, createEngine, type CheckRequest } from '../../src/engine/index.js';

const set = compilePolicySources([
  {
    file: 'doc.yaml',
    text: `
resourcePolicy:
  resource: doc
  version: default
  variables:
    local:
      mine: R.attr.owner == P.id
  rules:
    - actions: [view, comment, "view:*"]
      effect: EFFECT_ALLOW
      roles: [user]
      condition: { match: { expr: V.mine || R.attr.public == true } }
    - actions: [edit, delete, share]
      effect: EFFECT_ALLOW
      roles: [user]
      condition: { match: { expr: V.mine } }
    - actions: [delete, share]
      effect: EFFECT_DENY
      roles: [user]
      condition: { match: { expr: R.attr.locked == true } }
`,
  },
]);

const req = (owner: string, extra: Record<string, unknown> = {}): CheckRequest => ({
  requestId: 'r',
  principal: { id: 'alice', roles: ['user'], attr: { unrelated: Math.random() } },
  resources: [{ resource: { kind: 'doc', id: 'd1', attr: { owner, public: false, locked: false, ...extra } }, actions: ['view', 'edit'] }],
});

test('cache: miss then hit; keys ignore attributes no condition reads', () => {
  const e = createEngine(set, { cache: { maxEntries: 100, ttlMs: 60_000 } });
  const first = e.check(req('alice'));
  const stats = e.cacheStats();
  assert.deepEqual({ ...stats, bytes: 0 }, { enabled: true, hits: 0, misses: 1, size: 1, maxEntries: 100, ttlMs: 60_000, bytes: 0, maxBytes: DEFAULT_CACHE_MAX_BYTES, bypassed: 0, bypassing: false });
  assert.ok(stats.bytes > 0, 'the entry is counted in bytes');
  // principal.attr.unrelated differs per request and resource.attr.noise is never read: still a hit
  const second = e.check(req('alice', { noise: 42 }));
  assert.equal(e.cacheStats().hits, 1);
  assert.deepEqual(second.results, first.results);
  // a read attribute changes the key (and the decision)
  const bob = e.check(req('bob'));
  assert.equal(e.cacheStats().misses, 2);
  assert.deepEqual(bob.results[0]!.actions, { view: 'EFFECT_DENY', edit: 'EFFECT_DENY' });
});

test('cache: TTL expiry follows the engine clock; size bound evicts', () => {
  let now = 1_000_000;
  const e = createEngine(set, { cache: { maxEntries: 2, ttlMs: 1000 }, now: () => now });
  e.check(req('alice'));
  now += 500;
  e.check(req('alice'));
  assert.equal(e.cacheStats().hits, 1);
  now += 1500;
  e.check(req('alice'));
  assert.deepEqual([e.cacheStats().hits, e.cacheStats().misses], [1, 2], 'expired entry is a miss');
  e.check(req('bob'));
  e.check(req('carol'));
  assert.equal(e.cacheStats().size, 2);
  e.clearCache();
  assert.equal(e.cacheStats().size, 0);
});

test('cache disabled: no hits, no misses, same decisions', () => {
  const off = createEngine(set, { cache: false });
  const on = createEngine(set);
  for (const owner of ['alice', 'bob', 'alice']) assert.deepEqual(off.check(req(owner)), on.check(req(owner)));
  assert.deepEqual(off.cacheStats(), { enabled: false, hits: 0, misses: 0, size: 0, maxEntries: 0, ttlMs: 0, bytes: 0, maxBytes: 0, bypassed: 0, bypassing: false });
});

test('a batch evaluates each condition at most once per principal/resource pair', () => {
  const e = createEngine(set, { cache: false });
  const actions = ['view', 'comment', 'view:a', 'view:b', 'edit', 'delete', 'share', 'unknown'];
  const batch: CheckRequest = {
    principal: { id: 'alice', roles: ['user', 'user2'] },
    resources: [
      { resource: { kind: 'doc', id: 'd1', attr: { owner: 'alice', public: false, locked: true } }, actions },
      { resource: { kind: 'doc', id: 'd2', attr: { owner: 'bob', public: true, locked: false } }, actions },
    ],
  };
  const trace = e.traceCheck(batch);
  assert.deepEqual(trace.response.results[0]!.actions, {
    view: 'EFFECT_ALLOW', comment: 'EFFECT_ALLOW', 'view:a': 'EFFECT_ALLOW', 'view:b': 'EFFECT_ALLOW',
    edit: 'EFFECT_ALLOW', delete: 'EFFECT_DENY', share: 'EFFECT_DENY', unknown: 'EFFECT_DENY',
  });
  assert.deepEqual(trace.response.results[1]!.actions, {
    view: 'EFFECT_ALLOW', comment: 'EFFECT_ALLOW', 'view:a': 'EFFECT_ALLOW', 'view:b': 'EFFECT_ALLOW',
    edit: 'EFFECT_DENY', delete: 'EFFECT_DENY', share: 'EFFECT_DENY', unknown: 'EFFECT_DENY',
  });
  // per resource: the variable once, and each of the three rule conditions at most once
  const byActivation = new Map<unknown, string[]>();
  for (const ev of trace.evaluations) {
    const list = byActivation.get(ev.activation.R) ?? [];
    list.push(ev.expr.id);
    byActivation.set(ev.activation.R, list);
  }
  assert.equal(byActivation.size, 2);
  for (const ids of byActivation.values()) {
    assert.equal(new Set(ids).size, ids.length, `no expression evaluated twice: ${ids.join(', ')}`);
    assert.ok(ids.length <= 4);
  }
  // the same with the real check path: evaluation counts
  const timed = createEngine(set, { cache: false, celTiming: true });
  timed.check(batch);
  assert.equal(timed.celStats().evaluations, trace.evaluations.length);
});

test('crafted roles, ids or actions cannot collide with another request in the cache', () => {
  const roles = compilePolicySources([
    {
      file: 'r.yaml',
      text: `
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: ["*"]
      effect: EFFECT_ALLOW
      roles: [admin]
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [viewer]
      condition: { match: { expr: R.id == "d" + P.id } }
`,
    },
  ]);
  const e = createEngine(roles);
  const ask = (r: string[], id: string, resId: string, actions: string[]): Record<string, string> => ({
    ...e.check({ principal: { id, roles: r }, resources: [{ resource: { kind: 'doc', id: resId }, actions }] }).results[0]!.actions,
  });
  assert.deepEqual(ask(['viewer', 'admin'], '1', 'd1', ['delete']), { delete: 'EFFECT_ALLOW' });
  assert.deepEqual(ask(['viewer\u0002admin'], '1', 'd1', ['delete']), { delete: 'EFFECT_DENY' });
  assert.deepEqual(ask(['viewer'], '1', 'd1', ['view', 'edit']), { view: 'EFFECT_ALLOW', edit: 'EFFECT_DENY' });
  assert.deepEqual(ask(['viewer'], '1', 'd1', ['view\u0002edit']), { 'view\u0002edit': 'EFFECT_DENY' });
  assert.deepEqual(ask(['viewer'], '1\u0000d', 'd1', ['view']), { view: 'EFFECT_DENY' });
});

test('decisions that read now() are cached only until the next second of the engine clock', () => {
  const timed = compilePolicySources([
    {
      file: 't.yaml',
      text: `
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: [work]
      effect: EFFECT_ALLOW
      roles: [user]
      condition: { match: { expr: now().getHours() < 18 } }
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [user]
`,
    },
  ]);
  let now = Date.parse('2024-01-01T17:59:59.400Z');
  const e = createEngine(timed, { cache: { maxEntries: 100, ttlMs: 60_000 }, now: () => now });
  const ask = (action: string): string =>
    e.check({ principal: { id: 'a', roles: ['user'] }, resources: [{ resource: { kind: 'doc', id: 'd' }, actions: [action] }] }).results[0]!.actions[action]!;
  assert.equal(ask('work'), 'EFFECT_ALLOW');
  assert.equal(ask('view'), 'EFFECT_ALLOW');
  now += 500; // 17:59:59.900: still cached
  assert.equal(ask('work'), 'EFFECT_ALLOW');
  assert.equal(e.cacheStats().hits, 1);
  now += 200; // 18:00:00.100: the time-dependent entry has expired, the other one has not
  assert.equal(ask('work'), 'EFFECT_DENY');
  assert.equal(ask('view'), 'EFFECT_ALLOW');
  assert.deepEqual([e.cacheStats().hits, e.cacheStats().misses], [2, 3]);
});

test('cache: past the per-policy limit of (roles, actions) key variants, decisions stay per role and action', () => {
  // a condition-free policy memoizes decisions per key; once the variant table is full every
  // combination shares one fallback key, which must then compare roles and actions again
  const rbac = compilePolicySources([
    {
      file: 'rbac.yaml',
      text: `
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [admin]
`,
    },
  ]);
  const cached = createEngine(rbac, { cache: { maxEntries: 10_000, ttlMs: 60_000 } });
  const uncached = createEngine(rbac, { cache: false });
  const check = (roles: string[], action: string): CheckRequest => ({
    requestId: 'r',
    principal: { id: 'u', roles },
    resources: [{ resource: { kind: 'doc', id: '1' }, actions: [action] }],
  });
  for (let i = 0; i < 1100; i++) cached.check(check([`role-${i}`], 'view'));
  for (const [roles, action] of [[['admin'], 'view'], [['x'], 'edit'], [['admin'], 'edit'], [['admin'], 'view']] as const) {
    const request = check([...roles], action);
    assert.deepEqual(cached.check(request).results, uncached.check(request).results, `${roles.join(',')} ${action}`);
  }
});

test('cache: (roles, actions) combinations sharing a first action keep their own conditional decisions', () => {
  // many (roles, actions) combinations share their first actions: each finds its own key in the action trie
  const abac = compilePolicySources([
    {
      file: 'abac.yaml',
      text: `
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: [view, edit]
      effect: EFFECT_ALLOW
      roles: [role-3, role-17]
      condition:
        match:
          expr: R.attr.open == true
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [role-25]
`,
    },
  ]);
  const cached = createEngine(abac, { cache: { maxEntries: 10_000, ttlMs: 60_000, bypass: false } });
  const uncached = createEngine(abac, { cache: false });
  const check = (roles: string[], actions: string[], open: boolean): CheckRequest => ({
    requestId: 'r',
    principal: { id: 'u', roles },
    resources: [{ resource: { kind: 'doc', id: '1', attr: { open } }, actions }],
  });
  const requests: CheckRequest[] = [];
  for (let i = 0; i < 30; i++) {
    for (const actions of [['view'], ['view', 'edit'], ['edit']]) {
      for (const open of [true, false]) requests.push(check([`role-${i}`], actions, open), check([`role-${i}`, 'role-3'], actions, open));
    }
  }
  for (let round = 0; round < 2; round++) {
    for (const request of requests) {
      const label = `${request.principal.roles.join(',')} ${request.resources[0]!.actions.join(',')} open=${String(request.resources[0]!.resource.attr!.open)}`;
      assert.deepEqual(cached.check(request).results, uncached.check(request).results, label);
    }
  }
  assert.ok(cached.cacheStats().hits >= requests.length, `the second round hit (${cached.cacheStats().hits} hits)`);
});

test('cache bytes: the byte bound evicts, and entries with oversized key material are not cached', () => {
  // 256 KiB bound: an entry may take 1/256 of it, 1 KiB, less than a 1,000-character owner plus the entry overhead
  const e = createEngine(set, { cache: { maxEntries: 10_000, ttlMs: 60_000, maxBytes: 256 * 1024, bypass: false } });
  const big = e.check(req('x'.repeat(1000)));
  assert.equal(e.cacheStats().size, 0, 'a 1 KB read attribute is over the per-entry limit');
  assert.equal(e.cacheStats().bytes, 0);
  assert.deepEqual(e.check(req('x'.repeat(1000))), big, 'the uncached decision is the same');
  for (let i = 0; i < 2000; i++) e.check(req(`owner-${i}`));
  const { bytes, maxBytes, size } = e.cacheStats();
  assert.ok(bytes <= maxBytes, `${bytes} ≤ ${maxBytes}`);
  assert.ok(size > 10 && size < 2000, `the byte bound evicted (${size} entries held)`);
});

test('adaptive bypass: a non-repeating stream turns the cache off, a repeating one turns it back on', () => {
  const bypass = { window: 64, offBelow: 0.1, onAtOrAbove: 0.2, sample: 4 };
  const e = createEngine(set, { cache: { maxEntries: 10_000, ttlMs: 60_000, bypass } });
  const reference = createEngine(set, { cache: false });
  let i = 0;
  for (; i < 64; i++) e.check(req(`unique-${i}`));
  assert.equal(e.cacheStats().bypassing, true, 'no hits in a window: bypassed');
  const before = e.cacheStats().bypassed;
  for (; i < 128; i++) assert.deepEqual(e.check(req(`unique-${i}`)), reference.check(req(`unique-${i}`)));
  assert.ok(e.cacheStats().bypassed > before, 'entries are decided without the cache while bypassed');
  // a small repeating working set: the sampled keys hit, and the cache comes back
  const owners = Array.from({ length: 8 }, (_, k) => `repeat-${k}`);
  for (let n = 0; n < 2000 && e.cacheStats().bypassing; n++) {
    const owner = owners[n % owners.length]!;
    assert.deepEqual(e.check(req(owner)), reference.check(req(owner)));
  }
  assert.equal(e.cacheStats().bypassing, false, 'a repeating stream turns the cache back on');
  const hits = e.cacheStats().hits;
  for (const owner of owners) e.check(req(owner));
  assert.ok(e.cacheStats().hits >= hits + 1, 'hits again');
});

test('cached results are frozen: a caller cannot change the answer later callers get', () => {
  const e = createEngine(set, { cache: { maxEntries: 100, ttlMs: 60_000 } });
  const first = e.check(req('alice'));
  const expected = structuredClone(first.results);
  assert.throws(() => {
    (first.results[0]!.actions as Record<string, string>).edit = 'EFFECT_DENY';
  }, TypeError);
  assert.throws(() => {
    (first.results[0]!.resource as { id: string }).id = 'other';
  }, TypeError);
  const second = e.check(req('alice'));
  assert.equal(e.cacheStats().hits, 1);
  assert.deepEqual(second.results, expected);
  // another resource id with the same key material: its own result object, its own id
  const other = e.check({ ...req('alice'), resources: [{ resource: { kind: 'doc', id: 'd2', attr: { owner: 'alice', public: false, locked: false } }, actions: ['view', 'edit'] }] });
  assert.equal(e.cacheStats().hits, 2);
  assert.equal(other.results[0]!.resource.id, 'd2');
  assert.deepEqual(other.results[0]!.actions, expected[0]!.actions);
});

test('clockReuse: hits share one clock read for at most that many checks, and never past the current synchronous run', async () => {
  let now = 1_000_000;
  let reads = 0;
  const clock = (): number => {
    reads++;
    return now;
  };
  const e = createEngine(set, { cache: { maxEntries: 100, ttlMs: 1000, clockReuse: 3, bypass: false }, now: clock });
  e.check(req('alice')); // miss: stored at 1,000,000, expires at 1,001,000
  now += 5000; // expired, but the read above may still be reused by 3 checks
  for (let i = 0; i < 3; i++) e.check(req('alice'));
  assert.deepEqual([e.cacheStats().hits, reads], [3, 1], 'three hits on the earlier read');
  e.check(req('alice'));
  assert.deepEqual([e.cacheStats().hits, e.cacheStats().misses], [3, 2], 'the fourth check reads the clock: expired');
  // the miss stored a fresh entry and read the clock; a later turn reads it again
  await Promise.resolve();
  now += 5000;
  e.check(req('alice'));
  assert.deepEqual([e.cacheStats().hits, e.cacheStats().misses], [3, 3], 'a new synchronous run does not reuse the old read');
  // an injected clock without clockReuse is read on every check that meets an entry
  const exact = createEngine(set, { cache: { maxEntries: 100, ttlMs: 1000, bypass: false }, now: () => now });
  exact.check(req('alice'));
  now += 5000;
  exact.check(req('alice'));
  assert.deepEqual([exact.cacheStats().hits, exact.cacheStats().misses], [0, 2]);
});

test('eviction: the oldest entry not hit since it was stored goes first; a hit one is spared once', () => {
  const e = createEngine(set, { cache: { maxEntries: 2, ttlMs: 60_000, bypass: false } });
  e.check(req('a'));
  e.check(req('b'));
  e.check(req('a')); // hit: a is spared by the next eviction
  e.check(req('c')); // full: evicts b
  const before = e.cacheStats();
  e.check(req('a'));
  assert.equal(e.cacheStats().hits, before.hits + 1, 'a stayed');
  e.check(req('b'));
  assert.equal(e.cacheStats().misses, before.misses + 1, 'b was evicted');
  assert.equal(e.cacheStats().size, 2);
  // a long churn through a full cache keeps it at its bound, and its byte count exact
  for (let i = 0; i < 5000; i++) e.check(req(`owner-${i % 700}`));
  assert.equal(e.cacheStats().size, 2);
  e.clearCache();
  assert.deepEqual([e.cacheStats().size, e.cacheStats().bytes], [0, 0]);
});
