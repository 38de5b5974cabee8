/** The statements to explain: `$n` counting, empty sets and duplicate names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { catalogQueries, highestParameter, queriesFromSql, userQueries } from '../../src/query/inputs.js';
import { InputError } from '../../src/util/errors.js';

test('property: the highest $n outside string literals is the parameter count; $n inside literals does not count', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 }), fc.integer({ min: 1, max: 99 }), (ns, quoted) => {
      const sql = `select ${ns.map((n) => `$${n}`).join(', ') || '1'} where note = 'it''s $${quoted}'`;
      assert.equal(highestParameter(sql), Math.max(0, ...ns));
    }),
    { numRuns: 300 },
  );
});

test('each statement takes the leading --param values it references', () => {
  const qs = queriesFromSql('dir/q.sql', '-- name: a\nselect $2;\n-- name: b\nselect 1;\n', ['x', 'y', 'z']);
  assert.deepEqual(qs.map((q) => [q.id, q.file, q.params]), [['a', 'dir/q.sql', ['x', 'y']], ['b', 'dir/q.sql', []]]);
});

test('an empty set of statements and a repeated name are input errors naming the file', () => {
  assert.throws(() => userQueries([{ file: 'e.sql', text: '-- nothing\n' }], []), (e: unknown) => e instanceof InputError && e.message === 'no SQL statements found' && e.location.file === 'e.sql');
  assert.throws(
    () => userQueries([{ file: 'a.sql', text: '-- name: q\nselect 1;\n' }, { file: 'b.sql', text: '-- name: q\nselect 2;\n' }], []),
    (e: unknown) => e instanceof InputError && /query name "q" is also used at a\.sql:2/.test(e.message) && e.location.file === 'b.sql',
  );
});

test('the bundled catalog has statements, each with its own name', async () => {
  const qs = await catalogQueries();
  assert.ok(qs.length > 0);
  assert.equal(new Set(qs.map((q) => q.id)).size, qs.length);
});
