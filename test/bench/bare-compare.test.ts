import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareCacheOnOff, compareWithBare } from '../../src/bench/http.js';
import { measureBareRatio } from '../../src/bench/bare-compare.js';

test('compareWithBare alternates bare and serve rounds (each first in turn) and gives per-round ratios', async () => {
  const calls: string[] = [];
  const rps: Record<string, number[]> = { bare: [1000, 800, 1200], serve: [900, 400, 1200] };
  const result = await compareWithBare('serve', 'bare', 3, 50, 4, async (origin, ms) => {
    assert.equal(ms, 50);
    calls.push(origin);
    return rps[origin]!.shift()!;
  });
  assert.deepEqual(calls, ['bare', 'serve', 'serve', 'bare', 'bare', 'serve']);
  assert.deepEqual(result.ratios, [0.9, 0.5, 1]);
  assert.deepEqual([result.min, result.median, result.max], [0.5, 0.9, 1]);
  assert.deepEqual(result.serveRps, [900, 400, 1200]);
  assert.equal(result.connections, 4);
});

test('compareCacheOnOff alternates --no-cache and cache-on rounds: ratios are on ÷ off per round', async () => {
  const calls: string[] = [];
  const rps: Record<string, number[]> = { off: [1000, 2000], on: [1500, 1000] };
  const result = await compareCacheOnOff('on', 'off', 2, 40, 3, async (origin, ms) => {
    assert.equal(ms, 40);
    calls.push(origin);
    return rps[origin]!.shift()!;
  });
  assert.deepEqual(calls, ['off', 'on', 'on', 'off']);
  assert.deepEqual(result.ratios, [1.5, 0.5]);
  assert.deepEqual([result.min, result.max], [0.5, 1.5]);
  assert.deepEqual([result.onRps, result.offRps], [[1500, 1000], [1000, 2000]]);
  assert.deepEqual([result.connections, result.roundMs], [3, 40]);
});

test('measureBareRatio runs serve and the bare server as children and measures both', { timeout: 60_000 }, async () => {
  const body = JSON.stringify({ requestId: 'r', principal: { id: 'a', roles: ['viewer'] }, resources: [{ resource: { kind: 'document', id: 'd' }, actions: ['view'] }] });
  const response = '{"requestId":"r","results":[{"resource":{"id":"d","kind":"document"},"actions":{"view":"EFFECT_ALLOW"}}]}';
  const c = await measureBareRatio({ scenario: 'rbac-simple', pairs: [[body, response]], rounds: 1, roundMs: 300, connections: 2 });
  assert.equal(c.ratios.length, 1);
  assert.ok(c.serveRps[0]! > 0 && c.bareRps[0]! > 0, JSON.stringify(c));
  assert.ok(c.ratios[0]! > 0);
  assert.equal(c.cacheOnOff, undefined, 'serve --no-cache only when asked');
});

test('measureBareRatio with cacheOnOff also runs serve --no-cache and measures it against serve', { timeout: 60_000 }, async () => {
  const body = JSON.stringify({ requestId: 'r', principal: { id: 'a', roles: ['viewer'] }, resources: [{ resource: { kind: 'document', id: 'd' }, actions: ['view'] }] });
  const response = '{"requestId":"r","results":[{"resource":{"id":"d","kind":"document"},"actions":{"view":"EFFECT_ALLOW"}}]}';
  const c = await measureBareRatio({ scenario: 'rbac-simple', pairs: [[body, response]], rounds: 1, roundMs: 300, connections: 2, cacheOnOff: [body] });
  assert.ok(c.cacheOnOff, 'measured');
  assert.equal(c.cacheOnOff.ratios.length, 1);
  assert.ok(c.cacheOnOff.onRps[0]! > 0 && c.cacheOnOff.offRps[0]! > 0, JSON.stringify(c.cacheOnOff));
});
