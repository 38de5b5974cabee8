import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { positionToLocation, splitSqlStatements } from '../../src/query/sql-file.js';

test('splits statements, keeps names, descriptions and start lines', () => {
  const text = [
    '-- file header',
    '',
    '-- name: by-actor',
    '-- Newest decisions of one actor.',
    'SELECT id FROM decisions',
    "WHERE actor = 'a;b'",
    'LIMIT 5;',
    '',
    'SELECT $$ ; $$, "we;ird" FROM t; /* ; */ SELECT 3',
  ].join('\n');
  const st = splitSqlStatements(text, 'mine');
  assert.deepEqual(st.map((s) => [s.name, s.line]), [['by-actor', 5], ['mine#2', 9], ['mine#3', 9]]);
  assert.equal(st[0]!.sql, "SELECT id FROM decisions\nWHERE actor = 'a;b'\nLIMIT 5");
  assert.equal(st[0]!.description, 'file header Newest decisions of one actor.');
  assert.equal(st[2]!.sql, 'SELECT 3');
});

test('parameters $1 are not dollar quotes; doubled quotes stay inside strings', () => {
  const st = splitSqlStatements("SELECT * FROM d WHERE a = $1 AND b = 'it''s; fine';\nSELECT 2");
  assert.equal(st.length, 2);
  assert.equal(st[0]!.sql, "SELECT * FROM d WHERE a = $1 AND b = 'it''s; fine'");
  assert.equal(st[1]!.line, 2);
});

test("E'…' strings with backslash escapes and $ inside identifiers are split as PostgreSQL does", () => {
  const st = splitSqlStatements("SELECT E'it\\'s; x' FROM t;\nSELECT 1 AS x$a$; SELECT 2 AS y$a$");
  assert.deepEqual(st.map((s) => s.sql), ["SELECT E'it\\'s; x' FROM t", 'SELECT 1 AS x$a$', 'SELECT 2 AS y$a$']);
  assert.deepEqual(splitSqlStatements("SELECT 'a\\'; SELECT 2").map((s) => s.sql), ["SELECT 'a\\'", 'SELECT 2'], 'no escapes in standard strings');
});

test('property: joining statements with ";\\n" and splitting gives them back with their lines', () => {
  const literal = fc.stringMatching(/^[a-z ;$-]{0,12}$/).map((s) => `'${s.replace(/'/g, "''")}'`);
  const stmt = fc.tuple(fc.constantFrom('SELECT', 'DELETE FROM t WHERE x =', 'UPDATE t SET y ='), literal, fc.nat(3))
    .map(([head, lit, extraLines]) => `${head} ${lit}${'\n  AND 1 = 1'.repeat(extraLines)}`);
  fc.assert(fc.property(fc.array(stmt, { minLength: 1, maxLength: 6 }), (stmts) => {
    const text = stmts.join(';\n');
    const got = splitSqlStatements(text);
    assert.deepEqual(got.map((s) => s.sql), stmts);
    let line = 1;
    stmts.forEach((s, i) => {
      assert.equal(got[i]!.line, line);
      line += s.split('\n').length;
    });
  }));
});

test('property: never throws and never returns empty statements on arbitrary text', () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => {
    for (const s of splitSqlStatements(text)) {
      assert.ok(s.sql.length > 0);
      assert.ok(s.line >= 1);
    }
  }));
});

test('positionToLocation maps a 1-based error position to file line and column', () => {
  assert.deepEqual(positionToLocation('SELECT 1\nFORM t', 10, 7), { line: 8, column: 1 });
  assert.deepEqual(positionToLocation('SELECT x', 8, 3), { line: 3, column: 8 });
});
