import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { compilePolicySources, createEngine, createLoadShedder, startServer } from '../../src/engine/index.js';
import { createRequestStream, loadScenario, takeRequests } from '../../src/scenario/index.js';
import { serveChildArgs, startServeChild, type ServeChild } from '../helpers/serve-child.js';
import { closedLoop, openLoop, quantile, type Answer, type Target } from '../helpers/open-loop.js';

test('the shedder admits up to maxInflight and counts what it refuses', () => {
  const shedder = createLoadShedder(2);
  assert.equal(shedder.tryAdmit(), true);
  assert.equal(shedder.tryAdmit(), true);
  assert.equal(shedder.tryAdmit(), false);
  assert.deepEqual([shedder.inflight, shedder.shed], [2, 1]);
  shedder.release();
  assert.equal(shedder.tryAdmit(), true);
  assert.deepEqual([shedder.inflight, shedder.shed], [2, 1]);
});

const metric = async (url: string, name: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} in /metrics`);
  return Number(line.slice(name.length + 1));
};

test('serve: over --max-inflight a check gets 503 + Retry-After at once; /health and /metrics are never shed', async () => {
  const policy = 'resourcePolicy:\n  resource: doc\n  version: default\n  rules:\n    - actions: [view]\n      effect: EFFECT_ALLOW\n      roles: [user]\n';
  const server = await startServer(createEngine(compilePolicySources([{ file: 'doc.yaml', text: policy }])), { port: 0, maxInflight: 1 });
  const body = JSON.stringify({ principal: { id: 'p', roles: ['user'] }, resources: [{ resource: { kind: 'doc', id: 'd' }, actions: ['view'] }] });
  // a request whose headers are in and whose body is not: admitted, and in flight until the body comes
  const slow = connect(server.port, '127.0.0.1');
  let answer = '';
  slow.setEncoding('utf8');
  slow.on('data', (s: string) => (answer += s));
  try {
    slow.write(`POST /api/check/resources HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`);
    for (let i = 0; i < 200 && (await metric(server.url, 'authz_perf_inflight_requests')) < 1; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await metric(server.url, 'authz_perf_inflight_requests'), 1);

    const shed = await fetch(`${server.url}/api/check/resources`, { method: 'POST', body });
    assert.equal(shed.status, 503);
    assert.equal(shed.headers.get('retry-after'), '1');
    assert.deepEqual(await shed.json(), { code: 503, message: 'server overloaded: 1 check requests in flight (--max-inflight); retry after 1 s' });
    assert.equal((await fetch(`${server.url}/health`)).status, 200);

    slow.write(body);
    for (let i = 0; i < 200 && !answer.includes('"results"'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.equal((await fetch(`${server.url}/api/check/resources`, { method: 'POST', body })).status, 200);
    assert.equal(await metric(server.url, 'authz_perf_shed_requests_total'), 1);
    assert.equal(await metric(server.url, 'authz_perf_inflight_requests'), 0);
  } finally {
    slow.destroy();
    await server.close();
  }
});

/** `authz-perf serve` on heavy-cel without cache in a child process, so the load driver does not share its event loop. */
const serveHeavy = (maxInflight: number): Promise<ServeChild> =>
  startServeChild(serveChildArgs({ port: '0', host: '127.0.0.1', cache: false, scenario: 'heavy-cel', maxInflight: String(maxInflight) }, false));

// The server's own handler time (Server-Timing) of served requests at twice the measured capacity
// stays within 5× of its p99 at 0.7× capacity, because requests over --max-inflight are refused at
// once instead of queueing (without the limit every request read in a turn waits for the ones before
// it, and the backlog grows). The client's latency is printed, not asserted: it also holds the test
// process's own lag at 2× load on a 2-core host (160 ms p99 against 13 ms in one CI run, where the
// server's p99 stayed at 8-10 ms). Capacity is measured first, on this machine, in this run; the
// whole test offers load for about 7 s.
test('serve: at 2× capacity the server\'s p99 for served requests stays within 5× of its value at 0.7× capacity; shed requests are counted', async (t) => {
  const scenario = await loadScenario('heavy-cel');
  const sample = takeRequests(createRequestStream(scenario, { seed: 11 }), 4);
  // a request that costs the engine about a millisecond, so evaluation dominates HTTP overhead
  const body = JSON.stringify({
    principal: { ...sample[0]!.principal, attr: { ...sample[0]!.principal.attr, groups: Array.from({ length: 300 }, (_, g) => `member-${g}`) } },
    resources: sample.map((r, i) => ({
      resource: { ...r.resources[0]!.resource, attr: { ...r.resources[0]!.resource.attr, acl: Array.from({ length: 40 }, (_, j) => ({ principal: `u${j}`, groups: [`acl-${i}-${j}`], perms: ['read'] })) } },
      actions: ['read', 'export', 'write'],
    })),
  });
  const target = (port: number): Target => ({ host: '127.0.0.1', port, path: '/api/check/resources', body });
  // capacity: answers per second from a server that admits everything, kept busy by 16 workers
  const unlimited = await serveHeavy(1000);
  let capacity: number;
  try {
    await closedLoop(target(unlimited.port), 16, 500);
    capacity = (await closedLoop(target(unlimited.port), 16, 1500)).perSecond;
  } finally {
    await unlimited.stop();
  }
  assert.ok(capacity > 20, `capacity ${capacity.toFixed(0)}/s is too low to measure overload on this machine`);

  const maxInflight = 4;
  const server = await serveHeavy(maxInflight);
  try {
    await closedLoop(target(server.port), maxInflight, 300);
    const shedBefore = await metric(server.url, 'authz_perf_shed_requests_total');
    // light and heavy phases interleaved, so a host whose speed drifts affects both alike
    const light: Answer[] = [];
    const heavy: Answer[] = [];
    for (let round = 0; round < 3; round++) {
      light.push(...(await openLoop(target(server.port), capacity * 0.7, 800)));
      heavy.push(...(await openLoop(target(server.port), capacity * 2, 800)));
    }
    const shedAfter = await metric(server.url, 'authz_perf_shed_requests_total');

    const p99Of = (answers: Answer[]): number => quantile(answers.filter((a) => a.status === 200).map((a) => a.latencyMs), 0.99);
    const lightP99 = p99Of(light);
    const heavyP99 = p99Of(heavy);
    // the server's own handler time (Server-Timing): what its admission bounds, whatever the client's lag
    const serverP99Of = (answers: Answer[]): number => quantile(answers.filter((a) => a.status === 200).map((a) => a.serverMs ?? NaN), 0.99);
    const lightServerP99 = serverP99Of(light);
    const heavyServerP99 = serverP99Of(heavy);
    const shed = heavy.filter((a) => a.status === 503);
    const served = heavy.filter((a) => a.status === 200);
    const others = [...light, ...heavy].filter((a) => a.status !== 200 && a.status !== 503).map((a) => a.status);
    t.diagnostic(
      `capacity ${capacity.toFixed(0)}/s; 0.7×: ${light.length} sent, p99 ${lightP99.toFixed(1)} ms; ` +
        `2×: ${heavy.length} sent, ${served.length} served (p99 ${heavyP99.toFixed(1)} ms, max ${Math.max(...served.map((a) => a.latencyMs)).toFixed(1)} ms), ` +
        `${shed.length} shed (p99 ${quantile(shed.map((a) => a.latencyMs), 0.99).toFixed(1)} ms); ` +
        `server handler p99 ${lightServerP99.toFixed(1)} ms at 0.7×, ${heavyServerP99.toFixed(1)} ms at 2×`,
    );
    assert.deepEqual(others, [], 'every request is answered 200 or 503');
    assert.ok(shed.length > 0, 'at 2× capacity some requests are shed');
    assert.ok(shed.every((a) => a.retryAfter === '1'), 'every 503 carries Retry-After');
    assert.equal(shedAfter - shedBefore, shed.length + light.filter((a) => a.status === 503).length, '/metrics counts every shed request');
    assert.ok(served.length >= heavy.length / 4, `a good part of capacity is still served (${served.length} of ${heavy.length})`);
    assert.ok(
      heavyServerP99 <= 5 * lightServerP99,
      `the server's handler p99 of served requests at 2× capacity ${heavyServerP99.toFixed(1)} ms is within 5× of its p99 at 0.7× (${lightServerP99.toFixed(1)} ms)`,
    );
  } finally {
    await server.stop();
  }
});
