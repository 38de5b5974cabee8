/** The closed model on a fake clock: exact iteration counts with think time, and VU stages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runClosedModel } from '../../src/load/closed-model.js';
import { LoadShape } from '../../src/load/schedule.js';
import { buildRequestSource } from '../../src/load/request-source.js';
import { FakeClock } from './fake-clock.js';
import { fakeTarget } from './fake-senders.js';
import { checkRequest } from './servers.js';

const source = buildRequestSource([checkRequest(0), checkRequest(1)], null);

test('4 VUs with a fixed 19 ms think time and 1 ms service loop every 20 ms', async () => {
  const clock = new FakeClock();
  const target = fakeTarget(clock, { serviceMs: () => 1 });
  const run = await runClosedModel({ origin: 'http://x', timeoutMs: 1000, source, shape: new LoadShape([{ durationS: 1, target: 4 }], 4), thinkTimeMs: [19, 19], seed: 1, clock, senders: target.senders });
  const c = run.recorder.counts;
  assert.equal(target.opened(), 4);
  // each VU starts within the first 100 ms control interval, then sends every 20 ms until 1,000 ms
  const byVu = new Map<number, number[]>();
  for (const x of target.sends) byVu.set(x.sender, [...(byVu.get(x.sender) ?? []), x.sentMs]);
  for (const [vu, times] of byVu) {
    assert.ok(times[0]! < 100, `VU ${vu} starts at ${times[0]}`);
    for (let i = 1; i < times.length; i++) assert.equal(Math.round((times[i]! - times[i - 1]!) * 1e6) / 1e6, 20, `VU ${vu} request ${i}`);
    assert.equal(times.length, Math.floor((1000 - times[0]!) / 20) + (((1000 - times[0]!) % 20) === 0 ? 0 : 1));
  }
  assert.equal(c.sent, target.sends.length);
  assert.equal(c.succeeded, c.sent);
  assert.equal(run.recorder.service.maxValue, 1000, 'service time 1 ms (in µs)');
  const overlap = Math.max(...target.sends.map((x) => target.sends.filter((y) => y.sentMs <= x.sentMs && y.doneMs! > x.sentMs).length));
  assert.equal(run.connections.peakInFlight, overlap);
});

test('VU stages: the count follows the shape, and retired VUs stop sending', async () => {
  const clock = new FakeClock();
  const target = fakeTarget(clock, { serviceMs: () => 10 });
  // 2 VUs for 500 ms, then down to 1 VU for 500 ms
  const run = await runClosedModel({ origin: 'http://x', timeoutMs: 1000, source, shape: new LoadShape([{ durationS: 0.5, target: 2 }, { durationS: 0.5, target: 1 }], 2), thinkTimeMs: null, seed: 3, clock, senders: target.senders });
  const late = target.sends.filter((x) => x.sentMs >= 900);
  assert.equal(new Set(late.map((x) => x.sender)).size, 1, 'one VU left at the end');
  const early = target.sends.filter((x) => x.sentMs >= 100 && x.sentMs < 400);
  assert.equal(new Set(early.map((x) => x.sender)).size, 2);
  assert.equal(run.recorder.counts.succeeded, target.sends.length);
});
