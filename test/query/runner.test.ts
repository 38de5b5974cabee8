import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extensionAvailable, type DbAdapter, type QueryResult } from '../../src/query/adapter.js';
import { explainJson, explainQuery, type QueryInput } from '../../src/query/runner.js';

/** Records every statement; EXPLAIN answers with a tiny plan or the given error. */
function fakeDb(explainError: (Error & { code?: string }) | null = null): DbAdapter & { log: string[] } {
  const log: string[] = [];
  return {
    kind: 'postgres',
    log,
    async query<R>(sql: string): Promise<QueryResult<R>> {
      log.push(sql.replace(/\s+/g, ' '));
      if (sql.startsWith('EXPLAIN')) {
        if (explainError) throw explainError;
        return { rows: [{ 'QUERY PLAN': [{ Plan: { 'Node Type': 'Result', 'Total Cost': 0.01, 'Plan Rows': 1, 'Plan Width': 4 } }] }] as R[] };
      }
      return { rows: [] };
    },
    async exec() {},
    async serverVersionNum() { return 150000; },
    async extensionAvailable() { return false; },
    async close() {},
  };
}

const q: QueryInput = { id: 'd', file: 'f.sql', line: 1, sql: 'DELETE FROM decisions', params: [], description: null };

test('EXPLAIN ANALYZE runs between BEGIN and ROLLBACK, with statement_timeout, also when it fails', async () => {
  const ok = fakeDb();
  assert.equal((await explainQuery(ok, q, { analyze: true, timeoutMs: 250 })).state, 'ok');
  assert.deepEqual(ok.log, ['BEGIN', 'SET LOCAL statement_timeout = 250', 'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) DELETE FROM decisions', 'ROLLBACK']);
  const failing = fakeDb(Object.assign(new Error('relation "decisions" does not exist'), { code: '42P01' }));
  const out = await explainQuery(failing, q, { analyze: true, timeoutMs: 250 });
  assert.equal(out.state, 'error');
  assert.deepEqual(failing.log.at(-1), 'ROLLBACK');
});

test('EXPLAIN ANALYZE outside a rolled-back transaction is refused before anything runs', async () => {
  const db = fakeDb();
  await assert.rejects(explainJson(db, q, true), /outside a rolled-back transaction/);
  assert.deepEqual(db.log, []);
  await explainJson(db, q, false);
  assert.equal(db.log.length, 1, 'plain EXPLAIN needs no transaction');
});

test('an extension counts as available only if installed or CREATE EXTENSION works for this user (tried, rolled back)', async () => {
  const db = (installed: boolean, available: boolean, createFails: boolean) => {
    const log: string[] = [];
    const adapter = {
      ...fakeDb(),
      log,
      async query<R>(sql: string): Promise<QueryResult<R>> {
        log.push(sql.split(/\s+/).slice(0, 3).join(' '));
        if (sql.startsWith('SELECT EXISTS')) return { rows: [{ installed, available }] as R[] };
        if (sql.startsWith('CREATE EXTENSION') && createFails) throw new Error('permission denied to create extension "hypopg"');
        return { rows: [] };
      },
    };
    return adapter;
  };
  assert.equal(await extensionAvailable(db(true, true, true), 'hypopg'), true);
  assert.equal(await extensionAvailable(db(false, false, false), 'hypopg'), false);
  const denied = db(false, true, true);
  assert.equal(await extensionAvailable(denied, 'hypopg'), false);
  assert.deepEqual(denied.log.slice(1), ['BEGIN', 'CREATE EXTENSION IF', 'ROLLBACK']);
  assert.equal(await extensionAvailable(db(false, true, false), 'hypopg'), true);
});
