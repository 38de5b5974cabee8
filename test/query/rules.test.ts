import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRules } from '../../src/query/rules.js';
import type { Finding, RuleId } from '../../src/query/types.js';
import { fixturePlan, node, plan } from './plans.js';

const byRule = (fs: Finding[], rule: RuleId) => fs.filter((f) => f.rule === rule);

test('sort spilled to disk (saved plan): names the Sort node, its share and the work_mem it needs', () => {
  const fs = byRule(runRules(fixturePlan('sort-disk')), 'sort-spill');
  assert.equal(fs.length, 1);
  assert.equal(fs[0]!.nodeLabel, 'Sort');
  assert.match(fs[0]!.evidence, /Sort Space Type: Disk/);
  assert.match(fs[0]!.advice, /work_mem/);
  assert.ok(fs[0]!.timeShare! > 0);
});

test('a saved plan whose Sort Key holds non-strings: the keys that are text are named, the rest ignored', () => {
  const raw = node('Sort', { 'Sort Key': [{}, 'decided_at DESC', 7], 'Sort Method': 'external merge', 'Sort Space Type': 'Disk', 'Sort Space Used': 2048, 'Actual Total Time': 10 });
  const fs = byRule(runRules(plan(raw)), 'sort-spill');
  assert.equal(fs.length, 1);
  assert.match(fs[0]!.evidence, /Sort Key: decided_at DESC$/);
  const none = byRule(runRules(plan(node('Sort', { 'Sort Key': [{}], 'Sort Space Type': 'Disk', 'Actual Total Time': 10 }))), 'sort-spill');
  assert.match(none[0]!.evidence, /Sort Key: \?$/);
});

test('hash batches > 1 (saved plan)', () => {
  const fs = byRule(runRules(fixturePlan('hash-batches')), 'hash-batches');
  assert.equal(fs.length, 1);
  assert.match(fs[0]!.evidence, /Hash Batches: 128/);
  assert.equal(fs[0]!.nodeLabel, 'Hash');
});

test('lossy bitmap heap blocks (saved plan)', () => {
  const fs = byRule(runRules(fixturePlan('lossy-bitmap')), 'lossy-bitmap');
  assert.equal(fs.length, 1);
  assert.match(fs[0]!.evidence, /Lossy Heap Blocks: 1,033/);
  assert.match(fs[0]!.nodeLabel!, /^Bitmap Heap Scan on audit_logs/);
});

test('heap fetches on an index-only scan → VACUUM (saved plan)', () => {
  const fs = byRule(runRules(fixturePlan('heap-fetches')), 'heap-fetches');
  assert.equal(fs.length, 1);
  assert.match(fs[0]!.evidence, /Heap Fetches: 3,899/);
  assert.match(fs[0]!.advice, /VACUUM ap_fix_ios/);
  assert.equal(fs[0]!.severity, 'warning');
});

test('workers launched < planned (saved plan)', () => {
  const fs = byRule(runRules(fixturePlan('workers-not-launched')), 'workers-not-launched');
  assert.equal(fs.length, 1);
  assert.match(fs[0]!.message, /0 of 2 planned parallel workers launched/);
});

test('misestimates (saved plan): deepest node first, with the ratio bucket and ANALYZE advice', () => {
  const p = fixturePlan('misestimate');
  const fs = byRule(runRules(p), 'misestimate');
  assert.ok(fs.length >= 2);
  const depths = fs.map((f) => p.nodes[f.nodeId!]!.depth);
  assert.deepEqual(depths, [...depths].sort((a, b) => b - a), 'deepest first');
  assert.match(fs[0]!.nodeLabel!, /Seq Scan on decisions/);
  assert.match(fs[0]!.message, /underestimated by 125× \(≥ 100×\)/);
  assert.match(fs[0]!.advice, /ANALYZE decisions/);
  assert.match(fs[0]!.advice, /CREATE STATISTICS/, 'correlated columns in the filter');
});

test('misestimate buckets: < 10× silent, 10× warning, 1000× critical', () => {
  const at = (est: number, act: number) => byRule(runRules(plan(node('Seq Scan', { 'Relation Name': 't', 'Plan Rows': est, 'Actual Rows': act }))), 'misestimate');
  assert.equal(at(10, 95).length, 0);
  assert.equal(at(10, 100)[0]!.severity, 'warning');
  assert.match(at(10, 100)[0]!.message, /≥ 10×/);
  assert.match(at(1, 500)[0]!.message, /≥ 100×/);
  assert.equal(at(1, 1000)[0]!.severity, 'critical');
  assert.match(at(5000, 2)[0]!.message, /overestimated/);
});

