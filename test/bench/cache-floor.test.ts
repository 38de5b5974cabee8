import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicySources, type CheckRequest } from '../../src/engine/index.js';
import { hitFloorPass, locateBoundPass } from '../../src/bench/cache-floor.js';

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
      condition: { match: { expr: R.attr.owner == P.id && P.attr.level > 2 } }
    - actions: [list]
      effect: EFFECT_ALLOW
      roles: [user]
`,
  },
]);

const req = (owner: string, actions: string[]): CheckRequest => ({
  principal: { id: 'alice', roles: ['user'], attr: { level: 3, unread: 'x' } },
  resources: [{ resource: { kind: 'doc', id: 'd1', attr: { owner, other: 1 } }, actions }],
});

test('the hit floor reads and compares the entries whose decisions read values, and they match', () => {
  const pass = hitFloorPass(set, [req('alice', ['view']), req('bob', ['view']), req('alice', ['list'])]);
  assert.equal(pass.entries, 2, 'the condition-free entry (list) needs no comparison');
  assert.equal(pass.run(), true, 'each entry matches its own stored copy');
});

test('the locate bound finds each entry by content: requests with the same key material share a stored entry, and a changed value no longer matches', () => {
  const reqs = [req('alice', ['view']), req('bob', ['view']), req('alice', ['view']), req('alice', ['list'])];
  const pass = locateBoundPass(set, reqs);
  assert.equal(pass.entries, 3);
  assert.equal(pass.run(), true, 'every entry finds a stored entry with its values');
  assert.equal(pass.run(), true, 'and again (the keys remember role lists per check)');
  (reqs[1]!.resources[0]!.resource.attr as Record<string, unknown>).owner = 'carol';
  assert.equal(pass.run(), false, "bob's entry is no longer found: its owner changed after it was stored");
  assert.equal(hitFloorPass(set, reqs).run(), true, 'a floor built after the change compares equal');
});
