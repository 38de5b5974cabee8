import { test } from 'node:test';
import assert from 'node:assert/strict';
import { erlangB, erlangC, littlesLaw, mmc, mmcResponsePercentile, mmcResponseTail } from '../../src/sizing/queueing.js';

const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);

test('Erlang B and C by hand: c = 2, a = 1', () => {
  // B(1) = 1/2, B(2) = (1 · 1/2) / (2 + 1/2) = 0.2; C = B / (1 − ρ(1 − B)) = 0.2 / 0.6
  close(erlangB(2, 1), 0.2);
  close(erlangC(2, 1), 1 / 3);
  // M/M/2 closed form: C = 2ρ² / (1 + ρ) at ρ = 0.5
  close(erlangC(2, 1), (2 * 0.25) / 1.5);
});

test('M/M/1: C = ρ, mean response 1/(μ−λ), p99 = ln(100)/(μ−λ)', () => {
  const q = { arrivalRate: 700, serviceRate: 1000, servers: 1 };
  const r = mmc(q);
  close(r.waitProbability, 0.7);
  close(r.meanResponseS, 1 / 300);
  close(mmcResponsePercentile(q, 0.99), Math.log(100) / 300, 1e-9);
  close(r.meanInSystem, 700 / 300);
});

test('M/M/c response tail is 1 at 0, falls with t, and the percentile inverts it', () => {
  const q = { arrivalRate: 5000, serviceRate: 4000, servers: 2 };
  close(mmcResponseTail(q, 0), 1);
  assert.ok(mmcResponseTail(q, 0.001) < mmcResponseTail(q, 0.0005));
  const p99 = mmcResponsePercentile(q, 0.99);
  close(mmcResponseTail(q, p99), 0.01, 1e-6);
  // more servers at the same per-server utilisation cut the wait: the p99 falls
  const p99c4 = mmcResponsePercentile({ arrivalRate: 10000, serviceRate: 4000, servers: 4 }, 0.99);
  assert.ok(p99c4 < p99);
});

test('M/M/c tail when θ = μ uses the (1 + μt) e^(−μt) form', () => {
  // c = 2, μ = 1000, λ = 1000 → θ = cμ − λ = 1000 = μ
  const q = { arrivalRate: 1000, serviceRate: 1000, servers: 2 };
  const c = erlangC(2, 1);
  const t = 0.002;
  close(mmcResponseTail(q, t), (1 - c) * Math.exp(-2) + c * (1 + 2) * Math.exp(-2));
});

test('unstable queues report infinity', () => {
  const r = mmc({ arrivalRate: 2000, serviceRate: 1000, servers: 2 });
  assert.equal(r.stable, false);
  assert.equal(r.meanResponseS, Infinity);
  assert.equal(mmcResponsePercentile({ arrivalRate: 2000, serviceRate: 1000, servers: 2 }, 0.99), Infinity);
});

test("Little's law", () => {
  close(littlesLaw(12500, 0.0008), 10);
});
