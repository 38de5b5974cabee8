/** `loadtest --replay`: a decision log's requests at their recorded relative times (÷ --speed), or at --rps. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseSpeed, replayPlan, ReplayShape } from '../../src/load/replay.js';
import type { LoadtestReport } from '../../src/report/types.js';
import { PACKAGE_ROOT } from '../../src/util/version.js';
import { runCli } from '../helpers/cli.js';

const SAMPLE_LOG = join(PACKAGE_ROOT, 'test', 'scenario', 'fixtures', 'decisions.jsonl');
const req = (id: string) => ({ principal: { id, roles: ['user'] }, resources: [{ resource: { kind: 'document', id: 'd' }, actions: ['view'] }] });

test('replayPlan: requests in time order, offsets from the first divided by the speed', () => {
  const plan = replayPlan([{ atMs: 5000, request: req('c') }, { atMs: 1000, request: req('a') }, { atMs: 3000, request: req('b') }], 2);
  assert.deepEqual(plan.requests.map((r) => r.principal.id), ['a', 'b', 'c']);
  assert.deepEqual([0, 1, 2, 3].map((i) => plan.shape.timeOfMs(i)), [0, 1000, 2000, Infinity]);
  assert.equal(plan.recordedS, 4);
  assert.equal(plan.shape.countBetween(0, 1000), 1);
  assert.equal(plan.shape.countBetween(0, 2001), 3);
  assert.ok(plan.shape.totalMs > 2000, 'the last request falls inside the run');
});

test('property: a replay shape schedules every recorded time once, in order, inside the run', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 200 }), (raw) => {
      const offsets = [...raw].sort((a, b) => a - b).map((x) => x - Math.min(...raw));
      const shape = new ReplayShape(offsets);
      offsets.forEach((t, i) => assert.equal(shape.timeOfMs(i), t));
      assert.equal(shape.timeOfMs(offsets.length), Infinity);
      assert.equal(shape.countBetween(0, shape.totalMs), offsets.length);
      assert.ok(offsets[offsets.length - 1]! < shape.totalMs);
    }),
  );
});

test('property: --speed takes positive factors (2x, 0.5, 10X) and nothing else', () => {
  fc.assert(fc.property(fc.double({ min: 0.001, max: 1000, noNaN: true }), (v) => assert.equal(parseSpeed(`${v}x`), v.toString().includes('e') ? null : v)));
  for (const bad of ['', 'x', '0x', '-2x', 'fast', '2xx', '1e3x']) assert.equal(parseSpeed(bad), null, bad);
});

test('loadtest --replay: the logged requests at their recorded times ÷ --speed, decisions checked', async () => {
  const run = await runCli(['loadtest', '--replay', SAMPLE_LOG, '--speed', '2x', '--warmup', '0', '--no-slo', '--json', '--no-report', '--quiet']);
  assert.equal(run.code, 0, run.stderr);
  const s = (JSON.parse(run.stdout) as LoadtestReport).loadtest;
  // 5 decisions over 2 s recorded, played at 2x: 0, 125, 250, 500 and 1000 ms
  assert.equal(s.counts.scheduled, 5);
  assert.equal(s.counts.succeeded, 5);
  assert.deepEqual(s.series.map((p) => [p.second, p.sentRps]), [[0, 4], [1, 1]]);
});

test('loadtest --replay --rps: the logged requests cycled at a constant rate; bad combinations are usage errors', async () => {
  const run = await runCli(['loadtest', '--replay', SAMPLE_LOG, '--rps', '20', '--duration', '1s', '--warmup', '0', '--no-slo', '--json', '--no-report', '--quiet']);
  assert.equal(run.code, 0, run.stderr);
  const s = (JSON.parse(run.stdout) as LoadtestReport).loadtest;
  assert.equal(s.counts.scheduled, 20);
  assert.equal(s.counts.succeeded, 20);
  for (const [args, message] of [
    [['--replay', SAMPLE_LOG, '--find-max'], /^authz-perf: --replay: .*does not combine with --find-max/],
    [['--replay', SAMPLE_LOG, '--rps', '5', '--speed', '2x'], /^authz-perf: --speed: with --rps/],
    [['--rps', '5', '--speed', '2x'], /^authz-perf: --speed: applies to --replay FILE/],
    [['--replay', SAMPLE_LOG, '--speed', 'fast'], /^authz-perf: --speed: expected a positive factor/],
    [['--replay', join(PACKAGE_ROOT, 'package.json')], /^authz-perf: .*package\.json:1:1: /],
  ] as const) {
    const bad = await runCli(['loadtest', '--no-report', ...args]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, message);
  }
});
