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
  const server = await startTestServer({
    delayMs: (t) => {
      first ??= t;
      // once, 300 ms into the first step
      if (stallUntil === null && t - first >= 300) stallUntil = t + 400;
      return stallUntil !== null && t < stallUntil ? stallUntil - t : 0;
    },
  });
  try {
    const { section } = await runLoadtest({
      base: { targetUrl: server.url, bundledTarget: false, scenario: null, seed: 1, maxConnections: 16, timeoutMs: 5000, requestPoolSize: 50, lateThresholdMs: 10 },
      shape: null,
      findMax: {
        startRps: 200,
        stepDurationS: 1,
        maxSteps: 1,
        sloP99Ms: 100,
        maxErrorRate: 0.001,
        minSamples: 150,
        autocannon: false,
        autocannonConnections: 2,
      },
      thresholds: [],
      source,
      origin: server.url,
      metricsUrl: null,
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
  } finally {
    await server.close();
  }
});
