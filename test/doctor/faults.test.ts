/**
 * Each rule on a fault induced for real: a real engine (`serve` in-process or as a child on
 * 127.0.0.1), real load from the loadtest room, real /metrics scrapes. Runs are a few seconds and
 * a few thousand requests at most; every engine is stopped by its test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDoctor } from '../../src/doctor/run.js';
import type { Finding } from '../../src/doctor/types.js';
import { childServe, doctorOptions, inProcessServe, realDeps } from './helpers.js';

const byRule = (findings: readonly Finding[], id: string): Finding[] => findings.filter((f) => f.ruleId === id);

test('a tiny decision cache under a repeating stream → cache finding: raise --cache-size, hit rate as evidence', async () => {
  const engine = await inProcessServe('abac-cel', { maxEntries: 10, ttlMs: 60_000 });
  try {
    // 200 distinct requests cycled 3×: a cache that held them would answer two thirds from memory
    const { section } = await runDoctor(doctorOptions(engine, { windowS: 2, load: { rps: 300, requestPool: 200 } }), realDeps);
    const [cache] = byRule(section.findings, 'cache.hit-rate');
    assert.ok(cache, `no cache finding; findings: ${section.findings.map((f) => f.ruleId).join(', ')}`);
    assert.match(cache.title, /cache full/);
    assert.match(cache.action, /raise --cache-size from 10 to about/);
    const hit = cache.evidence.find((e) => e.metric.startsWith('authz_perf_decision_cache_hits_total'));
    assert.ok(hit && hit.value < 0.9 && hit.threshold === 0.9, 'the hit rate and its bound are the evidence');
    assert.equal(hit.value, section.metrics.cache!.hitRate);
    assert.ok(section.metrics.cache!.hits + section.metrics.cache!.misses > 100);
  } finally {
    await engine.stop();
  }
});

test('heavy-cel → CEL finding naming the costliest expression, joined with its static cost', async () => {
  const engine = await inProcessServe('heavy-cel');
  try {
    // a fixed set of 300 requests (the budget only guards against a stuck run), so the profile
    // covers the same expressions on a fast or a busy host
    const { section } = await runDoctor(doctorOptions(engine, { windowS: 1.5, load: { rps: 100 }, celProfileBudgetMs: 60_000, celProfileRequests: 300 }), realDeps);
    const profile = section.metrics.cel!.perExpression!;
    assert.ok(profile.length > 3, 'several expressions were profiled');
    const costliest = profile.reduce((a, b) => (b.share > a.share ? b : a));
    const [cel] = byRule(section.findings, 'cel.hot-expression');
    assert.ok(cel, `no CEL finding; findings: ${section.findings.map((f) => f.ruleId).join(', ')}`);
    assert.ok(cel.title.includes(costliest.location), `the finding names ${costliest.location}: ${cel.title}`);
    assert.match(costliest.location, /^scenarios\/heavy-cel\/policies\/dataset\.yaml:\d+:\d+$/);
    assert.match(cel.action, /static cost/);
    assert.ok(cel.evidence.some((e) => e.source?.includes('traceCheck')), 'the evidence says the per-expression time comes from an in-process traceCheck');
    // the server's own CEL counters saw the load too
    assert.ok((section.metrics.cel!.evaluations ?? 0) > 0);
  } finally {
    await engine.stop();
  }
});

test('a healthy run (light load on the bundled engine) has no critical finding', async () => {
  const engine = await inProcessServe('rbac-simple');
  try {
    const { section } = await runDoctor(doctorOptions(engine, { windowS: 2, load: { rps: 50 } }), realDeps);
    const critical = section.findings.filter((f) => f.severity === 'critical');
    assert.deepEqual(critical.map((f) => `${f.ruleId}: ${f.title}`), []);
    assert.equal(section.metrics.flavour, 'authz-perf');
    assert.ok(section.metrics.load!.sent >= 90, 'the load ran');
    assert.ok(section.metrics.requests!.count! >= 90, 'the server counted the requests');
  } finally {
    await engine.stop();
  }
});

test('load above capacity → saturation finding (critical)', async () => {
  const engine = await childServe('heavy-cel', ['--no-cache']);
  try {
    // far above what one serve process evaluates on heavy-cel; short timeout so the backlog is dropped, not drained
    const { section } = await runDoctor(doctorOptions(engine, { windowS: 1.5, load: { rps: 12_000, maxConnections: 32, timeoutMs: 500 } }), realDeps);
    const [cap] = byRule(section.findings, 'saturation.capacity');
    assert.ok(cap, `no saturation finding; findings: ${section.findings.map((f) => `${f.ruleId}: ${f.title}`).join(' | ')}`);
    assert.equal(cap.severity, 'critical', `${cap.title}: ${JSON.stringify(cap.evidence)}`);
    assert.match(cap.title, /load above capacity/);
    assert.equal(section.worst, 'critical');
  } finally {
    await engine.stop();
  }
});

test('a small --max-old-space-size with a large cache → memory/GC finding', async (t) => {
  // 48 MiB of old space; heavy-cel's cache entries hold the attribute values they compare (about 3 KB
  // each, two or more per request): 600 distinct requests a second fill it within the window
  const engine = await childServe('heavy-cel', ['--cache-size', '1000000'], ['--max-old-space-size=48']);
  try {
    const { section } = await runDoctor(doctorOptions(engine, { windowS: 3, load: { rps: 600, timeoutMs: 2000 } }), realDeps);
    const memory = section.findings.filter((f) => f.playbook === 'memory-pressure');
    t.diagnostic(`old generation ${section.metrics.memory?.oldGenUsedBytes} of ${section.metrics.memory?.oldGenLimitBytes}, GC share ${section.metrics.memory?.gcTimeShare}; ${memory.map((f) => f.title).join(' | ')}`);
    assert.ok(memory.length > 0, `no memory finding; heap ${section.metrics.memory?.heapUsedBytes} of ${section.metrics.memory?.heapLimitBytes}, GC share ${section.metrics.memory?.gcTimeShare}`);
    assert.ok(memory.some((f) => /--cache-size|--max-old-space-size/.test(f.action)), 'the action names the cache size or the heap limit');
    assert.equal(section.metrics.memory!.oldGenLimitBytes, 48 * 2 ** 20, "the child's --max-old-space-size is read from its metrics");
    assert.ok(section.metrics.memory!.oldGenUsedBytes! > 0);
  } finally {
    await engine.stop();
  }
});

test('an engine that stops during the window → target.lost (critical), figures up to the last good scrape', async () => {
  const engine = await childServe('rbac-simple', []);
  let stopped: Promise<void> | null = null;
  try {
    const timer = setTimeout(() => (stopped = engine.stop()), 1200);
    const { section } = await runDoctor(doctorOptions(engine, { windowS: 2.5, intervalS: 0.5 }), realDeps);
    clearTimeout(timer);
    const [lost] = byRule(section.findings, 'target.lost');
    assert.ok(lost, `no target.lost finding; notes: ${section.notes.join(' | ')}`);
    assert.equal(lost.severity, 'critical');
    assert.ok(section.metrics.scrapes >= 2 && section.windowS < 2.5);
    assert.ok(section.notes.some((n) => n.startsWith('the last scrape failed')));
  } finally {
    await (stopped ?? engine.stop());
  }
});
