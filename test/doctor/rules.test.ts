/** Every rule from fixture metrics: silent on a healthy engine, its finding on the fault it reads. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRules, RULES, worstSeverity } from '../../src/doctor/rules/index.js';
import { niceCeil } from '../../src/doctor/rules/cache.js';
import type { CollectedMetrics, Finding, LoadFigures } from '../../src/doctor/types.js';
import { database, expressionStat, healthy } from './fixtures.js';

const ids = (m: CollectedMetrics): string[] => applyRules(m).map((f) => f.ruleId);
const one = (m: CollectedMetrics, id: string): Finding => {
  const found = applyRules(m).filter((f) => f.ruleId === id);
  assert.equal(found.length, 1, `expected one ${id}, got: ${applyRules(m).map((f) => f.ruleId).join(', ')}`);
  return found[0]!;
};

function load(over: Partial<LoadFigures> = {}): LoadFigures {
  return { scenario: 'abac-cel', targetRps: 1000, achievedRps: 1000, durationS: 60, sent: 60_000, dropped: 0, late: 0, errorRate: 0, p50Ms: 1, p99Ms: 8, generatorCpu: 0.3, generatorSaturated: false, maxConnections: 256, connectionsExhausted: 0, ...over };
}

test('a healthy engine produces no finding', () => {
  assert.deepEqual(ids(healthy()), []);
  assert.equal(worstSeverity([]), null);
});

test('every rule is listed once', () => {
  const names = RULES.map((r) => r.name);
  assert.equal(new Set(names).size, names.length);
});

test('latency.slo: warning over the SLO, critical over 100 ms with enough samples, never critical on a small sample', () => {
  assert.equal(one(healthy({ latency: { source: 'h', p50Ms: 5, p99Ms: 70, meanMs: 8, count: 60_000 } }), 'latency.slo').severity, 'warning');
  const bad = one(healthy({ load: load({ p99Ms: 180 }) }), 'latency.slo');
  assert.equal(bad.severity, 'critical');
  assert.equal(bad.evidence[0]!.value, 180);
  assert.equal(bad.evidence[0]!.threshold, 50);
  assert.equal(one(healthy({ latency: { source: 'h', p50Ms: 5, p99Ms: 300, meanMs: 8, count: 200 } }), 'latency.slo').severity, 'warning');
});

test('errors.rate: above 0.1 % warning, from 1 % critical', () => {
  assert.equal(one(healthy({ requests: { count: 10_000, rps: 100, errors: 50, errorRate: 0.005 } }), 'errors.rate').severity, 'warning');
  assert.equal(one(healthy({ load: load({ errorRate: 0.02 }) }), 'errors.rate').severity, 'critical');
});

test('saturation.server-cpu: one core is the limit of serve, GOMAXPROCS of Cerbos', () => {
  assert.equal(one(healthy({ serverCpu: 0.75 }), 'saturation.server-cpu').severity, 'warning');
  assert.equal(one(healthy({ serverCpu: 0.97 }), 'saturation.server-cpu').severity, 'critical');
  assert.deepEqual(ids(healthy({ flavour: 'cerbos', engineCores: 4, serverCpu: 1.5, cache: null, cel: null, eventLoop: null })), []);
  assert.match(one(healthy({ flavour: 'cerbos', engineCores: 2, serverCpu: 1.9, cache: null, cel: null }), 'saturation.server-cpu').action, /GOMAXPROCS/);
});

test('saturation.generator and saturation.capacity read the load generator', () => {
  assert.ok(ids(healthy({ load: load({ generatorCpu: 0.97, generatorSaturated: true }) })).includes('saturation.generator'));
  const cap = one(healthy({ load: load({ achievedRps: 600, late: 30_000, dropped: 100 }) }), 'saturation.capacity');
  assert.equal(cap.severity, 'critical');
  assert.match(cap.action, /--find-max/);
  assert.equal(one(healthy({ load: load({ late: 6000 }) }), 'saturation.capacity').severity, 'warning');
});

test('cache.hit-rate: a full cache → raise --cache-size with a figure; a roomy one → the TTL, not the size', () => {
  const full = one(healthy({ cache: { hits: 410, misses: 590, hitRate: 0.41, entries: 10_000, maxEntries: 10_000, ttlS: 60 } }), 'cache.hit-rate');
  assert.equal(full.severity, 'warning');
  assert.match(full.action, /raise --cache-size from 10,000 to about 20,000/);
  assert.match(full.action, /at most 3\.58 KiB per entry .* up to 35\.00 MiB more heap/);
  assert.equal(full.evidence[0]!.value, 0.41);
  assert.doesNotMatch(one(healthy({ cache: { hits: 10, misses: 990, hitRate: 0.01, entries: 10, maxEntries: 10, ttlS: 60 } }), 'cache.hit-rate').action, /per entry/, 'no per-entry bound from a tiny cache');
  const roomy = one(healthy({ cache: { hits: 100, misses: 900, hitRate: 0.1, entries: 900, maxEntries: 10_000, ttlS: 60 } }), 'cache.hit-rate');
  assert.equal(roomy.severity, 'info');
  assert.match(roomy.action, /will not help/);
  assert.deepEqual(ids(healthy({ cache: { hits: 1, misses: 9, hitRate: 0.1, entries: 10, maxEntries: 10, ttlS: 60 } })), [], 'too few lookups for a verdict');
  assert.equal(one(healthy({ cache: { hits: 0, misses: 0, hitRate: null, entries: 0, maxEntries: 0, ttlS: 0 } }), 'cache.off').severity, 'info');
  assert.deepEqual([1, 3, 7, 10, 11, 20_001].map(niceCeil), [1, 5, 10, 10, 20, 50_000]);
});

test('cel.hot-expression: names the expression, its share, time per evaluation and static cost; failing evaluations → has()', () => {
  const f = one(healthy({ cel: { evaluations: 1, seconds: 1, shareOfCheckTime: 0.6, perExpression: [expressionStat()], perExpressionSource: 'fixture' } }), 'cel.hot-expression');
  assert.equal(f.severity, 'warning');
  assert.match(f.title, /secret-needs-secret-clearance .*dataset\.yaml:70:13\) takes 46 % of CEL time at 26\.0 µs/);
  assert.match(f.action, /unbounded: it grows with R\.attr\.columns; cap those lists/);
  assert.match(one(healthy({ cel: { evaluations: 1, seconds: 1, shareOfCheckTime: 0.6, perExpression: [expressionStat({ staticUnbounded: false, staticCostMax: 1240, growsWith: [], suggestion: 'use a map: k in {"a": true}' })], perExpressionSource: 'f' } }), 'cel.hot-expression').action, /static cost 1,240; suggested: use a map/);
  const failing = one(healthy({ cel: { evaluations: 1, seconds: 1, shareOfCheckTime: 0.1, perExpression: [expressionStat({ errors: 900, errorSample: 'no such key: confidential' })], perExpressionSource: 'fixture' } }), 'cel.hot-expression');
  assert.equal(failing.severity, 'info');
  assert.match(failing.action, /90 % of its evaluations fail \(no such key: confidential\).*has\(\)/);
  assert.deepEqual(ids(healthy({ cel: { evaluations: 1, seconds: 1, shareOfCheckTime: 0.1, perExpression: [expressionStat({ share: 0.1 })], perExpressionSource: 'x' } })), []);
});

test('cel.time-share: CEL over half of check time without a per-expression profile', () => {
  assert.match(one(healthy({ cel: { evaluations: 1, seconds: 1, shareOfCheckTime: 0.7, perExpression: null, perExpressionSource: null } }), 'cel.time-share').action, /--scenario/);
});

test('memory.heap-limit: the old generation against --max-old-space-size when known', () => {
  const mem = healthy().memory!;
  const f = one(healthy({ memory: { ...mem, oldGenUsedBytes: 60 * 2 ** 20, oldGenLimitBytes: 64 * 2 ** 20 } }), 'memory.heap-limit');
  assert.equal(f.severity, 'critical');
  assert.match(f.action, /lower --cache-size from 10,000.*raise --max-old-space-size above 64 MiB/);
  assert.equal(one(healthy({ memory: { ...mem, heapUsedBytes: 3400 * 2 ** 20 } }), 'memory.heap-limit').severity, 'warning');
});

test('memory.gc: GC time share and long pauses, with the heap share deciding the action', () => {
  const mem = healthy().memory!;
  const near = one(healthy({ memory: { ...mem, gcTimeShare: 0.2, oldGenUsedBytes: 44 * 2 ** 20, oldGenLimitBytes: 64 * 2 ** 20 } }), 'memory.gc');
  assert.equal(near.severity, 'critical');
  assert.match(near.action, /near its limit/);
  const churn = one(healthy({ memory: { ...mem, gcTimeShare: 0.07 } }), 'memory.gc');
  assert.equal(churn.severity, 'warning');
  assert.match(churn.action, /allocation churn/);
  assert.ok(ids(healthy({ memory: { ...mem, gcByKind: [{ kind: 'major', count: 2, seconds: 0.2, p99Ms: 1000 }] } })).includes('memory.gc'), 'mean major pause 100 ms');
});

test('memory.external and memory.go-gc', () => {
  const mem = healthy().memory!;
  assert.ok(ids(healthy({ memory: { ...mem, externalBytes: 200 * 2 ** 20 } })).includes('memory.external'));
  const go = one(healthy({ flavour: 'cerbos', cache: null, cel: null, eventLoop: null, memory: { ...mem, gcCpuShare: 0.17, gogcPercent: 100 } }), 'memory.go-gc');
  assert.match(go.action, /GOMEMLIMIT.*GOGC from 100/);
});

test('event-loop.delay: warning from 20 ms, critical from 100 ms in most intervals', () => {
  assert.equal(one(healthy({ eventLoop: { p99Ms: 40, maxMs: 60, meanMs: 12, medianP99Ms: 30 } }), 'event-loop.delay').severity, 'warning');
  assert.equal(one(healthy({ eventLoop: { p99Ms: 240, maxMs: 300, meanMs: 50, medianP99Ms: 20 } }), 'event-loop.delay').severity, 'warning', 'one stalled interval');
  assert.equal(one(healthy({ eventLoop: { p99Ms: 240, maxMs: 300, meanMs: 50, medianP99Ms: 150 } }), 'event-loop.delay').severity, 'critical');
});

test('database rules: statements, absent pg_stat_statements, long-running queries, sequential scans, connections', () => {
  const slow = one(healthy({ database: database({ statements: [{ query: 'SELECT * FROM decisions WHERE actor = $1', calls: 50, meanMs: 140, totalMs: 7000, rows: 50 }] }) }), 'database.slow-statement');
  assert.equal(slow.severity, 'critical');
  const absent = one(healthy({ database: database({ statements: null, statementsAbsentReason: 'pg_stat_statements must be loaded via shared_preload_libraries' }) }), 'database.pg-stat-statements-absent');
  assert.match(absent.title, /pg_stat_statements is absent.*shared_preload_libraries/);
  assert.match(one(healthy({ database: database({ activity: [{ pid: 7, state: 'active', durationMs: 4000, waitEvent: 'Lock:relation', query: 'UPDATE policies SET x = 1' }] }) }), 'database.long-running').action, /pg_blocking_pids/);
  assert.match(one(healthy({ database: database({ tableScans: [{ table: 'public.decisions', seqScans: 40, seqRowsRead: 800_000, indexScans: 2, liveRows: 20_000 }] }) }), 'database.seq-scan').action, /authz-perf explain/);
  assert.equal(one(healthy({ database: database({ connections: 97 }) }), 'pool.db-connections').severity, 'critical');
  assert.ok(ids(healthy({ database: database({ idleInTransaction: 3 }) })).includes('pool.db-waits'));
  assert.ok(ids(healthy({ load: load({ connectionsExhausted: 40 }) })).includes('pool.client-connections'));
});

test('target.lost: the engine stopped answering during the window (critical), with the heap it was last seen at', () => {
  const mem = healthy().memory!;
  const f = one(healthy({ lostTarget: 'connect ECONNREFUSED 127.0.0.1:4000', memory: { ...mem, oldGenUsedBytes: 60 * 2 ** 20, oldGenLimitBytes: 64 * 2 ** 20 } }), 'target.lost');
  assert.equal(f.severity, 'critical');
  assert.match(f.title, /94 % of --max-old-space-size/);
  assert.match(f.action, /ECONNREFUSED/);
});

test('findings come most severe first', () => {
  const list = applyRules(healthy({ eventLoop: { p99Ms: 40, maxMs: 60, meanMs: 12, medianP99Ms: 30 }, serverCpu: 0.97, cache: { hits: 100, misses: 900, hitRate: 0.1, entries: 900, maxEntries: 10_000, ttlS: 60 } }));
  assert.deepEqual(list.map((f) => f.severity), ['critical', 'warning', 'info']);
  assert.equal(worstSeverity(list), 'critical');
});
