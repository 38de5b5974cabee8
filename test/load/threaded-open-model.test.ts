/**
 * --generator-threads: the threads' shards of the schedule together are exactly the single-thread
 * schedule (fake clock), their recorders merge into what one recorder of all requests holds, and
 * real threads against a loopback server count what the server counted; every way out ends the
 * threads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runOpenModel, type OpenModelOptions } from '../../src/load/open-model.js';
import { combineProgress, GeneratorThreads, mergeGenerators, runThreadedOpenModel, shareOf } from '../../src/load/threaded-open-model.js';
import { Recorder } from '../../src/load/recorder.js';
import { LoadShape } from '../../src/load/schedule.js';
import { buildRequestSource } from '../../src/load/request-source.js';
import type { RunOutcome } from '../../src/load/run-types.js';
import { parseThreadStat } from '../../src/load/thread-cpu.js';
import { checkRequest, startTestServer } from './servers.js';
import { parseLoadtestFlags } from '../../src/cli/loadtest-flags.js';
import { runLoadtestSession } from '../../src/load/session.js';
import { loadScenario, startInProcessTarget } from '../../src/load/scenario-requests.js';
import { FakeClock } from './fake-clock.js';
import { fakeTarget, type SendLog } from './fake-senders.js';

const source = buildRequestSource(Array.from({ length: 7 }, (_, i) => checkRequest(i, 1 + (i % 3))), null);

async function fakeRun(shape: () => LoadShape, shard: OpenModelOptions['shard'], serviceMs: (sentMs: number, n: number) => number): Promise<{ run: RunOutcome; sends: SendLog[] }> {
  const clock = new FakeClock();
  const target = fakeTarget(clock, { serviceMs });
  const run = await runOpenModel({
    origin: 'http://127.0.0.1:9',
    timeoutMs: 5000,
    source,
    shape: shape(),
    maxConnections: 50,
    lateThresholdMs: 10,
    clock,
    senders: target.senders,
    ...(shard ? { shard } : {}),
  });
  return { run, sends: target.sends };
}

const key = (s: SendLog): string => `${s.intendedMs}:${s.bodyIndex}`;

for (const threads of [2, 3, 5]) {
  test(`${threads} threads' intended send times and bodies together are exactly the single-thread schedule, and their recorders merge into its figures`, async () => {
    // a ramp and a flat stage (below 1,000/s, so every request leaves at its intended time on the
    // fake clock, one thread or several); service time varies with the send time
    const shape = (): LoadShape => new LoadShape([{ durationS: 0.5, target: 900 }, { durationS: 1.5, target: 800 }], 200);
    const service = (sentMs: number): number => 1 + (Math.floor(sentMs) % 7);
    const single = await fakeRun(shape, undefined, service);
    const shards = [];
    for (let k = 0; k < threads; k++) shards.push(await fakeRun(shape, { index: k, count: threads }, service));

    assert.equal(single.sends.length, shape().expectedCount);
    assert.ok(single.sends.every((x) => x.sentMs === x.intendedMs));
    const union = shards.flatMap((s) => s.sends.map(key)).sort();
    assert.deepEqual(union, single.sends.map(key).sort());
    // each thread sends every Nth request: its own intended times are the schedule's k, k+N, …
    shards.forEach((s, k) => {
      const expected = single.sends.filter((_, i) => i % threads === k);
      assert.deepEqual(s.sends.map((x) => [x.intendedMs, x.bodyIndex]), expected.map((x) => [x.intendedMs, x.bodyIndex]), `thread ${k}`);
      assert.equal(s.run.recorder.counts.scheduled, expected.length);
    });

    const merged = Recorder.merged('open', shape(), 10, shards.map((s) => s.run.recorder.state()));
    const one = single.run.recorder;
    assert.deepEqual(merged.counts, one.counts);
    assert.deepEqual(merged.summaries(), one.summaries());
    assert.deepEqual(merged.spectrum(), one.spectrum());
    assert.equal(merged.lag!.totalCount, one.lag!.totalCount);
    const perSecond = (r: Recorder) => r.series().map((p) => [p.second, p.targetRps, p.sentRps, p.completedRps, p.errors, p.p50Ms, p.p90Ms, p.p99Ms]);
    assert.deepEqual(perSecond(merged), perSecond(one));
    assert.equal(merged.split.requests, one.split.requests);
    for (const p of [50, 90, 99, 100]) {
      const a = merged.split.atPercentile(p)!;
      const b = one.split.atPercentile(p)!;
      assert.equal(a.count, b.count, `split near p${p}`);
      assert.ok(Math.abs(a.totalMs - b.totalMs) < 1e-9 && Math.abs(a.wireMs - b.wireMs) < 1e-9, `split near p${p}`);
    }
  });
}

test('error counts, statuses and samples merge: totals add up, samples stay bounded', async () => {
  const states = [0, 1].map((k) => {
    const r = new Recorder('open', new LoadShape([{ durationS: 1, target: 10 }], 10), 10, () => 0, true);
    r.onSent(1, 1);
    r.onFailure(2, 'status', 503 + k, `busy ${k}`);
    r.onSent(3, 3);
    r.onFailure(4, 'timeout', 0, 'slow');
    r.finish(1000);
    return r.state();
  });
  const m = Recorder.merged('open', new LoadShape([{ durationS: 1, target: 10 }], 10), 10, states);
  assert.equal(m.errors.total, 4);
  assert.equal(m.errors.timeout, 2);
  assert.deepEqual(m.errors.byStatus, { '503': 1, '504': 1 });
  assert.equal(m.errors.rate, 1);
  assert.deepEqual(m.errors.samples, ['HTTP 503: busy 0', 'timeout: slow', 'HTTP 504: busy 1']);
});

test('connection and warm-up shares add up to the total, each thread at least its minimum', () => {
  for (const total of [0, 1, 2, 3, 16, 255, 256, 1001])
    for (const n of [1, 2, 3, 8]) {
      const shares = Array.from({ length: n }, (_, k) => shareOf(total, n, k, 0));
      assert.equal(shares.reduce((a, b) => a + b, 0), total, `${total} over ${n}`);
      assert.ok(Math.max(...shares) - Math.min(...shares) <= 1);
    }
  assert.equal(shareOf(1, 4, 3), 1, 'a thread gets at least one connection');
});

test('generator CPU is reported per thread and summed; saturated when one thread is', () => {
  const g = mergeGenerators([
    { cpuSeconds: 1.8, cpuUtilization: 0.95, saturated: false },
    { cpuSeconds: 1, cpuUtilization: 0.5, saturated: false },
  ]);
  assert.equal(g.cpuSeconds, 2.8);
  assert.equal(g.cpuUtilization, 1.45);
  assert.equal(g.saturated, true);
  assert.deepEqual(g.threads!.map((t) => t.saturated), [true, false]);
});

test('the progress line sums the threads\' rates and counts and shows the highest percentiles', () => {
  const p = (rate: number, p99: number) => ({ elapsedS: 1, plannedS: 5, target: 1000, rateRps: rate, p50Ms: p99 / 2, p99Ms: p99, errors: 1, dropped: 0, inFlight: 3 });
  const c = combineProgress([p(480, 4), null, p(510, 9)]);
  assert.deepEqual([c.rateRps, c.p99Ms, c.p50Ms, c.errors, c.inFlight, c.target], [990, 9, 4.5, 2, 6, 1000]);
});

test("a thread's CPU time is read from utime and stime of /proc's stat, whatever the thread's name", () => {
  const stat = '4242 (node (gen) x) S 1 2 3 0 -1 4194304 100 0 0 0 250 75 0 0 20 0 1 0 41513 3133440 382';
  assert.deepEqual(parseThreadStat(stat), { user: 2_500_000, system: 750_000 });
  assert.throws(() => parseThreadStat('garbage'));
});

test('2 real threads against a loopback server: the merged counts equal the server\'s, every histogram holds every success', async () => {
  const server = await startTestServer();
  try {
    const src = buildRequestSource(Array.from({ length: 20 }, (_, i) => checkRequest(i, 1)), null);
    const progress: number[] = [];
    const run = await runThreadedOpenModel({
      origin: server.url,
      timeoutMs: 5000,
      source: src,
      shape: new LoadShape([{ durationS: 1.5, target: 400 }], 400),
      maxConnections: 16,
      lateThresholdMs: 10,
      warmupRequests: 0,
      threads: 2,
      onProgress: (p) => progress.push(p.rateRps),
    });
    const c = run.recorder.counts;
    assert.equal(c.scheduled, 600);
    assert.equal(c.sent, 600);
    assert.equal(server.arrivals.length, c.sent, 'the server counted every request the threads sent, no more');
    assert.equal(c.succeeded, 600);
    assert.equal(run.recorder.corrected!.totalCount, c.succeeded);
    assert.equal(run.recorder.service.totalCount, c.succeeded);
    assert.equal(run.recorder.split.requests, c.succeeded);
    assert.equal(run.recorder.series().reduce((s, p) => s + p.sentRps, 0), c.sent);
    assert.equal(run.generator.threads?.length, 2);
    assert.ok(run.generator.cpuSeconds >= 0);
    assert.equal(run.interrupted, false);
    assert.ok(progress.length >= 1, 'progress came from the threads');
  } finally {
    await server.close();
  }
});

test('Ctrl-C (the signal) stops every thread; what was measured is still merged and returned', async () => {
  const server = await startTestServer();
  try {
    const stop = new AbortController();
    const run = await runThreadedOpenModel({
      origin: server.url,
      timeoutMs: 5000,
      source,
      shape: new LoadShape([{ durationS: 30, target: 200 }], 200),
      maxConnections: 8,
      lateThresholdMs: 10,
      warmupRequests: 0,
      threads: 2,
      signal: stop.signal,
      drainMs: 200,
      // Ctrl-C once the threads have sent for a second (their first progress report)
      onProgress: () => stop.abort(),
    });
    assert.equal(run.interrupted, true);
    assert.ok(run.durationS < 30, `stopped before the planned end (${run.durationS} s)`);
    assert.ok(run.recorder.counts.sent > 0 && run.recorder.counts.sent < 6000);
    assert.equal(server.arrivals.length, run.recorder.counts.sent);
  } finally {
    await server.close();
  }
});

/** Two threads at 200 req/s for 30 s against `origin`: runs that end long before their shape does. */
function twoThreadsFor30s(origin: string): Parameters<typeof runThreadedOpenModel>[0] {
  return { origin, timeoutMs: 1000, source, shape: new LoadShape([{ durationS: 30, target: 200 }], 200), maxConnections: 4, lateThresholdMs: 10, threads: 2 };
}

