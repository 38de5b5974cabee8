/**
 * k6-operator export and the exact merge of its runners' summaries. k6 cannot be installed here,
 * so the exported script itself runs in Node against stand-ins for k6's modules (http, execution,
 * Counter, Trend): its Counters and handleSummary output are what k6 would hand over, and the
 * summaries built from known latencies must merge into exactly the union's percentiles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { createHistogram, summarize } from '../../src/load/histogram.js';
import { K6_BUCKET_PREFIX, k6OperatorFiles, k6SummariesIn, mergeK6Summaries, type K6OperatorInput } from '../../src/load/k6-operator.js';
import { parseThreshold } from '../../src/load/thresholds.js';
import { InputError } from '../../src/util/errors.js';
import { CONFIG } from './runner-fixtures.js';
import { checkRequest } from './servers.js';

const INPUT: K6OperatorInput = {
  config: { ...CONFIG, stages: [{ durationS: 10, target: 300 }] },
  startTarget: 300,
  path: '/api/check/resources',
  bodies: [1, 2, 3].map((i) => Buffer.from(JSON.stringify(checkRequest(i, i)))),
  thresholds: [parseThreshold('p99<=20ms'), parseThreshold('error_rate<=1%'), parseThreshold('dropped_rate<=1%')],
  generatedAt: new Date('2026-12-06T07:00:00Z'),
  parallelism: 3,
  name: 'authz-perf-abac-cel',
};

interface Runner {
  options: { scenarios: Record<string, { executor: string; rate?: number }>; thresholds?: unknown };
  /** one iteration per entry: [status, duration ms] */
  run(iterations: Array<[number, number]>): void;
  summary(durationMs: number, dropped: number): string;
}

/** Loads the exported script as k6 would (once per runner), with its modules replaced by recorders. */
function loadRunner(script: string, segment: string): Runner {
  const counters = new Map<string, number>();
  const trends = new Map<string, number[]>();
  class Counter {
    constructor(readonly name: string) {
      if (!counters.has(name)) counters.set(name, 0);
    }
    add(n: number): void {
      counters.set(this.name, counters.get(this.name)! + n);
    }
  }
  class Trend {
    constructor(readonly name: string) {
      if (!trends.has(name)) trends.set(name, []);
    }
    add(v: number): void {
      trends.get(this.name)!.push(v);
    }
  }
  let next: [number, number] = [200, 1];
  let iteration = 0;
  const http = {
    post(_url: string, body: string) {
      const [status, duration] = next;
      const n = (JSON.parse(body) as { resources: unknown[] }).resources.length;
      return { status, error_code: status === 0 ? 1050 : 0, timings: { duration }, json: (key: string) => (key === 'results' ? Array.from({ length: n }, () => ({})) : null) };
    },
  };
  const exec = { scenario: { get iterationInTest() { return iteration; } }, test: { options: { executionSegment: segment } } };
  const body = script
    .split('\n')
    .filter((l) => !l.startsWith('import '))
    .join('\n')
    .replace('export const options', 'const options')
    .replace('export default function', 'function __default')
    .replace('export function handleSummary', 'function handleSummary');
  const mod = new Function('http', 'exec', 'Counter', 'Trend', '__ENV', `${body}\nreturn { run: __default, handleSummary, options };`)(http, exec, Counter, Trend, {}) as {
    run: () => void;
    handleSummary: (data: unknown) => Record<string, string>;
    options: Runner['options'];
  };
  return {
    options: mod.options,
    run(iterations) {
      for (const it of iterations) {
        next = it;
        mod.run();
        iteration++;
      }
    },
    summary(durationMs, dropped) {
      // k6's summary data: counters with a count, trends with their stats (only metrics that saw samples)
      const metrics: Record<string, unknown> = {};
      for (const [name, count] of counters) if (count > 0) metrics[name] = { type: 'counter', contains: 'default', values: { count, rate: count / (durationMs / 1000) } };
      for (const [name, values] of trends) if (values.length) metrics[name] = { type: 'trend', contains: 'time', values: { min: Math.min(...values), max: Math.max(...values), avg: 0 } };
      if (dropped) metrics.dropped_iterations = { type: 'counter', contains: 'default', values: { count: dropped, rate: 0 } };
      return mod.handleSummary({ metrics, state: { testRunDurationMs: durationMs, isStdOutTTY: false }, root_group: {}, options: {} }).stdout!;
    },
  };
}

