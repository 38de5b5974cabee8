import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeQueries, type AnalyzeOptions } from '../../src/query/analyze.js';
import { hypopgAvailable, schemaExists } from '../../src/query/database.js';
import type { QueryInput } from '../../src/query/runner.js';
import type { DbAdapter } from '../../src/query/adapter.js';
import { backends, catalog, catalogSnapshot, dataSnapshot, seededDatabase } from './backends.js';

const q = (id: string, sql: string, line = 1, file = 'test.sql'): QueryInput => ({ id, file, line, sql, params: [], description: null });

// The backends run side by side (PGlite works in this process while the server works in its
// own); the tests of one backend share its database, so they run one at a time.
describe('explain on every backend', { concurrency: true }, () => {
  for (const backend of backends()) {
    describe(`explain on ${backend.name}`, { concurrency: false }, () => {
      let db: DbAdapter;
      let schema: string;
      let drop: () => Promise<void>;
      let options: AnalyzeOptions;
      /** the seeded data: every test that runs statements checks they left it unchanged */
      let seededData: Record<string, string>;

      before(async () => {
        ({ db, schema, drop } = await seededDatabase(backend));
        options = { analyze: true, timeoutMs: 10_000, hypopg: await hypopgAvailable(db), trigram: await db.extensionAvailable('pg_trgm'), adviseIndexes: true };
        seededData = await dataSnapshot(db);
      });
      after(async () => drop?.());

      test('catalog: flags sequential scans and anti-patterns, suggests verified indexes with before/after numbers', async () => {
        const result = await analyzeQueries(db, catalog(), options);
        assert.deepEqual(result.inputErrors, []);
        const byId = new Map(result.queries.map((a) => [a.id, a]));
        const rules = (id: string) => byId.get(id)!.findings.map((f) => f.rule);
        assert.ok(rules('decisions-by-actor-latest').includes('seq-scan'));
        assert.ok(rules('decisions-actor-like').includes('non-sargable'));
        assert.ok(rules('decisions-on-day').includes('non-sargable'));
        assert.ok(rules('decisions-page-offset').includes('offset-pagination'));
        assert.ok(rules('decisions-select-star').includes('select-star'));
        assert.equal(rules('active-policies-by-kind').includes('seq-scan'), false, 'a small table is left alone');
        for (const a of result.queries) assert.equal(a.status, 'ok', a.id);

        const actorIx = result.indexes.find((i) => i.queries.includes('decisions-by-actor-latest'));
        assert.ok(actorIx, 'an index for decisions by actor');
        assert.equal(actorIx.table, 'decisions');
        assert.equal(actorIx.columns[0], 'actor');
        assert.match(actorIx.ddl, /^CREATE INDEX CONCURRENTLY \S+ ON decisions \(actor/);
        assert.ok(actorIx.costAfterUnits <= actorIx.costBeforeUnits / 2);
        assert.ok(actorIx.estimatedSizeBytes! > 0);
        assert.ok(actorIx.writeOverheadNote);
        if (options.hypopg) {
          assert.equal(actorIx.method, 'hypopg');
          assert.equal(result.verification, 'hypopg');
        } else {
          assert.equal(actorIx.method, 'rolled-back-index');
          assert.ok(actorIx.timeBeforeMs! > actorIx.timeAfterMs!, 'measured faster');
        }
        assert.ok(byId.get('decisions-by-actor-latest')!.advisedIndexes.includes(actorIx.ddl));
        for (const ix of result.indexes) assert.ok(ix.costReduction >= 0.5, ix.ddl);
      });

      test('EXPLAIN ANALYZE of DELETE, UPDATE and INSERT changes no data and leaves no index, table or extension behind', async () => {
        const beforeCatalog = await catalogSnapshot(db, schema);
        const result = await analyzeQueries(db, [
          q('delete', "DELETE FROM audit_logs WHERE occurred_at < '2026-01-20 00:00:00+00'"),
          q('update', "UPDATE decisions SET effect = 'EFFECT_DENY' WHERE actor = 'user_0'"),
          q('update-policies', 'UPDATE policies SET active = NOT active'),
          q('insert', "INSERT INTO decisions SELECT id + 1000000, request_id, actor, actor_roles, resource_kind, resource_id, action, effect, policy_id, latency_us, decided_at, context FROM decisions WHERE id <= 100"),
        ], options);
        const del = result.queries.find((a) => a.id === 'delete')!;
        assert.equal(del.status, 'ok');
        assert.equal(del.kind, 'delete');
        assert.ok(del.plan.find((n) => n.nodeType === 'ModifyTable'));
        assert.ok(del.plan.some((n) => (n.actualRows ?? 0) > 0), 'the DELETE really ran (rows counted)');
        assert.ok(result.queries.some((a) => a.advisedIndexes.length + a.rejectedCandidates.length > 0), 'index verification ran too');
        assert.deepEqual(await dataSnapshot(db), seededData);
        assert.deepEqual(await catalogSnapshot(db, schema), beforeCatalog);
      });

      test('a statement hiding a COMMIT cannot leave the rolled-back transaction', async () => {
        const result = await analyzeQueries(db, [q('sneaky', 'SELECT 1 AS x$a$; COMMIT; DELETE FROM decisions; SELECT 2 AS y$a$')], { ...options, adviseIndexes: false });
        assert.equal(result.queries[0]!.status, 'error');
        assert.match(result.inputErrors[0]!, /multiple commands/);
        assert.deepEqual(await dataSnapshot(db), seededData);
      });

      test('a syntax error and a missing table are one line each with file:line; other queries are still analysed', async () => {
        const result = await analyzeQueries(db, [
          q('ok', "SELECT id FROM decisions WHERE actor = 'user_1'", 1, 'mine.sql'),
          q('typo', 'SELECT id,\nFROM decisions', 3, 'mine.sql'),
          q('missing', 'SELECT * FROM no_such_table', 6, 'mine.sql'),
        ], options);
        assert.equal(result.inputErrors.length, 2);
        assert.match(result.inputErrors[0]!, /^mine\.sql:4:1: typo: syntax error at or near "FROM"$/);
        assert.match(result.inputErrors[1]!, /^mine\.sql:6:15: missing: relation "no_such_table" does not exist$/);
        assert.equal(result.queries.find((a) => a.id === 'ok')!.status, 'ok');
        assert.ok(result.queries.find((a) => a.id === 'ok')!.findings.length > 0);
      });

      // PGlite's WASM build has no timers: statement_timeout is accepted but not enforced there
      test('statement_timeout: a slow query is reported as timeout with the plain EXPLAIN estimate', { skip: backend.name === 'pglite' && 'PGlite does not enforce statement_timeout' }, async () => {
        const result = await analyzeQueries(db, [q('slow', 'SELECT count(*) FROM audit_logs a, audit_logs b WHERE a.id < 3000 AND b.id < 3000')], { ...options, timeoutMs: 20, adviseIndexes: false });
        const a = result.queries[0]!;
        assert.equal(a.status, 'timeout');
        assert.match(a.error!, /timed out after 20 ms/);
        assert.equal(a.analyzed, false);
        assert.ok(a.plan.length > 0);
        assert.deepEqual(result.inputErrors, []);
      });

      test('without HypoPG: a real index inside a rolled-back transaction, time measured before and after', async () => {
        const beforeCatalog = await catalogSnapshot(db, schema);
        const result = await analyzeQueries(db, [q('by-actor', "SELECT id, decided_at FROM decisions WHERE actor = 'user_42' ORDER BY decided_at DESC LIMIT 20")], { ...options, hypopg: false });
        assert.equal(result.verification, 'rolled-back-index');
        const ix = result.indexes[0]!;
        assert.equal(ix.method, 'rolled-back-index');
        assert.equal(ix.columns[0], 'actor');
        assert.ok(ix.timeBeforeMs! > 0 && ix.timeAfterMs! > 0 && ix.timeAfterMs! < ix.timeBeforeMs!);
        assert.deepEqual(await catalogSnapshot(db, schema), beforeCatalog);
      });

      test('a second embedded database starts from the cached initdb output', { skip: backend.name !== 'pglite' && 'PGlite only' }, async () => {
        const second = await backend.open();
        try {
          assert.deepEqual((await second.query<{ x: number }>('SELECT 1 AS x')).rows, [{ x: 1 }]);
          assert.equal(await schemaExists(second, schema), false, 'a fresh database, not a copy of the seeded one');
          assert.ok(await second.extensionAvailable('pg_trgm'));
        } finally {
          await second.close();
        }
      });

      test('--no-analyze: plain EXPLAIN, nothing executed', async () => {
        const result = await analyzeQueries(db, [q('d', "DELETE FROM decisions WHERE actor = 'user_3'")], { ...options, analyze: false });
        assert.equal(result.queries[0]!.analyzed, false);
        assert.equal(result.queries[0]!.executionTimeMs, null);
        assert.deepEqual(await dataSnapshot(db), seededData);
      });
    });
  }
});
