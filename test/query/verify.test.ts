import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DbAdapter, QueryResult } from '../../src/query/adapter.js';
import { verifyCandidates, type QueryBaseline } from '../../src/query/verify.js';

/** Plain EXPLAIN answers `cost`; EXPLAIN ANALYZE answers the next of `times`. */
function scriptedDb(cost: number, times: number[]): DbAdapter & { analyzeRuns: number; log: string[] } {
  const log: string[] = [];
  const db = {
    kind: 'pglite' as const,
    analyzeRuns: 0,
    log,
    async query<R>(sql: string): Promise<QueryResult<R>> {
      log.push(sql.split(' ')[0]!);
      if (sql.startsWith('EXPLAIN (ANALYZE')) {
        const t = times[db.analyzeRuns++] ?? 99;
        return { rows: [{ p: [{ Plan: { 'Node Type': 'Index Scan', 'Total Cost': cost, 'Plan Rows': 1, 'Plan Width': 8, 'Actual Total Time': t, 'Actual Rows': 1, 'Actual Loops': 1 }, 'Execution Time': t }] }] as R[] };
      }
      if (sql.startsWith('EXPLAIN')) return { rows: [{ p: [{ Plan: { 'Node Type': 'Index Scan', 'Total Cost': cost, 'Plan Rows': 1, 'Plan Width': 8 } }] }] as R[] };
      if (sql.includes('pg_relation_size')) return { rows: [{ size: 8192 }] as R[] };
      return { rows: [] };
    },
    async exec() {},
    async serverVersionNum() { return 180000; },
    async extensionAvailable() { return true; },
    async close() {},
  };
  return db;
}

const baseline: QueryBaseline = {
  query: { id: 'latest', file: 'q.sql', line: 1, sql: "SELECT 1 FROM decisions WHERE actor = 'a'", params: [], description: null },
  tables: new Set(['decisions']), patternColumns: new Set(), costBefore: 469, timeBeforeMs: 3,
};
const candidate = { table: 'decisions', columns: ['actor', 'decided_at'], using: 'btree' as const, opclass: null };
const options = { hypopg: false, analyze: true, timeoutMs: 1000, trigram: true };

test('a slower time reading with the index is measured again (best of 3) before it overrules the planner', async () => {
  const noisy = scriptedDb(82, [9, 0.2]);
  const [v] = await verifyCandidates(noisy, [candidate], [baseline], options);
  assert.equal(noisy.analyzeRuns, 2);
  assert.equal(v!.effects[0]!.timeAfterMs, 0.2);
  assert.equal(v!.effects[0]!.passes, true);
  assert.equal(noisy.log[0], 'BEGIN');
  assert.equal(noisy.log.at(-1), 'ROLLBACK');

  const slow = scriptedDb(82, [9, 8, 7, 0.1]);
  const [w] = await verifyCandidates(slow, [candidate], [baseline], options);
  assert.equal(slow.analyzeRuns, 3, 'at most three readings');
  assert.equal(w!.effects[0]!.timeAfterMs, 7);
  assert.match(w!.effects[0]!.reason, /measured time rose 3\.0 → 7\.0 ms/);

  const fast = scriptedDb(82, [0.3]);
  await verifyCandidates(fast, [candidate], [baseline], options);
  assert.equal(fast.analyzeRuns, 1, 'a good first reading is enough');
});
