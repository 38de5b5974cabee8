import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ChainIndex } from '../../src/engine/chain-index.js';

test('ChainIndex keeps one chain per (kind, version, scope) and per principal id and scope beside it', () => {
  const index = new ChainIndex<string>(100);
  assert.equal(index.get('doc', 'default', '', null, ''), undefined);
  index.set('doc', 'default', '', null, '', 'doc');
  index.set('doc', 'default', 'acme', null, '', 'doc@acme');
  index.set('doc', '20240101', 'acme', null, '', 'doc v2@acme');
  index.set('doc', 'default', 'acme', 'alice', 'acme.hr', 'doc@acme for alice@acme.hr');
  index.set('doc', 'default', 'acme', 'alice', '', 'doc@acme for alice');
  assert.equal(index.get('doc', 'default', '', null, 'ignored without a principal'), 'doc');
  assert.equal(index.get('doc', 'default', 'acme', null, ''), 'doc@acme');
  assert.equal(index.get('doc', '20240101', 'acme', null, ''), 'doc v2@acme');
  assert.equal(index.get('doc', 'default', 'acme', 'alice', 'acme.hr'), 'doc@acme for alice@acme.hr');
  assert.equal(index.get('doc', 'default', 'acme', 'alice', ''), 'doc@acme for alice');
  assert.equal(index.get('doc', 'default', 'acme', 'bob', ''), undefined);
  assert.equal(index.get('doc', 'default', '', 'alice', ''), undefined);
  assert.equal(index.size, 5);
  index.set('doc', 'default', 'acme', null, '', 'replaced');
  assert.equal(index.size, 5, 'replacing a chain does not count it twice');
  assert.equal(index.get('doc', 'default', 'acme', null, ''), 'replaced');
});

test('ChainIndex starts over when it holds its maximum', () => {
  const index = new ChainIndex<number>(3);
  for (let i = 0; i < 3; i++) index.set(`k${i}`, 'default', '', null, '', i);
  assert.equal(index.size, 3);
  index.set('k3', 'default', '', null, '', 3);
  assert.equal(index.size, 1);
  assert.equal(index.get('k0', 'default', '', null, ''), undefined);
  assert.equal(index.get('k3', 'default', '', null, ''), 3);
});

// parts may hold any characters, the separator the engine once joined them with included
test('property: ChainIndex answers as a map keyed by the whole tuple', () => {
  const part = fc.constantFrom('', 'a', 'b', '\0', 'a\0b', 'default');
  const tuple = fc.tuple(part, part, part, fc.option(part, { nil: null }), part);
  fc.assert(
    fc.property(fc.array(tuple, { maxLength: 30 }), fc.array(tuple, { maxLength: 30 }), (stored, probes) => {
      const index = new ChainIndex<number>(1000);
      const model = new Map<string, number>();
      const keyOf = ([k, v, s, p, ps]: (typeof stored)[number]): string => JSON.stringify(p === null ? [k, v, s, null] : [k, v, s, p, ps]);
      stored.forEach((t, i) => {
        index.set(t[0], t[1], t[2], t[3], t[4], i);
        model.set(keyOf(t), i);
      });
      for (const t of [...stored, ...probes]) assert.equal(index.get(t[0], t[1], t[2], t[3], t[4]), model.get(keyOf(t)));
      assert.equal(index.size, model.size);
    }),
  );
});
