import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openScenario } from '../../src/bench/engine-adapter.js';
import { runBenchSuite } from '../../src/bench/suite.js';
import type { Engine } from '../../src/engine/index.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const FIXTURE = path.join(ROOT, 'test/fixtures/bench-scenario');
const REQUESTS = 32;

test('openScenario traces each request once: the same evaluations a fresh uncached engine performs', async () => {
  const sc = await openScenario(FIXTURE, { seed: 1, requests: REQUESTS });
  assert.equal(sc.traces.length, sc.requests.length);
  const fresh = sc.createEngine(false);
  let evaluations = 0;
  sc.requests.forEach((req, i) => {
    const expected = fresh.trace(req);
    const got = sc.traces[i]!;
    assert.deepEqual(got.map((e) => e.conditionId), expected.map((e) => e.conditionId), `request ${i}`);
    got.forEach((e, j) => {
      // the policy set's own compiled program, and an activation equal to the one any uncached engine builds
      assert.equal(e.program, expected[j]!.program);
      assert.equal(e.expr, expected[j]!.expr);
      assert.deepEqual(e.activation, expected[j]!.activation);
      assert.notEqual(e.activation, expected[j]!.activation);
    });
    evaluations += got.length;
  });
  assert.ok(evaluations > 0);
  // every expression of the fixture is evaluated by 32 requests: no "not evaluated" warning
  assert.deepEqual(sc.warnings, []);
});

test('openScenario warns about expressions the sampled requests never evaluated', async () => {
  const sc = await openScenario(FIXTURE, { seed: 1, requests: 1 });
  const seen = new Set(sc.traces.flat().map((e) => e.conditionId));
  const missing = sc.policySet.expressions.filter((e) => !seen.has(e.id)).length;
  assert.ok(missing > 0, 'one request should leave some expression unevaluated');
  assert.deepEqual(sc.warnings, [
    `${missing} of ${sc.policySet.expressions.length} CEL expressions were not evaluated by the 1 sampled requests (no per-condition task for them)`,
  ]);
});

test('a bench run traces every sampled request exactly once', async () => {
  const probe = await openScenario(FIXTURE, { seed: 1, requests: 1 });
  const proto = Object.getPrototypeOf(probe.createEngine(false).engine) as Engine;
  const original = proto.traceCheck;
  let calls = 0;
  proto.traceCheck = function (this: Engine, req) {
    calls++;
    return original.call(this, req);
  };
  try {
    const section = await runBenchSuite({
      scenarios: [FIXTURE],
      timeMs: 5,
      iterations: 8,
      warmupMs: 0,
      warmupIterations: 0,
      quick: true,
      http: false,
      celEngines: false,
      seed: 1,
      requests: REQUESTS,
      stageSamples: 20,
      memory: false,
    });
    assert.equal(section.scenarios.length, 1);
    assert.ok(section.scenarios[0]!.overheadRatio !== null, 'the overhead pass ran on the traced evaluations');
  } finally {
    proto.traceCheck = original;
  }
  assert.equal(calls, REQUESTS);
});