test('an interrupt before the threads start still ends them and returns an empty, interrupted run', async () => {
  const stop = new AbortController();
  stop.abort();
  const run = await runThreadedOpenModel({ ...twoThreadsFor30s('http://127.0.0.1:9'), signal: stop.signal, drainMs: 100 });
  assert.equal(run.interrupted, true);
  assert.equal(run.recorder.counts.sent, 0);
});

test('a thread that fails rejects the run with its message, and the other threads are ended', async () => {
  await assert.rejects(
    runThreadedOpenModel(twoThreadsFor30s('not a url')),
    /generator thread \d: /,
  );
});

test('a response check that is only a function cannot go to a thread: refused before any starts', async () => {
  await assert.rejects(
    runThreadedOpenModel({
      origin: 'http://127.0.0.1:9',
      timeoutMs: 1000,
      source: { path: '/x', bodies: source.bodies, verify: () => null },
      shape: new LoadShape([{ durationS: 1, target: 10 }], 10),
      maxConnections: 4,
      lateThresholdMs: 10,
      threads: 2,
    }),
    /response check given as data/,
  );
});

test("2 generator threads against the bundled engine: the achieved rate equals serve's own /metrics count within 1%, every decision checked in the threads", { timeout: 60_000 }, async () => {
  const scenario = await loadScenario('rbac-simple', { cwd: process.cwd() });
  const parsed = parseLoadtestFlags({ rps: '150', duration: '2s', warmup: '0', generatorThreads: '2' });
  const result = await runLoadtestSession({
    parsed,
    scenario,
    startTarget: async () => {
      const t = await startInProcessTarget(scenario);
      return { url: t.url, bundled: true, stop: () => t.close() };
    },
  });
  const s = result.section;
  assert.equal(s.config.generatorThreads, 2);
  assert.equal(s.generator.threads?.length, 2);
  assert.equal(s.counts.sent, 300);
  assert.equal(s.counts.failed, 0, 'every decision matched the in-process engine (checked inside the threads)');
  const v = s.server!;
  const serverMeasured = v.requests! - v.sent!.warmup;
  assert.equal(v.sent!.measured, 300);
  assert.ok(Math.abs(serverMeasured - s.counts.succeeded) / serverMeasured <= 0.01, `server ${serverMeasured} vs generator ${s.counts.succeeded}`);
});

test('threads are started once and reused run after run; a closed pool refuses runs', async () => {
  const server = await startTestServer();
  const pool = new GeneratorThreads(2);
  try {
    const src = buildRequestSource(Array.from({ length: 10 }, (_, i) => checkRequest(i, 1)), null);
    const run = () =>
      pool.run({ origin: server.url, timeoutMs: 5000, source: src, shape: new LoadShape([{ durationS: 0.5, target: 200 }], 200), maxConnections: 4, lateThresholdMs: 10, warmupRequests: 0, threads: 2 });
    const a = await run();
    const b = await run();
    assert.deepEqual([a.recorder.counts.sent, b.recorder.counts.sent], [100, 100]);
    assert.equal(server.arrivals.length, 200);
    await pool.close();
    await assert.rejects(run(), /closed/);
  } finally {
    await pool.close();
    await server.close();
  }
});
