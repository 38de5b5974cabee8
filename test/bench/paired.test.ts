import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanAndRme, pairedRatio } from '../../src/bench/paired.js';

/** A clock that only the operations advance: the measurement logic, without wall-clock timing. */
function fakeClock(): { now: () => number; advance: (ns: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ns) => void (t += ns) };
}

test('the ratio of two operations timed in alternating rounds, with each side per call', async () => {
  const clock = fakeClock();
  const order: string[] = [];
  let last = '';
  const a = (): void => {
    clock.advance(3000);
    if (last !== 'a') order.push('a');
    last = 'a';
  };
  const b = (): void => {
    clock.advance(1000);
    if (last !== 'b') order.push('b');
    last = 'b';
  };
  const r = await pairedRatio(a, b, { timeMs: 1, warmupMs: 0, minRounds: 6, now: clock.now });
  assert.equal(r.ratio, 3);
  assert.equal(r.a.meanNs, 3000);
  assert.equal(r.b.meanNs, 1000);
  assert.equal(r.a.rmePercent, 0);
  assert.equal(r.rounds, 6); // each round (2.7 ms of fake time) outlasts timeMs: minRounds decides
  // blocks of about 2 ms for the slower side
  assert.equal(r.callsPerRound, Math.round(2e6 / 3000));
  // warmup a b, then rounds a b | b a | a b | b a ...
  assert.deepEqual(order.slice(0, 8), ['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
});

test('an aborted signal stops after the rounds in progress', async () => {
  const clock = fakeClock();
  const controller = new AbortController();
  controller.abort();
  const r = await pairedRatio(() => clock.advance(10), () => clock.advance(10), { timeMs: 60_000, warmupMs: 0, signal: controller.signal, now: clock.now });
  assert.equal(r.rounds, 0);
});

test('meanAndRme: 95% margin of error of the mean with Student t', () => {
  assert.deepEqual(meanAndRme([5, 5, 5]), { meanNs: 5, rmePercent: 0 });
  const r = meanAndRme([9, 11]);
  assert.equal(r.meanNs, 10);
  // sd = √2, t(1) = 12.706 → 12.706 × √2 / √2 / 10 = 127.06%
  assert.ok(Math.abs(r.rmePercent - 127.06) < 1e-9);
  assert.equal(meanAndRme([]).rmePercent, 100);
});
