import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlanJson, summarizePlan } from '../../src/query/plan.js';
import { InputError } from '../../src/util/errors.js';
import { fixturePlan, node, plan } from './plans.js';

test('exclusive time subtracts children and multiplies loops', () => {
  // Nested Loop 10 ms total; outer scan 2 ms; inner index scan 0.05 ms × 100 loops = 5 ms
  const p = plan(node('Nested Loop', { 'Actual Total Time': 10 }, [
    node('Seq Scan', { 'Relation Name': 'decisions', 'Actual Total Time': 2 }),
    node('Index Scan', { 'Relation Name': 'policies', 'Index Name': 'policies_pkey', 'Actual Total Time': 0.05, 'Actual Loops': 100 }),
  ]));
  const [loop, outer, inner] = p.nodes;
  assert.equal(inner!.inclusiveMs, 5);
  assert.equal(outer!.exclusiveMs, 2);
  assert.equal(loop!.exclusiveMs, 3);
  assert.equal(inner!.label, 'Index Scan using policies_pkey on policies');
  const summary = summarizePlan(p);
  assert.equal(summary[0]!.timeShare, 0.3);
  assert.equal(summary[2]!.timeShare, 0.5);
});

test('parallel workers: per-loop averages count as wall clock, not summed worker time', () => {
  const p = plan(node('Gather', { 'Workers Planned': 2, 'Workers Launched': 2, 'Actual Total Time': 12 }, [
    node('Parallel Seq Scan', { 'Relation Name': 'audit_logs', 'Actual Total Time': 10, 'Actual Loops': 3 }),
  ]));
  assert.equal(p.nodes[1]!.inclusiveMs, 10);
  assert.equal(p.nodes[0]!.exclusiveMs, 2);
});

test('exclusive time is never negative and shares stay within 0..1 on real plans', () => {
  for (const name of ['sort-disk', 'hash-batches', 'lossy-bitmap', 'heap-fetches', 'workers-not-launched', 'misestimate']) {
    const p = fixturePlan(name);
    assert.ok(p.analyzed, name);
    for (const n of summarizePlan(p)) {
      assert.ok(n.exclusiveTimeMs === null || n.exclusiveTimeMs >= 0, `${name}: ${n.label}`);
      assert.ok(n.timeShare === null || (n.timeShare >= 0 && n.timeShare <= 1), `${name}: ${n.label}`);
    }
    const sum = summarizePlan(p).reduce((s, n) => s + (n.exclusiveTimeMs ?? 0), 0);
    assert.ok(sum <= p.executionTimeMs! * 1.05 + 0.1, `${name}: exclusive times add up to at most the execution time`);
  }
});

test('plain EXPLAIN (no ANALYZE) parses with null times', () => {
  const p = parsePlanJson([{ Plan: { 'Node Type': 'Seq Scan', 'Relation Name': 'decisions', 'Total Cost': 4000, 'Plan Rows': 12 } }]);
  assert.equal(p.analyzed, false);
  assert.equal(p.nodes[0]!.inclusiveMs, null);
  assert.equal(p.totalCost, 4000);
});

test('accepts the psql/pg row shape and rejects what is not a plan', () => {
  const inner = { Plan: { 'Node Type': 'Result', 'Total Cost': 0.01, 'Plan Rows': 1 } };
  assert.equal(parsePlanJson([{ 'QUERY PLAN': [inner] }]).root.nodeType, 'Result');
  assert.throws(() => parsePlanJson({ hello: 1 }, 'x.json'), (e: unknown) => e instanceof InputError && /x\.json: not an EXPLAIN/.test(e.describe()));
  assert.throws(() => parsePlanJson(42), InputError);
});
