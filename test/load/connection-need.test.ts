/**
 * The open model's pool grows no further than its rate needs (Little's law × headroom), so a
 * target's stalls queue requests in the generator (counted from their intended time) instead of
 * piling them onto the target past its in-flight limit when it resumes. Fake clock throughout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyNeed, NEED_HEADROOM, NEED_SAMPLES } from '../../src/load/concurrency-need.js';
import { searchMaxRate } from '../../src/load/find-max.js';
import { findMaxConnections } from '../../src/load/session.js';
import { runOpenModel } from '../../src/load/open-model.js';
import { LoadShape } from '../../src/load/schedule.js';
import { buildRequestSource } from '../../src/load/request-source.js';
import { FakeClock } from './fake-clock.js';
import { SIMULATED_SEARCH } from './search-options.js';
import { fakeTarget } from './fake-senders.js';
import { checkRequest } from './servers.js';

const source = buildRequestSource(Array.from({ length: 50 }, (_, i) => checkRequest(i)), null);

test('the need is rate × median service time × headroom, at least the floor, none before 32 answers', () => {
  const need = new ConcurrencyNeed(() => 4000, 8);
  for (let i = 0; i < 31; i++) need.record(2);
  assert.equal(need.cap(0), Infinity);
  need.record(2);
  // 4 × 4,000/s × 2 ms = 32
  assert.equal(need.medianMs(), 2);
  assert.equal(need.cap(0), NEED_HEADROOM * 8);
  // one stalled answer in 33 does not move the median; the estimate is kept for 100 ms
  need.record(500);
  assert.equal(need.medianMs(), 2);
  for (let i = 0; i < NEED_SAMPLES; i++) need.record(10);
  assert.equal(need.cap(99), 32, 'recomputed at most every 100 ms');
  assert.equal(need.cap(100), NEED_HEADROOM * 40);
  const slowRate = new ConcurrencyNeed(() => 100, 8);
  for (let i = 0; i < 40; i++) slowRate.record(1);
  assert.equal(slowRate.cap(0), 8, 'the floor');
});

interface Stall {
  from: number;
  to: number;
}

/**
 * One server answering in arrival order, `1000 / capacity` ms each, idle during `stalls`; at most
 * `limit` requests in flight, more are refused at once with 503 (as serve's --max-inflight does).
 */
function sheddingTarget(clock: FakeClock, capacity: number, limit: number, stalls: () => readonly Stall[]) {
  let free = 0;
  let inFlight = 0;
  let peak = 0;
  let shed = 0;
  const admitted: boolean[] = [];
  const target = fakeTarget(clock, {
    serviceMs: (t, n) => {
      if (inFlight >= limit) {
        admitted[n] = false;
        shed++;
        return 0.1;
      }
      admitted[n] = true;
      peak = Math.max(peak, ++inFlight);
      let start = Math.max(free, t);
      for (const s of stalls()) if (start >= s.from && start < s.to) start = s.to;
      free = start + 1000 / capacity;
      return free - t;
    },
    status: (n) => {
      if (!admitted[n]) return 503;
      inFlight--;
      return 200;
    },
  });
  return { ...target, peak: () => peak, shed: () => shed };
}

/** A 5 ms hiccup every 50 ms (10 % of the time: 1,800/s of a 2,000/s server), plus `extra`. */
function hiccups(fromMs: number, toMs: number, extra: readonly Stall[] = []): Stall[] {
  const out: Stall[] = [...extra];
  for (let t = fromMs + 20; t < toMs; t += 50) out.push({ from: t, to: t + 5 });
  return out;
}

/** 2 s of the open model at 1,500 req/s on the fake clock, up to 256 connections. */
function twoSecondsAt1500(clock: FakeClock, senders: Parameters<typeof runOpenModel>[0]['senders']): ReturnType<typeof runOpenModel> {
  return runOpenModel({
    origin: 'http://x',
    timeoutMs: 5000,
    source,
    shape: new LoadShape([{ durationS: 2, target: 1500 }], 1500),
    maxConnections: 256,
    lateThresholdMs: 10,
    clock,
    ...(senders ? { senders } : {}),
  });
}

