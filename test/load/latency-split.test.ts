/** Server-Timing parsing and the per-request latency split (fast-check properties), and the report view. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseServerTiming } from '../../src/load/server-timing.js';
import { SplitAccumulator, latencySplitView, splitLatency } from '../../src/load/latency-split.js';
import { runOpenModel } from '../../src/load/open-model.js';
import { LoadShape } from '../../src/load/schedule.js';
import { buildRequestSource } from '../../src/load/request-source.js';
import { buildSection } from '../../src/load/section.js';
import { SPECTRUM_PERCENTILES } from '../../src/load/histogram.js';
import { FakeClock } from './fake-clock.js';
import { fakeTarget } from './fake-senders.js';
import { checkRequest, startTestServer } from './servers.js';

const dur = fc.double({ min: 0, max: 1e5, noNaN: true }).map((x) => Math.round(x * 1000) / 1000);

test('Server-Timing: the format serve sends is read exactly', () => {
  assert.deepEqual(parseServerTiming('engine;dur=0.41, handler;dur=0.87'), { engineMs: 0.41, handlerMs: 0.87 });
  assert.deepEqual(parseServerTiming('handler;dur=2'), { engineMs: null, handlerMs: 2 });
  assert.deepEqual(parseServerTiming(['db;dur=1', 'engine;desc="x";dur="3.5"']), { engineMs: 3.5, handlerMs: null });
  for (const bad of ['', 'engine', 'engine;dur=', 'engine;dur=-1', 'engine;dur=1e3', 'engine;dur=NaN', 'cache;dur=4', ';;,,']) assert.equal(parseServerTiming(bad), null, bad);
  assert.equal(parseServerTiming(undefined), null);
});

test('Server-Timing: any engine/handler durations round-trip; arbitrary text never throws', () => {
  fc.assert(
    fc.property(dur, dur, fc.boolean(), fc.constantFrom(' ', '', '  '), (engine, handler, swap, sp) => {
      const parts = [`engine;dur=${engine}`, `handler;dur=${handler}`];
      if (swap) parts.reverse();
      assert.deepEqual(parseServerTiming(parts.join(`,${sp}`)), { engineMs: engine, handlerMs: handler });
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (text) => {
      const t = parseServerTiming(text);
      if (t !== null) for (const v of [t.engineMs, t.handlerMs]) assert.ok(v === null || (Number.isFinite(v) && v >= 0));
    }),
    { numRuns: 2000 },
  );
});

test('the split of one request adds up to its latency, every part non-negative', () => {
  fc.assert(
    fc.property(dur, dur, dur, dur, fc.option(dur), fc.option(dur), (intended, lag, wait, service, handler, engine) => {
      const scheduled = intended + lag;
      const sent = scheduled + wait;
      const done = sent + service;
      const p = splitLatency(intended, scheduled, sent, done, handler === null && engine === null ? null : { handlerMs: handler, engineMs: engine });
      for (const v of [p.lagMs, p.waitMs, p.wireMs, p.serverMs ?? 0, p.engineMs ?? 0]) assert.ok(v >= 0, JSON.stringify(p));
      const sum = p.lagMs + p.waitMs + p.wireMs + (p.serverMs ?? 0);
      assert.ok(Math.abs(sum - (done - intended)) <= 1e-6 * Math.max(1, done), `${sum} vs ${done - intended}`);
      assert.ok((p.serverMs ?? 0) <= done - sent + 1e-9);
    }),
    { numRuns: 2000 },
  );
});

test('grouped rows add up too, and the percentile row holds requests near that percentile', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(dur, dur, dur, fc.option(dur)), { minLength: 1, maxLength: 300 }), (reqs) => {
      const acc = new SplitAccumulator();
      for (const [lag, wait, service, handler] of reqs) acc.add(splitLatency(0, lag, lag + wait, lag + wait + service, handler === null ? null : { handlerMs: handler, engineMs: null }), 0);
      const view = latencySplitView(acc, SPECTRUM_PERCENTILES)!;
      for (const r of [...view.percentiles, ...view.series.filter((x) => x !== null)]) {
        const sum = r!.lagMs + r!.waitMs + r!.wireMs + (r!.serverMs ?? 0);
        assert.ok(Math.abs(sum - r!.totalMs) <= 0.003, JSON.stringify(r));
      }
      assert.equal(view.series[0]!.count, reqs.length);
      const totals = reqs.map(([l, w, s]) => l + w + s).sort((a, b) => a - b);
      const p99 = totals[Math.max(0, Math.ceil(0.99 * totals.length) - 1)]!;
      const row = view.percentiles.find((r) => r.percentile === 99)!;
      // one group spans 2^(1/8): the row's mean lies within that of the percentile's value
      if (p99 > 0.01) assert.ok(row.totalMs <= p99 * 1.1 + 0.002 && row.totalMs >= p99 / 1.1 - 0.002, `${row.totalMs} vs ${p99}`);
    }),
    { numRuns: 300 },
  );
});

test('on a fake clock with Server-Timing the split of every request is exact', async () => {
  const clock = new FakeClock();
  const target = fakeTarget(clock, { serviceMs: () => 2, serverTiming: () => ({ engineMs: 0.5, handlerMs: 1.5 }) });
  const source = buildRequestSource([checkRequest(0)], null);
  const run = await runOpenModel({ origin: 'http://x', timeoutMs: 1000, source, shape: new LoadShape([{ durationS: 1, target: 100 }], 100), maxConnections: 4, lateThresholdMs: 10, clock, senders: target.senders });
  const s = buildSection(run, { model: 'open', targetUrl: 'http://x', bundledTarget: false, scenario: null, profile: null, seed: 1, stages: [{ durationS: 1, target: 100 }], plannedDurationS: 1, maxConnections: 4, timeoutMs: 1000, thinkTimeMs: null, requestPoolSize: 1, lateThresholdMs: 10 }, []);
  const split = s.latencySplit!;
  assert.equal(split.serverTiming, true);
  for (const r of split.percentiles) assert.deepEqual([r.totalMs, r.lagMs, r.waitMs, r.wireMs, r.serverMs, r.engineMs, r.count], [2, 0, 0, 0.5, 1.5, 0.5, 100]);
  assert.equal(split.series.length, 1);
  assert.match(split.explanation.join('\n'), /near p99: scheduler lag 0 ms \+ connection wait 0 ms \+ wire and queues 0.5 ms \+ server 1.5 ms = 2 ms; server is 75%/);
});

test('a real stub server sending Server-Timing: server time is read and never exceeds sent → response', async () => {
  const server = await startTestServer({ headers: () => ({ 'server-timing': 'engine;dur=0.2, handler;dur=0.3' }) });
  const plain = await startTestServer();
  try {
    const source = buildRequestSource([checkRequest(0), checkRequest(1)], null);
    const shape = (): LoadShape => new LoadShape([{ durationS: 0.3, target: 100 }], 100);
    for (const [srv, timed] of [[server, true], [plain, false]] as const) {
      const run = await runOpenModel({ origin: srv.url, timeoutMs: 2000, source, shape: shape(), maxConnections: 4, lateThresholdMs: 10 });
      const split = buildSection(run, { model: 'open', targetUrl: srv.url, bundledTarget: false, scenario: null, profile: null, seed: 1, stages: [{ durationS: 0.3, target: 100 }], plannedDurationS: 0.3, maxConnections: 4, timeoutMs: 2000, thinkTimeMs: null, requestPoolSize: 2, lateThresholdMs: 10 }, []).latencySplit!;
      assert.equal(split.serverTiming, timed);
      const p50 = split.percentiles.find((r) => r.percentile === 50)!;
      if (timed) {
        assert.ok(p50.serverMs! > 0 && p50.serverMs! <= 0.3 && p50.engineMs! <= 0.2, JSON.stringify(p50));
      } else {
        assert.equal(p50.serverMs, null);
        assert.match(split.explanation.join('\n'), /no Server-Timing header: the split stops at sent → response/);
      }
    }
  } finally {
    await server.close();
    await plain.close();
  }
});

test('property: addRequest (the hot path, no intermediate object) sums exactly what add(splitLatency(…)) sums', () => {
  const ms = fc.double({ min: 0, max: 5000, noNaN: true });
  const timing = fc.option(fc.record({ engineMs: fc.option(ms, { nil: null }), handlerMs: fc.option(ms, { nil: null }) }), { nil: null });
  fc.assert(
    fc.property(fc.array(fc.tuple(ms, ms, ms, ms, timing, fc.integer({ min: 0, max: 5 })), { maxLength: 40 }), (reqs) => {
      const a = new SplitAccumulator();
      const b = new SplitAccumulator();
      for (const [i, d1, d2, d3, t, second] of reqs) {
        const [intended, scheduled, sent, done] = [i, i + d1, i + d1 + d2, i + d1 + d2 + d3];
        a.add(splitLatency(intended, scheduled, sent, done, t), second);
        b.addRequest(intended, scheduled, sent, done, t, second);
      }
      assert.deepEqual(b.state(), a.state());
    }),
    { numRuns: 300 },
  );
});