test('rows removed by filter: > 50% warns, > 90% is severe, ≤ 50% silent', () => {
  const at = (kept: number, removed: number) => byRule(runRules(plan(node('Index Scan', {
    'Relation Name': 'decisions', 'Index Name': 'i', Filter: "(effect = 'EFFECT_DENY'::text)", 'Actual Rows': kept, 'Rows Removed by Filter': removed,
  }))), 'rows-removed-by-filter');
  assert.equal(at(5_000, 5_000).length, 0);
  assert.equal(at(4_900, 5_100)[0]!.severity, 'warning');
  assert.equal(at(1_000, 9_000)[0]!.severity, 'warning');
  assert.equal(at(999, 9_001)[0]!.severity, 'critical');
});

test('sequential scan of a large table with a selective filter; small tables are left alone', () => {
  const scan = (rows: number, kept: number) => runRules(plan(node('Seq Scan', {
    'Relation Name': 'decisions', Filter: "(actor = 'user_42'::text)", 'Actual Rows': kept, 'Rows Removed by Filter': rows - kept, 'Plan Rows': kept,
  })));
  const big = byRule(scan(200_000, 40), 'seq-scan');
  assert.equal(big.length, 1);
  assert.equal(big[0]!.severity, 'critical');
  assert.match(big[0]!.message, /reads 200,000 rows to return 40/);
  assert.equal(byRule(scan(200_000, 40), 'rows-removed-by-filter').length, 0, 'not reported twice');
  assert.equal(byRule(scan(2_000, 4), 'seq-scan').length, 0);
  assert.equal(byRule(scan(200_000, 100_000), 'seq-scan').length, 0, 'not selective');
});

test('non-sargable predicates: function on a column and leading-wildcard LIKE', () => {
  const fs = runRules(plan(node('Seq Scan', {
    'Relation Name': 'decisions', Filter: "((date(decided_at) = '2026-02-14'::date) AND (actor ~~ '%alice%'::text))",
  })));
  const ns = byRule(fs, 'non-sargable');
  assert.equal(ns.length, 2);
  assert.match(ns[0]!.message, /date\(decided_at\)/);
  assert.match(ns[0]!.advice, /decided_at >= day AND decided_at < day \+ 1/);
  assert.match(ns[1]!.advice, /gin_trgm_ops/);
  const prefix = runRules(plan(node('Seq Scan', { 'Relation Name': 'decisions', Filter: "(actor ~~ 'alice%'::text)" })));
  assert.equal(byRule(prefix, 'non-sargable').length, 0);
});

test('OFFSET pagination and SELECT * come from the SQL text', () => {
  const p = plan(node('Limit', { 'Actual Rows': 50, 'Plan Width': 300 }, [node('Sort', { 'Actual Rows': 10_050 })]));
  const fs = runRules(p, 'SELECT * FROM decisions ORDER BY decided_at DESC OFFSET 10000 LIMIT 50');
  const off = byRule(fs, 'offset-pagination');
  assert.equal(off[0]!.severity, 'warning');
  assert.match(off[0]!.evidence, /returned 50 of 10,050/);
  assert.match(off[0]!.advice, /keyset/);
  assert.equal(byRule(fs, 'select-star')[0]!.severity, 'warning');
  assert.equal(byRule(runRules(p, 'SELECT id FROM decisions -- OFFSET 10000\nLIMIT 50'), 'offset-pagination').length, 0, 'comments ignored');
  assert.equal(byRule(runRules(p, 'SELECT count(*) FROM decisions'), 'select-star').length, 0);
});

test('hotspot: exclusive share ≥ 30% of a run that took at least 1 ms', () => {
  const p = plan(node('Hash Join', { 'Actual Total Time': 10 }, [node('Seq Scan', { 'Relation Name': 'a', 'Actual Total Time': 8 }), node('Seq Scan', { 'Relation Name': 'b', 'Actual Total Time': 1 })]));
  const hs = byRule(runRules(p), 'hotspot');
  assert.equal(hs.length, 1);
  assert.equal(hs[0]!.nodeLabel, 'Seq Scan on a');
  assert.equal(hs[0]!.timeShare, 0.8);
});

test('findings are ordered by severity', () => {
  const fs = runRules(fixturePlan('misestimate'));
  const order = { critical: 0, warning: 1, info: 2 };
  for (let i = 1; i < fs.length; i++) assert.ok(order[fs[i - 1]!.severity] <= order[fs[i]!.severity]);
});
