/** k6 interop: exported script shape, and k6 summaries imported as loadtest reports. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { k6Script } from '../../src/load/k6-export.js';
import { k6SummaryReport as importK6Summary } from '../../src/cli/k6-import.js';
import { parseThreshold } from '../../src/load/thresholds.js';
import { validateReportShape } from '../../src/report/schema.js';
import { InputError } from '../../src/util/errors.js';
import type { LoadtestConfig } from '../../src/load/types.js';

const fixture = async (name: string): Promise<unknown> => JSON.parse(await readFile(new URL(`../../../test/fixtures/${name}`, import.meta.url), 'utf8')) as unknown;

test('handleSummary data: rates, service percentiles and threshold results', async () => {
  const r = importK6Summary(await fixture('k6-summary.json'), 'k6-summary.json', new Date('2026-11-23T10:00:00Z'));
  const s = r.loadtest;
  assert.equal(s.importedFrom, 'k6');
  assert.equal(s.counts.sent, 59000);
  assert.equal(s.counts.failed, 59);
  assert.equal(s.counts.dropped, 12);
  assert.equal(s.durationS, 30.013);
  assert.equal(s.latency.corrected, null);
  assert.equal(s.latency.service.p99Ms, 8.8);
  assert.equal(s.latency.service.p50Ms, 0.92);
  assert.deepEqual(
    s.thresholds.map((t) => [t.expression, t.actual, t.passed]),
    [
      ['http_req_duration: p(99)<5', 8.8, false],
      ['http_req_duration: p(95)<10', 3.4, true],
      ['http_req_failed: rate<0.01', 0.001, true],
    ],
  );
  assert.equal(s.thresholdsPassed, false);
  assert.ok(s.warnings.some((w) => w.includes("checks: 'rate>0.99' has no authz-perf equivalent")));
  assert.deepEqual(validateReportShape(r), []);
});

test('legacy --summary-export: threshold true means failed', async () => {
  const s = importK6Summary(await fixture('k6-summary-export.json'), 'x.json').loadtest;
  assert.deepEqual(
    s.thresholds.map((t) => [t.expression, t.passed]),
    [
      ['http_req_duration: p(95)<10', true],
      ['http_req_failed: rate<0.01', false],
    ],
  );
  assert.equal(s.counts.failed, 2);
  assert.equal(s.rates.achievedRps, 49);
});

test('not a k6 summary is an input error naming the file', () => {
  assert.throws(() => importK6Summary({ foo: 1 }, 'bad.json'), (e: unknown) => e instanceof InputError && e.describe().startsWith('bad.json: not a k6'));
});

test('exported script: arrival-rate scenario, embedded requests, translated thresholds', () => {
  const config: LoadtestConfig = {
    model: 'open',
    targetUrl: 'http://127.0.0.1:3592',
    bundledTarget: true,
    scenario: 'abac-cel',
    profile: null,
    seed: 7,
    stages: [{ durationS: 30, target: 2000 }],
    plannedDurationS: 30,
    maxConnections: 500,
    timeoutMs: 10_000,
    thinkTimeMs: null,
    requestPoolSize: 2,
    lateThresholdMs: 10,
  };
  const script = k6Script({
    config,
    startTarget: 2000,
    path: '/api/check/resources',
    bodies: [Buffer.from('{"a":1}'), Buffer.from('{"b":2}')],
    thresholds: [parseThreshold('p99<50ms'), parseThreshold('error_rate<0.1%'), parseThreshold('rps>=1900')],
    generatedAt: new Date('2026-11-23T10:00:00Z'),
  });
  assert.match(script, /"executor": "constant-arrival-rate"/);
  assert.match(script, /"rate": 2000/);
  assert.match(script, /"duration": "30s"/);
  assert.match(script, /"http_req_duration": \[\s*"p\(99\)<50"\s*\]/);
  assert.match(script, /"http_req_failed": \[\s*"rate<0.001"\s*\]/);
  assert.match(script, /"http_reqs": \[\s*"rate>=1900"\s*\]/);
  assert.ok(script.includes(`const REQUESTS = ["{\\"a\\":1}","{\\"b\\":2}"];`));
  const ramp = k6Script({ config: { ...config, model: 'closed', stages: [{ durationS: 10, target: 50 }], thinkTimeMs: [100, 500] }, startTarget: 0, path: '/p', bodies: [], thresholds: [], generatedAt: new Date(0) });
  assert.match(ramp, /"executor": "ramping-vus"/);
  assert.match(ramp, /sleep\(\(100 \+ Math.random\(\) \* 400\) \/ 1000\)/);
});

test('exported dropped_rate: a share of the requests the ramp plans (it rises from the start rate), open model only', () => {
  const config: LoadtestConfig = {
    model: 'open',
    targetUrl: 'http://127.0.0.1:3592',
    bundledTarget: true,
    scenario: null,
    profile: null,
    seed: 1,
    stages: [{ durationS: 30, target: 100 }],
    plannedDurationS: 30,
    maxConnections: 64,
    timeoutMs: 10_000,
    thinkTimeMs: null,
    requestPoolSize: 1,
    lateThresholdMs: 10,
  };
  const input = { path: '/p', bodies: [], thresholds: [parseThreshold('dropped_rate<1%')], generatedAt: new Date(0) };
  // 0 → 100 req/s over 30 s plans 1,500 requests; 1% of them is 15
  assert.match(k6Script({ ...input, config, startTarget: 0 }), /"dropped_iterations": \[\s*"count<15"\s*\]/);
  assert.doesNotMatch(k6Script({ ...input, config: { ...config, model: 'closed' }, startTarget: 0 }), /dropped_iterations/);
});
