/**
 * Starting and closing engine servers in one process never adds prom-client collectors: the
 * process_* / nodejs_* metrics (whose GC observer and event-loop-delay monitor cannot be stopped)
 * are registered once per process and merged into every server's scrape.
 *
 * This file runs in its own process (node --test), so the counts start before any server exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import perfHooks from 'node:perf_hooks';
import { createEngine, compilePolicySources, startServer } from '../../src/engine/index.js';
import { processMetricsRegistry } from '../../src/engine/metrics.js';

// prom-client calls these through require('perf_hooks'), the same object as this default import
let delayMonitors = 0;
let gcObservers = 0;
const monitorEventLoopDelay = perfHooks.monitorEventLoopDelay;
perfHooks.monitorEventLoopDelay = (options) => {
  delayMonitors++;
  return monitorEventLoopDelay(options);
};
const observe = perfHooks.PerformanceObserver.prototype.observe;
perfHooks.PerformanceObserver.prototype.observe = function (this: perfHooks.PerformanceObserver, options) {
  if (('entryTypes' in options && options.entryTypes.includes('gc')) || ('type' in options && options.type === 'gc')) gcObservers++;
  return observe.call(this, options);
};

const policy = `
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [user]
`;
const engine = createEngine(compilePolicySources([{ file: 'doc.yaml', text: policy }]));

async function startAndClose(times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const server = await startServer(engine, { port: 0 });
    await server.close();
  }
}

test('servers started and closed in one process share one set of process collectors', async () => {
  await startAndClose(1);
  const registry = processMetricsRegistry();
  const names = registry.getMetricsAsArray().map((m) => m.name).sort();
  assert.equal(delayMonitors, 1, 'one event-loop-delay monitor after the first server');
  assert.equal(gcObservers, 1, 'one GC observer after the first server');

  await startAndClose(5);
  assert.equal(delayMonitors, 1, 'no event-loop-delay monitor per server');
  assert.equal(gcObservers, 1, 'no GC observer per server');
  assert.equal(processMetricsRegistry(), registry);
  assert.deepEqual(registry.getMetricsAsArray().map((m) => m.name).sort(), names);
});

test("a server's own registry holds only its authz_perf_* metrics", async () => {
  const server = await startServer(engine, { port: 0 });
  try {
    const own = server.metrics.registry.getMetricsAsArray().map((m) => m.name);
    assert.ok(own.length > 0);
    for (const name of own) assert.match(name, /^authz_perf_/);
  } finally {
    await server.close();
  }
});

test('/metrics still exposes the process and Node.js metrics beside the engine ones', async () => {
  const servers = [await startServer(engine, { port: 0 }), await startServer(engine, { port: 0 })];
  try {
    for (const server of servers) {
      const text = await (await fetch(server.url + '/metrics')).text();
      for (const name of [
        'nodejs_eventloop_lag_seconds',
        'process_cpu_user_seconds_total',
        'process_resident_memory_bytes',
        'authz_perf_decisions_total',
        'authz_perf_check_duration_seconds_count',
      ]) {
        assert.match(text, new RegExp(`^${name}[ {]`, 'm'), name);
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
  assert.equal(delayMonitors, 1);
  assert.equal(gcObservers, 1);
});
