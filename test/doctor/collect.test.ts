/**
 * collect() on real expositions: our serve scraped before and after real checks, and the Cerbos
 * 0.55 binary's /_cerbos/metrics (captured from the real binary into the fixture).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { collect, detectFlavour } from '../../src/doctor/collect.js';
import { parseScrape } from '../../src/doctor/prom.js';
import { createRequestStream, takeRequests } from '../../src/scenario/index.js';
import { inProcessServe, realDeps } from './helpers.js';

const CERBOS = readFileSync(new URL('../../../test/doctor/fixtures/cerbos-0.55-metrics.txt', import.meta.url), 'utf8');

test("serve: requests, latency, cache, CEL, memory and event loop from two scrapes of a real server", async () => {
  const engine = await inProcessServe('abac-cel', { maxEntries: 50, ttlMs: 60_000 });
  try {
    const before = parseScrape(await realDeps.fetchText(`${engine.url}/metrics`), 0);
    const requests = takeRequests(createRequestStream(engine.scenario, { seed: 1 }), 40);
    for (const r of [...requests, ...requests]) {
      const res = await request(`${engine.url}/api/check/resources`, { method: 'POST', body: JSON.stringify(r) });
      await res.body.text();
    }
    const okOnly = parseScrape(await realDeps.fetchText(`${engine.url}/metrics`), 1000);
    assert.deepEqual(collect([before, okOnly]).figures.requests, { count: 80, rps: 80, errors: 0, errorRate: 0 }, 'no error-coded sample yet: none failed');
    const bad = await request(`${engine.url}/api/check/resources`, { method: 'POST', body: '{' });
    await bad.body.text();
    const after = parseScrape(await realDeps.fetchText(`${engine.url}/metrics`), 2000);
    const { figures, series } = collect([before, after]);
    assert.equal(figures.flavour, 'authz-perf');
    assert.equal(figures.windowS, 2);
    assert.equal(figures.requests!.count, 81);
    assert.equal(figures.requests!.errors, 1, 'the 400 counts as a failed check request');
    assert.equal(figures.latency!.count, 80, 'only answered checks are in the histogram');
    assert.ok(figures.latency!.p99Ms! >= figures.latency!.p50Ms!);
    const c = figures.cache!;
    assert.ok(c.hits + c.misses >= 80 && c.hits > 0);
    assert.equal(c.maxEntries, 50);
    assert.equal(c.ttlS, 60);
    assert.ok(c.entries! > 0);
    assert.ok(figures.cel!.evaluations! > 0);
    assert.ok(figures.memory!.heapUsedBytes! > 0 && figures.memory!.heapLimitBytes! > figures.memory!.heapUsedBytes!);
    assert.ok(figures.memory!.oldGenUsedBytes! > 0 && figures.memory!.oldGenUsedBytes! < figures.memory!.heapUsedBytes!);
    assert.ok(figures.eventLoop !== null);
    assert.equal(series.length, 1);
    assert.equal(series[0]!.rps, 40.5);
  } finally {
    await engine.stop();
  }
});

test('Cerbos: flavour, check count from the RPC counters, Go memory and GC figures', () => {
  const a = parseScrape(CERBOS, 0);
  // a second scrape 10 s later with 100 more checks, 2 of them failed, and some GC CPU
  const bumped = CERBOS.replace(/^(rpc_server_call_duration_seconds_count\{[^}]*\}) (\d+)$/m, (_, k: string, v: string) => `${k} ${Number(v) + 100}\nrpc_server_call_duration_seconds_count{rpc_method="cerbos.svc.v1.CerbosService/CheckResources",rpc_response_status_code="Internal",rpc_system_name="grpc"} 2`)
    .replace(/^go_cpu_classes_gc_total_cpu_seconds_total (.+)$/m, (_, v: string) => `go_cpu_classes_gc_total_cpu_seconds_total ${Number(v) + 0.5}`)
    .replace(/^go_cpu_classes_total_cpu_seconds_total (.+)$/m, (_, v: string) => `go_cpu_classes_total_cpu_seconds_total ${Number(v) + 4}`);
  const b = parseScrape(bumped, 10_000);
  assert.equal(detectFlavour(a), 'cerbos');
  const { figures } = collect([a, b]);
  assert.equal(figures.flavour, 'cerbos');
  assert.equal(figures.engineCores, 2, 'GOMAXPROCS from go_sched_gomaxprocs_threads');
  assert.equal(figures.requests!.count, 102);
  assert.equal(figures.requests!.errors, 2);
  assert.equal(figures.cache, null, 'Cerbos has no decision cache');
  assert.equal(figures.memory!.heapLimitBytes, null, 'GOMEMLIMIT unset (math.MaxInt64)');
  assert.equal(figures.memory!.gogcPercent, 100);
  assert.equal(figures.memory!.gcCpuShare, 0.125);
  assert.ok(figures.memory!.heapUsedBytes! > 0);
  assert.equal(figures.eventLoop, null);
});

test('collect refuses fewer than two scrapes', () => {
  assert.throws(() => collect([parseScrape('', 0)]), /two scrapes/);
});

test("event-loop delay: less the monitor's own timer interval (the interval's minimum), worst and median interval", () => {
  const lag = (p99: number, min: number, max: number, at: number) =>
    parseScrape(`process_cpu_seconds_total ${at}\nnodejs_eventloop_lag_p99_seconds ${p99}\nnodejs_eventloop_lag_min_seconds ${min}\nnodejs_eventloop_lag_max_seconds ${max}\nnodejs_eventloop_lag_mean_seconds ${min + 0.001}`, at * 1000);
  // the first scrape covers the time before the window: ignored
  const { figures } = collect([lag(0.9, 0.0093, 1, 0), lag(0.0107, 0.0093, 0.0136, 1), lag(0.0593, 0.0093, 0.0893, 2), lag(0.0133, 0.0093, 0.0153, 3)]);
  assert.deepEqual(figures.eventLoop, { p99Ms: 50, maxMs: 80, meanMs: 1, medianP99Ms: 4 });
});
