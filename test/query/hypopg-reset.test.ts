/**
 * HypoPG keeps hypothetical indexes in the session's memory: ROLLBACK does not remove them. A
 * verification that fails (an error after the index was created) must reset them, or the index
 * would lower the cost of every later candidate on the same connection.
 * Needs a PostgreSQL server (DATABASE_URL) with the hypopg extension available; skipped otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inRolledBackTransaction, type DbAdapter } from '../../src/query/adapter.js';
import { hypopgAvailable, openServer } from '../../src/query/database.js';
import { verifyCandidates, type QueryBaseline } from '../../src/query/verify.js';
import type { IndexCandidate } from '../../src/query/candidates.js';
import { explainJson } from '../../src/query/runner.js';
import { parsePlanJson } from '../../src/query/plan.js';

const url = process.env.DATABASE_URL;
const options = { hypopg: true, analyze: false, timeoutMs: 10_000, trigram: false };

/** The session's hypothetical indexes (the extension is created, and dropped again, in a rolled-back transaction). */
async function hypotheticalIndexes(db: DbAdapter): Promise<string[]> {
  return inRolledBackTransaction(db, async () => {
    await db.query('CREATE EXTENSION IF NOT EXISTS hypopg');
    // a view since HypoPG 1.3 (`index_name`); the name column was `indexname` before
    const r = await db.query<{ index_name?: string; indexname?: string; indexrelid: unknown }>('SELECT * FROM hypopg_list_indexes');
    return r.rows.map((row) => String(row.index_name ?? row.indexname ?? row.indexrelid));
  });
}

function baseline(id: string, sql: string, costBefore: number): QueryBaseline {
  return { query: { id, file: 'q.sql', line: 1, sql, params: [], description: null }, tables: new Set(['t']), patternColumns: new Set(), costBefore, timeBeforeMs: null };
}

const onA: IndexCandidate = { table: 't', columns: ['a'], using: 'btree', opclass: null };
const onB: IndexCandidate = { table: 't', columns: ['b'], using: 'btree', opclass: null };

test('a failed HypoPG verification leaves no hypothetical index behind', { skip: !url && 'DATABASE_URL not set' }, async (t) => {
  const db = await openServer(url!);
  const schema = `ap_hypo_${process.pid}_${randomBytes(3).toString('hex')}`;
  try {
    if (!(await hypopgAvailable(db))) {
      t.skip('the hypopg extension is not available on the DATABASE_URL server');
      return;
    }
    await db.query(`CREATE SCHEMA ${schema}`);
    // public stays on the path: where CI (and most servers) have the hypopg extension installed
    await db.query(`SET search_path = ${schema}, public`);
    await db.query('CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL)');
    await db.query('INSERT INTO t SELECT g, g % 5000, g % 7 FROM generate_series(1, 20000) g');
    await db.query('ANALYZE t');
    assert.deepEqual(await hypotheticalIndexes(db), []);

    const byA = 'SELECT id FROM t WHERE a = 42';
    const costBefore = parsePlanJson(await explainJson(db, baseline('by-a', byA, 0).query, false)).totalCost;
    assert.ok(costBefore >= 100, `a sequential scan costs ${costBefore}`);

    // 1. the hypothetical index on t(a) is created, then costing the (broken) query throws
    const [failed] = await verifyCandidates(db, [onA], [baseline('broken', 'SELECT id FROM t WHERE no_such_column = 1', costBefore)], options);
    assert.equal(failed!.method, 'hypopg');
    assert.match(failed!.error ?? '', /no_such_column/);
    assert.deepEqual(await hypotheticalIndexes(db), [], 'the failed verification reset its hypothetical index');

    // 2. a later candidate is costed clean: t(b) does nothing for `a = 42` (fails the bar), which
    //    a leftover hypothetical index on t(a) would have hidden
    const [later] = await verifyCandidates(db, [onB], [baseline('by-a', byA, costBefore)], options);
    assert.equal(later!.error, null);
    assert.equal(later!.effects.length, 1);
    assert.equal(later!.effects[0]!.passes, false, later!.effects[0]!.reason);
    assert.match(later!.effects[0]!.reason, /below the 50% bar/);
    assert.deepEqual(await hypotheticalIndexes(db), [], 'a verification whose index fails the bar leaves none either');

    // the candidate that would help, for contrast: passes, and is gone afterwards too
    const [helps] = await verifyCandidates(db, [onA], [baseline('by-a', byA, costBefore)], options);
    assert.equal(helps!.effects[0]!.passes, true, helps!.effects[0]!.reason);
    assert.deepEqual(await hypotheticalIndexes(db), []);
  } finally {
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await db.close();
  }
});
