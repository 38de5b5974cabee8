import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candidateKey, candidatesForPlan, coveringIndex, createIndexDdl, patternColumns, type IndexCandidate } from '../../src/query/candidates.js';
import { selectIndexes, writeOverheadSummary } from '../../src/query/advise.js';
import { affectedBaselines, judge, type QueryBaseline, type VerifiedCandidate } from '../../src/query/verify.js';
import { runRules } from '../../src/query/rules.js';
import { node, plan } from './plans.js';

const byActorLatest = () => plan(node('Limit', { 'Actual Rows': 50, 'Actual Total Time': 20 }, [
  node('Sort', { 'Sort Key': ['decided_at DESC'], 'Actual Total Time': 19.5 }, [
    node('Seq Scan', {
      'Relation Name': 'decisions', Filter: "((actor = 'user_42'::text) AND (effect = 'EFFECT_DENY'::text))",
      'Actual Rows': 50, 'Rows Removed by Filter': 199_950, 'Actual Total Time': 19, 'Total Cost': 5000,
    }),
  ]),
]));

test('candidates: equality columns first, then the ORDER BY column; single and two-column', () => {
  const p = byActorLatest();
  const cs = candidatesForPlan(p, runRules(p)).map((c) => c.columns.join(','));
  assert.deepEqual(cs.sort(), ['actor', 'actor,decided_at', 'actor,effect', 'decided_at', 'effect', 'effect,decided_at'].sort());
});

test('join columns: the hashed side of a Hash Join gets a candidate on its join column, the probe side none', () => {
  const p = plan(node('Hash Join', { 'Hash Cond': '(d.actor = a.principal)', 'Total Cost': 20_000 }, [
    node('Seq Scan', { 'Relation Name': 'decisions', Alias: 'd', Filter: "(effect = 'EFFECT_DENY'::text)", 'Total Cost': 5000, 'Actual Rows': 24_000, 'Rows Removed by Filter': 176_000 }),
    node('Hash', {}, [node('Seq Scan', { 'Relation Name': 'audit_logs', Alias: 'a', 'Total Cost': 9000, 'Actual Rows': 500_000 })]),
  ]));
  const cs = candidatesForPlan(p, runRules(p)).map((c) => `${c.table}(${c.columns.join(',')})`);
  assert.ok(cs.includes('audit_logs(principal)'), cs.join(' '));
  assert.equal(cs.some((c) => c.startsWith('decisions(') && c.includes('actor')), false, cs.join(' '));
});

test('leading-wildcard LIKE gives a trigram GIN candidate (only when pg_trgm is available)', () => {
  const p = plan(node('Seq Scan', { 'Relation Name': 'decisions', Filter: "(actor ~~ '%alice%'::text)", 'Actual Rows': 3, 'Rows Removed by Filter': 50_000, 'Total Cost': 900 }));
  const [gin] = candidatesForPlan(p, runRules(p), true);
  assert.equal(createIndexDdl(gin!, true), 'CREATE INDEX CONCURRENTLY decisions_actor_trgm_idx ON decisions USING gin (actor gin_trgm_ops)');
  assert.equal(candidatesForPlan(p, runRules(p), false).length, 0);
});

test('an existing index whose leading columns match covers the candidate', () => {
  const c: IndexCandidate = { table: 'decisions', columns: ['actor'], using: 'btree', opclass: null };
  const existing = [{ name: 'decisions_actor_at', table: 'decisions', columns: ['actor', 'decided_at'], using: 'btree' }];
  assert.equal(coveringIndex(c, existing)?.name, 'decisions_actor_at');
  assert.equal(coveringIndex({ ...c, columns: ['decided_at'] }, existing), null);
  assert.equal(coveringIndex({ ...c, columns: ['actor', 'decided_at', 'id'] }, existing), null);
});

test("Dexter's bar: ≥ 50% cost drop from a starting cost ≥ 100; slower measured time rejects", () => {
  assert.equal(judge(1000, 500, null, null).passes, true);
  assert.equal(judge(1000, 501, null, null).passes, false);
  assert.match(judge(99, 1, null, null).reason, /starting cost below 100/);
  assert.match(judge(1000, 10, 5, 7).reason, /measured time rose/);
  assert.equal(judge(1000, 10, 5, 5.2).passes, true, 'within measurement noise');
  assert.equal(judge(1000, 10, 5, 0.1).passes, true);
});

function verified(columns: string[], effects: Array<[string, number, number]>, trigram = false): VerifiedCandidate {
  return {
    candidate: { table: 'decisions', columns, using: trigram ? 'gin' : 'btree', opclass: trigram ? 'gin_trgm_ops' : null },
    method: 'rolled-back-index',
    sizeBytes: 4_000_000,
    error: null,
    effects: effects.map(([queryId, before, after]) => ({ queryId, costBefore: before, costAfter: after, timeBeforeMs: 20, timeAfterMs: 0.5, ...judge(before, after, 20, 0.5) })),
  };
}