test('export: a script for N runners, the ConfigMap holding it and a TestRun pointing at it', () => {
  const files = new Map(k6OperatorFiles(INPUT));
  assert.deepEqual([...files.keys()], ['script.js', 'configmap.yaml', 'testrun.yaml']);
  const script = files.get('script.js')!;
  const cm = parse(files.get('configmap.yaml')!) as { kind: string; metadata: { name: string }; data: Record<string, string> };
  const tr = parse(files.get('testrun.yaml')!) as { apiVersion: string; kind: string; spec: { parallelism: number; script: { configMap: { name: string; file: string } }; runner: { metadata: { labels: Record<string, string> }; env: Array<{ name: string; value: string }> } } };
  assert.equal(cm.kind, 'ConfigMap');
  assert.equal(cm.data['script.js'], script);
  assert.equal(tr.apiVersion, 'k6.io/v1alpha1');
  assert.equal(tr.kind, 'TestRun');
  assert.equal(tr.spec.parallelism, 3);
  assert.deepEqual(tr.spec.script.configMap, { name: cm.metadata.name, file: 'script.js' });
  assert.deepEqual(tr.spec.runner.env, [{ name: 'TARGET', value: CONFIG.targetUrl }]);
  assert.deepEqual(tr.spec.runner.metadata.labels, { 'authz-perf-run': 'authz-perf-abac-cel' });
  // rates are totals (k6 splits them by execution segment); thresholds are judged after the merge
  const { options } = loadRunner(script, '0:1/3');
  assert.equal(options.scenarios.authz!.executor, 'constant-arrival-rate');
  assert.equal(options.scenarios.authz!.rate, 300);
  assert.equal(options.thresholds, undefined);
  assert.match(script, /export function handleSummary\(data\)/);
});

test('the runners of an exported script merge exactly: union percentiles, thresholds after the merge, dropped_iterations', () => {
  const script = new Map(k6OperatorFiles(INPUT)).get('script.js')!;
  // three runners with known latencies: fast, a little slower, and one with a slow tail
  const plans: Array<{ segment: string; iterations: Array<[number, number]>; dropped: number }> = [
    { segment: '0:1/3', iterations: Array.from({ length: 100 }, (_, i) => [200, 0.4 + i * 0.01] as [number, number]), dropped: 0 },
    { segment: '1/3:2/3', iterations: Array.from({ length: 100 }, (_, i) => [200, 1 + i * 0.05] as [number, number]), dropped: 2 },
    { segment: '2/3:1', iterations: [...Array.from({ length: 95 }, (_, i) => [200, 0.9 + i * 0.001] as [number, number]), ...Array.from({ length: 5 }, (_, i) => [200, 40 + i] as [number, number]), [503, 3], [0, 2000]], dropped: 1 },
  ];
  const union = createHistogram();
  const logs: string[] = [];
  for (const p of plans) {
    const r = loadRunner(script, p.segment);
    r.run(p.iterations);
    for (const [status, ms] of p.iterations) if (status === 200) union.recordValue(Math.max(1, Math.round(ms * 1000)));
    logs.push(`time="..." level=info msg="runner ${p.segment} done"\n${r.summary(10_000, p.dropped)}`);
  }
  const summaries = k6SummariesIn(logs.join('\n'), 'runners.log');
  assert.equal(summaries.length, 3);
  const { section } = mergeK6Summaries(summaries.map((json) => ({ file: 'runners.log', json })));
  assert.deepEqual(section.latency.service, summarize(union));
  assert.equal(section.latency.corrected, null);
  assert.equal(section.counts.succeeded, 300);
  assert.equal(section.counts.failed, 2);
  assert.deepEqual(section.errors.byStatus, { '503': 1 });
  assert.equal(section.errors.timeout, 1);
  assert.equal(section.counts.dropped, 3);
  assert.ok(section.warnings.some((w) => w.includes('dropped_iterations')));
  assert.deepEqual(
    section.thresholds.map((t) => [t.expression, t.passed]),
    [
      ['p99<=20ms', false],
      ['error_rate<=1%', true],
      ['dropped_rate<=1%', true],
    ],
  );
  assert.equal(section.thresholds[0]!.actual, summarize(union).p99Ms);
  assert.deepEqual(section.runners!.map((r) => r.id), ['k6 runner 0:1/3', 'k6 runner 1/3:2/3', 'k6 runner 2/3:1']);
  assert.equal(section.importedFrom, 'k6');
  // every bucket counter the runners reported is a bucket of the shared layout
  assert.ok(summaries.every((s) => Object.keys((s as { metrics: object }).metrics).some((k) => k.startsWith(K6_BUCKET_PREFIX))));
});

test('summaries that cannot be merged exactly are refused with the reason', () => {
  const plain = { metrics: { http_reqs: { values: { count: 10, rate: 1 } }, http_req_duration: { values: { med: 1, 'p(99)': 2 } } } };
  assert.throws(() => mergeK6Summaries([{ file: 'a.json', json: plain }]), (e: unknown) => e instanceof InputError && /cannot be merged/.test(e.message) && e.location.file === 'a.json');
  assert.throws(() => k6SummariesIn('just a log line\n', 'x.log'), /neither a k6 JSON summary/);
  assert.throws(() => k6SummariesIn('----- authz-perf k6 summary begin -----\n{"a":1}\n', 'x.log'), /does not end/);
  assert.throws(() => k6SummariesIn('{ nope', 'x.json'), /not valid JSON/);
});