test('hiccups and a 60 ms stall queue requests in the generator: the pool stays at what the rate needs, the target sheds nothing', async () => {
  const clock = new FakeClock();
  const stalls = hiccups(0, 3000, [{ from: 1500, to: 1560 }]);
  const target = sheddingTarget(clock, 2000, 24, () => stalls);
  const run = await twoSecondsAt1500(clock, target.senders);
  assert.equal(run.recorder.counts.succeeded, 3000);
  assert.equal(target.shed(), 0);
  // median service 0.5 ms: 4 × 1,500/s × 0.5 ms = 3 (the 3 opened up front, 1,500 / 500), plus
  // at most 8 opened in the first hiccup, before 32 answers gave an estimate
  assert.ok(run.connections.opened <= 3 + 8, `${run.connections.opened} opened`);
  assert.ok(target.peak() <= 3 + 8, `${target.peak()} in flight at most`);
  // the stall still shows, from the intended times: the request of 1500 waited for its end
  const corrected = run.recorder.corrected!;
  assert.ok(corrected.maxValue / 1000 >= 60, `corrected max ${corrected.maxValue / 1000} ms`);
  assert.ok(run.connections.exhaustedCount > 90, `${run.connections.exhaustedCount} waited for a connection`);
});

test('a target that is slower answers slower, and the pool grows to what that needs', async () => {
  const clock = new FakeClock();
  // every answer takes 20 ms (no queue at the target): 1,500/s × 20 ms = 30 in flight
  const target = fakeTarget(clock, { serviceMs: () => 20 });
  const run = await twoSecondsAt1500(clock, target.senders);
  assert.equal(run.recorder.counts.succeeded, 3000);
  assert.ok(run.connections.opened >= 30 && run.connections.opened <= NEED_HEADROOM * 30, `${run.connections.opened} opened`);
  // once the pool has grown, requests go out on time: the corrected p50 is the service time
  assert.ok(run.recorder.corrected!.getValueAtPercentile(50) / 1000 <= 21, `p50 ${run.recorder.corrected!.getValueAtPercentile(50) / 1000}`);
});

/** Deterministic stall positions: `count` stalls of `ms` per step, from a seeded LCG. */
function seededStalls(seed: number) {
  let x = seed >>> 0;
  return (fromMs: number, durationS: number, count: number, ms: number): Stall[] => {
    const out: Stall[] = [];
    for (let i = 0; i < count; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      const at = fromMs + (x / 2 ** 32) * (durationS * 1000 - ms);
      out.push({ from: at, to: at + ms });
    }
    return out;
  };
}

test('three --find-max searches with stalls in different places agree within ±10% (fake clock)', async () => {
  const found: number[] = [];
  for (const seed of [1, 2, 3]) {
    const clock = new FakeClock();
    const place = seededStalls(seed);
    let stalls: Stall[] = [];
    const target = sheddingTarget(clock, 2000, 24, () => stalls);
    const r = await searchMaxRate({
      ...SIMULATED_SEARCH,
      startRps: 250,
      stepDurationS: 1,
      pauseMs: 200,
      clock,
      runStep: (rps, durationS) => {
        const from = clock.now();
        // the step's schedule starts after its connection warm-up: cover the whole step
        stalls = hiccups(from, from + durationS * 1000 + 1000, place(from, durationS + 1, 2, 30));
        return runOpenModel({ origin: 'http://x', timeoutMs: 5000, source, shape: new LoadShape([{ durationS, target: rps }], rps), maxConnections: 256, lateThresholdMs: 10, clock, senders: target.senders });
      },
    });
    assert.equal(r.confirmed, true, `seed ${seed}: ${r.steps.map((s) => `${s.targetRps}:${s.verdict}`).join(' ')}`);
    // below the capacity the target never had more in flight than it admits
    for (const s of r.steps) if (s.targetRps < 1700) assert.equal(s.errorRate, 0, `seed ${seed}: ${s.targetRps} req/s errors ${s.errorRate}`);
    found.push(r.highestPassingRps!);
  }
  const median = [...found].sort((a, b) => a - b)[1]!;
  assert.ok(
    found.every((f) => Math.abs(f - median) / median <= 0.1),
    `found ${found.join(', ')}`,
  );
  // the server holds 1,800/s once its hiccups are counted: every search ends near it
  assert.ok(found.every((f) => f >= 1400 && f <= 1900), `found ${found.join(', ')}`);
});

test('--find-max opens no more connections than the bundled engine admits; other runs and unknown targets keep --max-connections', () => {
  assert.equal(findMaxConnections(256, true, 128), 128);
  assert.equal(findMaxConnections(64, true, 128), 64, 'a lower --max-connections stays');
  assert.equal(findMaxConnections(256, false, 128), 256, 'a fixed-rate run is not limited');
  assert.equal(findMaxConnections(256, true, undefined), 256, '--target or Cerbos: the limit is not known');
});