test('selection: best candidate per query, prefix index merged into the longer one that also helps', () => {
  const a = verified(['actor'], [['q1', 5000, 400], ['q2', 6000, 2000]]);
  const ab = verified(['actor', 'decided_at'], [['q1', 5000, 300], ['q2', 6000, 1500]]);
  const r = verified(['resource_id'], [['q3', 800, 600]]);
  const origin = new Map([['q1', new Set([candidateKey(a.candidate), candidateKey(ab.candidate)])], ['q3', new Set([candidateKey(r.candidate)])]]);
  const res = selectIndexes([a, ab, r], origin, new Map([['decisions', 200_000]]));
  assert.equal(res.indexes.length, 1);
  const ix = res.indexes[0]!;
  assert.equal(ix.ddl, 'CREATE INDEX CONCURRENTLY decisions_actor_decided_at_idx ON decisions (actor, decided_at);');
  assert.deepEqual(ix.queries.sort(), ['q1', 'q2']);
  assert.equal(ix.costBeforeUnits, 11_000);
  assert.equal(ix.costAfterUnits, 1_800);
  assert.equal(ix.timeBeforeMs, 40);
  assert.match(ix.writeOverheadNote!, /decisions is written on every check/);
  assert.deepEqual(res.advisedByQuery.get('q2'), [ix.ddl]);
  assert.match(res.rejectedByQuery.get('q3')![0]!.reason, /below the 50% bar/);
  assert.match(writeOverheadSummary(res.indexes, new Map([['decisions', 200_000]]))[0]!, /1 new index adds 1 index update to each INSERT, ~20 bytes of index per row/);
});

test('selection: an index is dropped when another chosen index also passes for all its queries', () => {
  const kindId = verified(['resource_kind', 'resource_id'], [['denied', 8800, 8], ['star', 7800, 7800]]);
  const id = verified(['resource_id'], [['denied', 8800, 12], ['star', 7800, 15]]);
  const res = selectIndexes([kindId, id], new Map([['denied', new Set([candidateKey(kindId.candidate)])]]));
  assert.deepEqual(res.indexes.map((i) => i.columns), [['resource_id']]);
  assert.deepEqual(res.indexes[0]!.queries.sort(), ['denied', 'star']);
  assert.match(res.rejectedByQuery.get('denied')![0]!.reason, /another index serves this query better/);
});

// Regression (CI, PostgreSQL 15 + HypoPG, then PGlite): pg_trgm's GIN index also answers
// `actor = 'user_42'` (cost 469 → 145, passes the 50% bar) and displaced the B-tree (469 → 81).
test('a trigram index that also passes the bar for an equality query does not displace the B-tree', () => {
  const btree = verified(['actor', 'decided_at'], [['latest', 469, 81], ['like', 2000, 2000]]);
  const trgm = verified(['actor'], [['latest', 469, 145], ['like', 2000, 300]], true);
  const res = selectIndexes([btree, trgm], new Map([['latest', new Set([candidateKey(btree.candidate)])], ['like', new Set([candidateKey(trgm.candidate)])]]));
  assert.deepEqual(res.indexes.map((i) => i.ddl).sort(), [
    'CREATE INDEX CONCURRENTLY decisions_actor_decided_at_idx ON decisions (actor, decided_at);',
    'CREATE INDEX CONCURRENTLY decisions_actor_trgm_idx ON decisions USING gin (actor gin_trgm_ops);',
  ]);
  assert.deepEqual(res.advisedByQuery.get('latest'), ['CREATE INDEX CONCURRENTLY decisions_actor_decided_at_idx ON decisions (actor, decided_at);']);
});

test('trigram candidates are measured only against queries with a LIKE on their column', () => {
  const likePlan = plan(node('Seq Scan', { 'Relation Name': 'decisions', Filter: "(actor ~~ '%user_421%'::text)", 'Total Cost': 900 }));
  const eqPlan = byActorLatest();
  assert.deepEqual([...patternColumns(likePlan)], ['decisions.actor']);
  assert.deepEqual([...patternColumns(eqPlan)], []);
  const base = (id: string, p: typeof eqPlan): QueryBaseline => ({
    query: { id, file: 'f.sql', line: 1, sql: '', params: [], description: null },
    tables: new Set(['decisions']), patternColumns: patternColumns(p), costBefore: p.totalCost, timeBeforeMs: null,
  });
  const baselines = [base('like', likePlan), base('latest', eqPlan)];
  const trgm: IndexCandidate = { table: 'decisions', columns: ['actor'], using: 'gin', opclass: 'gin_trgm_ops' };
  assert.deepEqual(affectedBaselines(trgm, baselines).map((b) => b.query.id), ['like']);
  assert.deepEqual(affectedBaselines({ ...trgm, using: 'btree', opclass: null }, baselines).map((b) => b.query.id), ['like', 'latest']);
});

test('on a cost tie the index extending the other wins: (actor, decided_at) over (actor)', () => {
  const a = verified(['actor'], [['latest', 469, 81.6]]);
  const ab = verified(['actor', 'decided_at'], [['latest', 469, 81.6]]);
  for (const order of [[a, ab], [ab, a]]) {
    const res = selectIndexes(order, new Map());
    assert.deepEqual(res.indexes.map((i) => i.columns), [['actor', 'decided_at']]);
  }
  // unrelated candidates: the smaller index wins the tie
  const r = verified(['resource_id'], [['latest', 469, 81.6]]);
  const re = verified(['resource_kind', 'effect'], [['latest', 469, 81.6]]);
  assert.deepEqual(selectIndexes([re, r], new Map()).indexes.map((i) => i.columns), [['resource_id']]);
});
