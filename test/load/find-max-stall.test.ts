/**
 * --find-max against a target that stalls once (fake clock: deterministic): the failed step is
 * re-run and holds. Then, on real sockets, the server's own request count equals what the
 * generator says it sent, by purpose, and the achieved rate matches it within 1%.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLoadtest } from '../../src/load/run.js';
import { searchMaxRate } from '../../src/load/find-max.js';
import { runOpenModel } from '../../src/load/open-model.js';
import { LoadShape } from '../../src/load/schedule.js';
import { buildRequestSource } from '../../src/load/request-source.js';
import { checkRequest, startTestServer, type TestServer } from './servers.js';
import { FakeClock } from './fake-clock.js';
import { fakeTarget } from './fake-senders.js';

const source = buildRequestSource(
  Array.from({ length: 50 }, (_, i) => checkRequest(i)),
  null,
);

test('one 400 ms stall breaks the first attempt of a step; the re-run holds (fake clock)', async () => {
  const clock = new FakeClock();
  // the first request arriving 300 ms or more into the run starts a 400 ms stall, once
  let stallUntil: number | null = null;
  const target = fakeTarget(clock, {
    serviceMs: (t) => {
      if (stallUntil === null && t >= 300) stallUntil = t + 400;
      return stallUntil !== null && t < stallUntil ? stallUntil - t + 1 : 1;
    },
  });
  const r = await searchMaxRate({
    startRps: 200,
    growth: 2,
    maxSteps: 1,
    resolution: 0.05,
    sloP99Ms: 250,
    maxErrorRate: 0.001,
    stepDurationS: 1,
    minSamples: 150,
    pauseMs: 500,
    clock,
    runStep: (rps, durationS) => runOpenModel({ origin: 'http://x', timeoutMs: 5000, source, shape: new LoadShape([{ durationS, target: rps }], rps), maxConnections: 16, lateThresholdMs: 10, clock, senders: target.senders }),
  });
  assert.equal(r.steps.length, 1);
  const step = r.steps[0]!;
  assert.equal(step.targetRps, 200);
  assert.equal(step.retries, 1);
  // requests every 5 ms from 300 to 700 wait for the stall's end: the one at 300 waits 401 ms
  assert.ok(step.firstAttempt!.p99Ms >= 300 && step.firstAttempt!.p99Ms <= 402, `first attempt p99 ${step.firstAttempt!.p99Ms} ms`);
  assert.equal(step.firstAttempt!.samples, 200);
  assert.equal(step.verdict, 'passed');
  assert.equal(step.p99Ms, 1);
  assert.equal(step.samples, 200);
  assert.equal(r.highestPassingRps, 200);
  // 200 requests in each attempt, each attempt on at most 16 connections
  assert.equal(target.sends.length, 400);
  assert.ok(target.opened() <= 32, `${target.opened()} opened`);
});

/** A test server whose /metrics counts its check requests (and 9 scrapes of /metrics itself). */
async function startCountingServer(): Promise<TestServer> {
  let checks = (): number => 0;
  const server = await startTestServer({
    metrics: () => `process_cpu_seconds_total 1\nhttp_requests_total{route="/api/check/resources"} ${checks()}\nhttp_requests_total{route="/metrics"} 9\n`,
  });
  checks = () => server.arrivals.length;
  return server;
}

test("the achieved rate equals the server's own request count from /metrics within 1%, at a fixed rate", { timeout: 30_000 }, async () => {
  const server = await startCountingServer();
  try {
    const { section } = await runLoadtest({
      base: { targetUrl: server.url, bundledTarget: false, scenario: null, seed: 1, maxConnections: 16, timeoutMs: 5000, requestPoolSize: 50, lateThresholdMs: 10 },
      shape: { model: 'open', stages: [{ durationS: 2, target: 300 }], startTarget: 300, thinkTimeMs: null, profile: null },
      findMax: null,
      thresholds: [],
      source,
      origin: server.url,
      metricsUrl: `${server.url}/metrics`,
      warmupRequests: 40,
    });
    const v = section.server!;
    const sent = v.sent!;
    assert.equal(v.requests, server.arrivals.length);
    assert.equal(v.requests, sent.total, JSON.stringify(sent));
    assert.equal(sent.measured, 600);
    // what the server counted for the measured run against what the generator says succeeded
    const serverMeasured = v.requests! - sent.warmup;
    assert.ok(Math.abs(serverMeasured - section.counts.succeeded) / serverMeasured <= 0.01, `server ${serverMeasured} vs generator ${section.counts.succeeded}`);
    assert.equal(section.counts.succeeded, 600);
  } finally {
    await server.close();
  }
});

test('--find-max: everything sent in the scrape window is accounted for by purpose (warm-up, steps, probe)', { timeout: 30_000 }, async () => {
  const server = await startCountingServer();
  try {
    const { section } = await runLoadtest({
      base: { targetUrl: server.url, bundledTarget: false, scenario: null, seed: 1, maxConnections: 16, timeoutMs: 5000, requestPoolSize: 50, lateThresholdMs: 10 },
      shape: null,
      findMax: { startRps: 200, stepDurationS: 0.5, maxSteps: 1, sloP99Ms: 250, maxErrorRate: 0.001, minSamples: 50, autocannon: false, autocannonConnections: 2, budgetS: 20 },
      thresholds: [],
      source,
      origin: server.url,
      metricsUrl: `${server.url}/metrics`,
      warmupRequests: 40,
    });
    const f = section.findMax!;
    const v = section.server!;
    const sent = v.sent!;
    assert.equal(sent.total, sent.measured + sent.warmup + sent.probe + sent.autocannon);
    assert.equal(v.requests, sent.total, JSON.stringify(sent));
    assert.equal(v.requests, server.arrivals.length);
    assert.equal(sent.measured, 100 * (1 + (f.steps[0]!.retries ?? 0)), 'each attempt of the 0.5 s step at 200 req/s');
    assert.ok(sent.warmup > 0 && sent.probe > 0, JSON.stringify(sent));
    assert.equal(f.budgetS, 20);
    assert.ok(f.elapsedS! <= 20, `${f.elapsedS} s`);
  } finally {
    await server.close();
  }
});
