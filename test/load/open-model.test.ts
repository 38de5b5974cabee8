/** The open model on a fake clock with network-free senders: exact send times, stalls, errors, drops. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runOpenModel, type OpenModelOptions } from '../../src/load/open-model.js';
import { LoadShape } from '../../src/load/schedule.js';
import { buildRequestSource } from '../../src/load/request-source.js';
import { buildSection } from '../../src/load/section.js';
import type { LoadtestConfig } from '../../src/load/types.js';
import { checkRequest, startTestServer } from './servers.js';
import { FakeClock } from './fake-clock.js';
import { fakeTarget } from './fake-senders.js';

const source = buildRequestSource(Array.from({ length: 50 }, (_, i) => checkRequest(i, 1 + (i % 3))), null);

function config(rps: number, durationS: number, maxConnections: number): LoadtestConfig {
  return {
    model: 'open',
    targetUrl: 'http://127.0.0.1',
    bundledTarget: false,
    scenario: null,
    profile: null,
    seed: 1,
    stages: [{ durationS, target: rps }],
    plannedDurationS: durationS,
    maxConnections,
    timeoutMs: 5000,
    thinkTimeMs: null,
    requestPoolSize: 50,
    lateThresholdMs: 10,
  };
}

function fakeRun(clock: FakeClock, senders: OpenModelOptions['senders'], rps: number, durationS: number, maxConnections: number, extra: Partial<OpenModelOptions> = {}) {
  return runOpenModel({
    origin: 'http://127.0.0.1:9',
    timeoutMs: 5000,
    source,
    shape: new LoadShape([{ durationS, target: rps }], rps),
    maxConnections,
    lateThresholdMs: 10,
    clock,
    ...(senders ? { senders } : {}),
    ...extra,
  });
}

test('inside capacity every request goes out exactly at its intended time, evenly spread', async () => {
  const clock = new FakeClock();
  const target = fakeTarget(clock, { serviceMs: () => 1 });
  const run = await fakeRun(clock, target.senders, 500, 2, 100);
  const s = buildSection(run, config(500, 2, 100), []);
  assert.equal(target.sends.length, 1000);
  target.sends.forEach((x, i) => {
    assert.equal(x.intendedMs, i * 2, `request ${i}`);
    assert.equal(x.sentMs, i * 2, `request ${i}`);
    assert.equal(x.doneMs, i * 2 + 1);
    assert.equal(x.bodyIndex, i % 50);
  });
  assert.equal(s.counts.scheduled, 1000);
  assert.equal(s.counts.succeeded, 1000);
  assert.equal(s.counts.late, 0);
  assert.equal(s.rates.achievedRps, 500);
  assert.equal(s.latency.corrected!.maxMs, 1);
  assert.equal(s.latency.corrected!.minMs, 1);
  assert.equal(s.scheduler!.lagMaxMs, 0.001, 'lag 0 is recorded as the histogram floor of 1 µs');
  assert.deepEqual(s.series.map((p) => [p.sentRps, p.completedRps, p.targetRps]), [[500, 500, 500], [500, 500, 500]]);
  // one request at a time: the two connections opened up front are all it needs
  assert.equal(s.connections.opened, 2);
  assert.equal(s.connections.peakInFlight, 1);
});

test('above 1,000 req/s the scheduler wakes every millisecond and sends what is due, late by under 1 ms', async () => {
  const clock = new FakeClock();
  const target = fakeTarget(clock, { serviceMs: () => 1 });
  await fakeRun(clock, target.senders, 4000, 0.1, 100);
  assert.equal(target.sends.length, 400);
  target.sends.forEach((x, i) => {
    assert.equal(x.intendedMs, i / 4);
    // the timer sleeps at least 1 ms: the wake-up after request 0 is at 1 ms
    assert.equal(x.sentMs, Math.ceil(i / 4), `request ${i}`);
  });
});

test('a 1 s stall shows in corrected latency, not in service time; queued requests go out as connections free up', async () => {
  const clock = new FakeClock();
  // 200 req/s for 5 s, 1 ms each; everything arriving during [2000, 3000) is answered at 3000 + 1 ms
  const target = fakeTarget(clock, { serviceMs: (t) => (t >= 2000 && t < 3000 ? 3001 - t : 1) });
  const run = await fakeRun(clock, target.senders, 200, 5, 4);
  const s = buildSection(run, config(200, 5, 4), []);
  assert.equal(s.counts.scheduled, 1000);
  assert.equal(s.counts.succeeded, 1000, 'every request is answered');
  assert.equal(s.counts.dropped, 0);
  // the pool grows no further than the rate needs (4 × 200/s × 1 ms is under one connection), so
  // the 2 opened up front take the requests of 2000 and 2005, and the next 198 wait for them
  assert.equal(s.connections.opened, 2);
  const stalled = target.sends.filter((x) => x.intendedMs >= 2000 && x.intendedMs < 3000);
  assert.deepEqual(stalled.slice(0, 2).map((x) => [x.sentMs, x.doneMs]), [[2000, 3001], [2005, 3001]]);
  // 198 arrive during the stall; 23 more (3000 … 3110) queue behind them while the backlog
  // drains at 2 per ms
  assert.equal(s.connections.exhaustedCount, 221);
  const first = stalled[2]!;
  assert.deepEqual([first.intendedMs, first.scheduledMs, first.sentMs, first.doneMs], [2010, 2010, 3001, 3002]);
  // corrected: the request of 2000 waited 1001 ms; service time of the queued ones is 1 ms
  assert.ok(Math.abs(s.latency.corrected!.maxMs - 1001) <= 1, `corrected max ${s.latency.corrected!.maxMs}`);
  assert.ok(s.latency.corrected!.p99Ms! >= 500, `corrected p99 ${s.latency.corrected!.p99Ms}`);
  assert.equal(s.latency.service.p99Ms, 1);
  assert.equal(s.counts.late, target.sends.filter((x) => x.sentMs - x.intendedMs > 10).length);
  assert.ok(s.warnings.some((w) => w.includes('221 requests found no free connection')));
  // the split says where it went: connection wait, not the scheduler
  const split = s.latencySplit!;
  const top = split.percentiles.find((p) => p.percentile === 99)!;
  assert.ok(top.waitMs > 400 && top.lagMs === 0, JSON.stringify(top));
});

test('errors are counted by class and kept out of latency (fake clock)', async () => {
  const clock = new FakeClock();
  const target = fakeTarget(clock, { status: (n) => (n % 10 === 9 ? 503 : 200) });
  const run = await fakeRun(clock, target.senders, 200, 1, 50);
  const s = buildSection(run, config(200, 1, 50), []);
  assert.equal(s.counts.completed, 200);
  assert.equal(s.errors.byStatus['503'], 20);
  assert.equal(s.errors.total, 20);
  assert.equal(s.latency.service.count, 180);
  assert.equal(s.errors.rate, 0.1);
});

test('a request waiting longer than the timeout for a connection is dropped, not sent', async () => {
  const clock = new FakeClock();
  // one connection, every answer takes 300 ms; 100 req/s for 1 s with a 500 ms timeout
  const target = fakeTarget(clock, { serviceMs: () => 300 });
  const run = await fakeRun(clock, target.senders, 100, 1, 1, { timeoutMs: 500 });
  const c = run.recorder.counts;
  assert.equal(c.scheduled, 100);
  assert.equal(c.sent + c.dropped, 100);
  // each time the connection frees up it takes the oldest request at most 500 ms old; at 1500
  // the newest (990) is 510 ms old, so the rest of the queue is dropped
  assert.deepEqual(target.sends.map((x) => x.sentMs), [0, 300, 600, 900, 1200]);
  assert.deepEqual(target.sends.map((x) => x.intendedMs), [0, 10, 100, 400, 700]);
  assert.equal(c.dropped, 95);
});

test('an abort stops sending at once; in-flight requests get the drain time, waiting ones are dropped', async () => {
  const clock = new FakeClock();
  const target = fakeTarget(clock, { serviceMs: () => 75 });
  const abort = new AbortController();
  clock.setTimer(() => abort.abort(), 500);
  const run = await fakeRun(clock, target.senders, 100, 10, 2, { signal: abort.signal, drainMs: 20 });
  assert.equal(run.interrupted, true);
  assert.equal(run.durationS, 0.5);
  assert.ok(target.sends.every((x) => x.intendedMs <= 490 && x.sentMs <= 500));
  // two 75 ms requests at a time over 10 ms arrivals: a backlog builds; it is dropped at the abort
  const c = run.recorder.counts;
  assert.equal(c.scheduled, 50);
  assert.equal(c.sent + c.dropped, 50);
  assert.ok(c.dropped > 0);
  // the two in flight (sent at 450 and 460) would finish at 525 and 535, after the 20 ms drain
  assert.deepEqual(target.sends.filter((x) => x.doneMs === null).map((x) => x.sentMs), [450, 460]);
  assert.equal(c.abandoned, 2);
});

test('nothing listening: connect errors (real sockets)', async () => {
  const closed = await startTestServer();
  const url = closed.url;
  await closed.close();
  const run = await runOpenModel({ origin: url, timeoutMs: 2000, source, shape: new LoadShape([{ durationS: 0.2, target: 50 }], 50), maxConnections: 5, lateThresholdMs: 10 });
  assert.equal(run.recorder.errors.connect, run.recorder.counts.completed);
  assert.ok(run.recorder.counts.completed > 0);
});
