import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { columnPredicates, joinColumns, sortColumns, wrappedColumns } from '../../src/query/predicates.js';

test('equality, range, LIKE and qualified columns as PostgreSQL prints them', () => {
  const filter = "(((d.resource_kind = 'invoice'::text) AND (effect = 'EFFECT_DENY'::text)) AND (decided_at >= '2026-02-01 00:00:00+00'::timestamp with time zone) AND (actor ~~ '%al%'::text) AND (scope ~~ 'ten%'::text) AND (actor <> $1))";
  assert.deepEqual(columnPredicates(filter), [
    { column: 'resource_kind', op: 'eq' },
    { column: 'effect', op: 'eq' },
    { column: 'decided_at', op: 'range' },
    { column: 'actor', op: 'like-infix' },
    { column: 'scope', op: 'like-prefix' },
    { column: 'actor', op: 'neq' },
  ]);
  assert.deepEqual(columnPredicates("(resource_kind = ANY ('{a,b}'::text[]))"), [{ column: 'resource_kind', op: 'eq' }]);
});

test('functions and casts hiding a column', () => {
  assert.deepEqual(wrappedColumns("(date(decided_at) = '2026-02-14'::date)").map((w) => [w.func, w.column]), [['date', 'decided_at']]);
  assert.deepEqual(wrappedColumns("(lower(d.actor) = 'alice'::text)").map((w) => [w.func, w.column]), [['lower', 'actor']]);
  assert.deepEqual(wrappedColumns("((decided_at)::date = '2026-02-14'::date)").map((w) => [w.func, w.column]), [['::date', 'decided_at']]);
  assert.deepEqual(wrappedColumns("(date_trunc('day'::text, decided_at) = '2026-02-14'::timestamp)").map((w) => w.column), ['decided_at']);
  assert.deepEqual(wrappedColumns("(actor = 'x'::text)"), []);
});

test('join columns of one side of a join condition', () => {
  assert.deepEqual(joinColumns('(d.policy_id = p.id)', 'd'), ['policy_id']);
  assert.deepEqual(joinColumns('(d.policy_id = p.id)', 'p'), ['id']);
  assert.deepEqual(joinColumns('((a.principal = d.actor) AND (a.resource_id = d.resource_id))', 'a'), ['principal', 'resource_id']);
  assert.deepEqual(joinColumns('((a.resource_id)::text = d.resource_id)', 'a'), ['resource_id']);
  assert.deepEqual(joinColumns("(d.actor = 'x'::text)", 'd'), [], 'a constant is no join');
  assert.deepEqual(joinColumns('(d.policy_id = d.id)', 'd'), [], 'a self-comparison is no join');
});

test('sort keys: plain columns kept, expressions skipped', () => {
  assert.deepEqual(sortColumns(['d.decided_at DESC', 'id', 'lower(actor)']), [{ column: 'decided_at', desc: true }, { column: 'id', desc: false }]);
  assert.deepEqual(sortColumns(undefined), []);
});

test('property: a printed comparison of any column and literal is read back', () => {
  const ident = fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/);
  const op = fc.constantFrom(['=', 'eq'], ['<', 'range'], ['>=', 'range'], ['<>', 'neq']);
  const value = fc.oneof(fc.string({ maxLength: 10 }).map((s) => `'${s.replace(/'/g, "''")}'::text`), fc.integer().map(String), fc.nat(9).map((n) => `$${n + 1}`));
  fc.assert(fc.property(fc.array(fc.tuple(ident, op, value), { minLength: 1, maxLength: 4 }), (parts) => {
    const expr = parts.map(([c, [o], v]) => `(${c} ${o} ${v})`).join(' AND ');
    assert.deepEqual(columnPredicates(`(${expr})`), parts.map(([c, [, kind]]) => ({ column: c, op: kind })));
  }));
});
