/** --find-max against a loopback server that stalls once: the failed step is re-run and holds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLoadtest } from '../../src/load/run.js';
import { buildRequestSource } from '../../src/load/request-source.js';
import { checkRequest, startTestServer } from './servers.js';

const source = buildRequestSource(
  Array.from({ length: 50 }, (_, i) => checkRequest(i)),
  null,
);

test('one 400 ms stall breaks the first attempt of a step; the re-run holds and the report says so', { timeout: 20_000 }, async () => {
  let first: number | null = null;
  let stallUntil: number | null = null;
  let checks = (): number => 0;
  const server = await startTestServer({
    metrics: () => `process_cpu_seconds_total 1\nhttp_requests_total{route="/api/check/resources"} ${checks()}\nhttp_requests_total{route="/metrics"} 9\n`,
    delayMs: (t) => {
      first ??= t;
      // once, 300 ms into the first step
      if (stallUntil === null && t - first >= 300) stallUntil = t + 400;
      return stallUntil !== null && t < stallUntil ? stallUntil - t : 0;
    },
  });
  checks = () => server.arrivals.length;
  try {
    const { section } = await runLoadtest({
      base: { targetUrl: server.url, bundledTarget: false, scenario: null, seed: 1, maxConnections: 16, timeoutMs: 5000, requestPoolSize: 50, lateThresholdMs: 10 },
      shape: null,
      findMax: {
        startRps: 200,
        stepDurationS: 1,
        maxSteps: 1,
        // far below the 400 ms stall, far above a busy host's hiccups in the re-run
        sloP99Ms: 250,
        maxErrorRate: 0.001,
        minSamples: 150,
        autocannon: false,
        autocannonConnections: 2,
      },
      thresholds: [],
      source,
      origin: server.url,
      metricsUrl: `${server.url}/metrics`,
      warmupRequests: 40,
    });
    const f = section.findMax!;
    assert.equal(f.steps.length, 1);
    const step = f.steps[0]!;
    assert.equal(step.targetRps, 200);
    assert.equal(step.retries, 1, JSON.stringify(step));
    assert.ok(step.firstAttempt!.p99Ms >= 200, `the stalled attempt's p99 shows the stall: ${step.firstAttempt!.p99Ms} ms`);
    assert.equal(step.verdict, 'passed', `re-run p99 ${step.p99Ms} ms`);
    assert.equal(step.passed, true);
    assert.ok(step.samples! >= 150);
    assert.equal(f.highestPassingRps, 200);
    assert.equal(f.minSamples, 150);
    assert.ok(section.warnings.some((w) => /re-ran 1 failed step/.test(w)), section.warnings.join('\n'));
    // the server's request count over the scrape window equals everything sent in it, by purpose
    const v = section.server!;
    const sent = v.sent!;
    assert.equal(sent.total, sent.measured + sent.warmup + sent.probe + sent.autocannon);
    assert.equal(v.requests, sent.total, JSON.stringify(sent));
    assert.equal(v.requests, server.arrivals.length);
    assert.equal(sent.measured, 400, 'both attempts of the 1 s step at 200 req/s');
    assert.ok(sent.warmup > 0 && sent.probe > 0, JSON.stringify(sent));
    assert.equal(sent.autocannon, 0);
  } finally {
    await server.close();
  }
});
