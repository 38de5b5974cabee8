/** The scrape loop on an injected clock: how many scrapes a window takes, the load-bound window, failures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { observe, type ObserveDeps } from '../../src/doctor/observe.js';
import { total } from '../../src/doctor/prom.js';

/** A clock that moves only when the loop sleeps, and a target whose counter counts its scrapes. */
function fakeDeps(failFrom = Infinity): ObserveDeps & { scrapes: number } {
  let t = 0;
  const deps = {
    scrapes: 0,
    now: () => t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (!signal?.aborted) t += ms;
    },
    fetchText: async () => {
      deps.scrapes++;
      if (deps.scrapes >= failFrom) throw new Error('connect ECONNREFUSED');
      return `scrapes_total ${deps.scrapes}\n`;
    },
  };
  return deps;
}

test('a fixed window: a scrape at the start, one per interval, one at the end', async () => {
  const deps = fakeDeps();
  const { scrapes, lost } = await observe({ metricsUrl: 'http://t/metrics', intervalMs: 2000, windowMs: 10_000 }, deps);
  assert.deepEqual(scrapes.map((s) => s.atMs), [0, 2000, 4000, 6000, 8000, 10_000]);
  assert.deepEqual(scrapes.map((s) => total(s, 'scrapes_total')), scrapes.map((_, i) => i + 1));
  assert.equal(lost, null);
});

test('a window bound to a load run ends when the run does', async () => {
  const deps = fakeDeps();
  let finish!: () => void;
  const run = new Promise<void>((resolve) => (finish = resolve));
  const sleep = deps.sleep;
  let sleeps = 0;
  deps.sleep = async (ms, signal) => {
    await sleep(ms, signal);
    if (++sleeps === 3) finish();
    await Promise.resolve();
  };
  const { scrapes } = await observe({ metricsUrl: 'http://t/metrics', intervalMs: 1000, until: run }, deps);
  assert.ok(scrapes.length >= 3 && scrapes.length <= 5, `${scrapes.length} scrapes`);
});

test('the first scrape failing is an input error; the last failing ends the window at the scrape before it', async () => {
  await assert.rejects(observe({ metricsUrl: 'http://t/metrics', intervalMs: 1000, windowMs: 3000 }, fakeDeps(1)), /cannot read the metrics at http:\/\/t\/metrics: connect ECONNREFUSED/);
  const { scrapes, lost } = await observe({ metricsUrl: 'http://t/metrics', intervalMs: 1000, windowMs: 5000 }, fakeDeps(3));
  assert.equal(scrapes.length, 2);
  assert.match(lost!, /ECONNREFUSED/);
});

test('an aborted run stops scraping and takes the last scrape at once', async () => {
  const deps = fakeDeps();
  const abort = new AbortController();
  abort.abort();
  const { scrapes } = await observe({ metricsUrl: 'http://t/metrics', intervalMs: 1000, windowMs: 60_000, signal: abort.signal }, deps);
  assert.equal(scrapes.length, 2);
  assert.equal(scrapes[1]!.atMs, 0);
});
